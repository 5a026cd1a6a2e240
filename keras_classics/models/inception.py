"""The Inception family: GoogLeNet (v1), BN-Inception (v2) and Inception v3.

Every module is :func:`keras_classics.layers.inception.inception_module`; the
three networks differ in their papers' layer tables (:mod:`keras_classics.models.inception_tables`) and in
their stems and heads. With ``aux_logits=True`` a model has named outputs, the
main classifier first (``predictions``, ``aux1``, ``aux2`` for GoogLeNet;
``predictions``, ``aux`` for v3); :func:`aux_loss_weights` gives the loss
weights the papers train them with.
"""

from __future__ import annotations

from dataclasses import replace

import keras

from keras_classics._validate import bad_argument, check_bool, check_choice, check_fraction, check_int
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.conv import conv_norm_act
from keras_classics.layers.heads import global_pool
from keras_classics.layers.inception import Conv, auxiliary_classifier, ceil_max_pool, inception_module
from keras_classics.layers.inception import aux_loss_weights  # noqa: F401  (public here: keras_classics.aux_loss_weights)
from keras_classics.layers.lrn import LocalResponseNormalization
from keras_classics.layers.norm import network_norm
from keras_classics.models.base import check_arguments, finish, model_input
from keras_classics.models.inception_tables import GOOGLENET_AUX_AFTER, GOOGLENET_TABLE, INCEPTION_V2_TABLE, INCEPTION_V3_TABLE, V3_AUX_AFTER
from keras_classics.registry import Paper, Variant, register_variants

GOOGLENET_PAPER = Paper(
    title="Going Deeper with Convolutions",
    authors="C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke, A. Rabinovich",
    venue="CVPR",
    year=2015,
    url="https://arxiv.org/abs/1409.4842",
)
BN_INCEPTION_PAPER = Paper(
    title="Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift",
    authors="S. Ioffe, C. Szegedy",
    venue="ICML",
    year=2015,
    url="https://arxiv.org/abs/1502.03167",
)
INCEPTION_V3_PAPER = Paper(
    title="Rethinking the Inception Architecture for Computer Vision",
    authors="C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna",
    venue="CVPR",
    year=2016,
    url="https://arxiv.org/abs/1512.00567",
)

# Registry rows, one table per builder: the builder reads the first row (sizes, weights);
# the others preset its knobs. An "_aux" entry has its auxiliary classifiers only with
# include_top=True, so its features (include_top=False) still build.
_GOOGLENET = Variant(default_size=224, min_size=15, reference=("googlenet", "without"))
GOOGLENET_VARIANTS = {
    "googlenet": _GOOGLENET,
    "googlenet_aux": replace(
        _GOOGLENET, reference=("googlenet", "with both"), top_defaults={"aux_logits": True},
        description="with both auxiliary classifiers (outputs predictions, aux1, aux2; without them when include_top=False)",
    ),
    "googlenet_paper": replace(
        _GOOGLENET, reference=None, defaults={"norm": None, "branch3_kernel": 5, "lrn": True, "aux_pool": "5x5/3"},
        description="the paper's Table 1: no batch norm, 5x5 branch, LRN in the stem, 5x5/3 auxiliary pooling",
    ),
}
INCEPTION_V2_VARIANTS = {"inception_v2": Variant(default_size=224, min_size=7, description="BN-Inception (no published reference count)")}
_V3 = Variant(default_size=299, min_size=75, pretrained="inception_v3", reference=("inception_v3", "keras.applications"))
# torchvision's Inception3: BN with scale, eps 1e-3 and PyTorch momentum 0.1 (Keras 0.9); dropout 0.5;
# F.avg_pool2d(x, 3, 1, 1) counts the padded zeros.
_TORCHVISION_V3 = {"norm_scale": True, "norm_momentum": 0.9, "dropout": 0.5, "count_include_pad": True}
INCEPTION_V3_VARIANTS = {
    "inception_v3": _V3,
    "inception_v3_torchvision": replace(
        _V3, pretrained=None, reference=("inception_v3", "without"), defaults=_TORCHVISION_V3,
        description="torchvision's configuration (batch norm with scale, dropout 0.5, average poolings counting padded zeros)",
    ),
    "inception_v3_torchvision_aux": replace(
        _V3, pretrained=None, reference=("inception_v3", "with aux"), defaults=_TORCHVISION_V3, top_defaults={"aux_logits": True},
        description="torchvision's configuration with the auxiliary classifier (outputs predictions, aux; without it when include_top=False)",
    ),
}


def _check_aux(aux_logits, include_top):
    check_bool("aux_logits", aux_logits)
    if aux_logits and not include_top:
        raise bad_argument("aux_logits", aux_logits, "False with include_top=False (the auxiliary classifiers belong to the top)")


def _top(x, *, include_top, pooling, classes, classifier_activation, dropout):
    """Global average pooling, dropout and the classifier; or the feature map / pooled features."""
    if not include_top:
        return global_pool(x, pooling)
    x = global_pool(x, "avg")
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def GoogLeNet(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="googlenet",
    *,
    norm="batch",
    activation="relu",
    dropout=0.4,
    norm_momentum=0.99,
    aux_logits=False,
    aux_pool="adaptive",
    branch3_kernel=3,
    lrn=False,
):
    """GoogLeNet (Inception v1), Table 1 of the paper, with optional auxiliary classifiers.

    Paper: C. Szegedy et al., "Going Deeper with Convolutions", CVPR 2015,
    https://arxiv.org/abs/1409.4842.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as ``keras.applications`` (there are no
            published Keras ImageNet weights: ``weights`` is ``None`` or a file).
        norm: normalization after every convolution: ``"batch"`` (default,
            epsilon 1e-3 as torchvision) or ``None`` (the paper: no
            normalization, convolutions with bias).
        norm_momentum: batch-norm momentum in Keras's sense (0.99, Keras's
            default; torchvision trains with PyTorch's 0.1, which is Keras's 0.9).
        activation: after every convolution and the auxiliary fc layers.
        dropout: rate before the classifier (the paper's 40%; torchvision uses 20%).
        aux_logits: add the two auxiliary classifiers after 4a and 4d (average
            pooling to 4x4, 1x1 conv 128, fc 1024, dropout 70%, fc ``classes``).
            The model then has three outputs, ``predictions``, ``aux1``,
            ``aux2``; train with :func:`aux_loss_weights` (0.3 each, the
            paper's discount). Needs ``include_top=True`` and a fixed input size.
        aux_pool: the auxiliary heads' pooling: ``"adaptive"`` (default,
            torchvision's adaptive average pooling to 4x4; needs Keras 3.13+)
            or ``"5x5/3"`` (the paper's; the two differ at 14x14: windows
            starting at 0, 3, 7, 10 against 0, 3, 6, 9).
        branch3_kernel: kernel of the third branch's convolution: 3 (default,
            as torchvision) or the paper's 5.
        lrn: the paper's two local response normalizations (after the first
            pooling and after conv 3x3 of the stem).

    Defaults reproduce torchvision's GoogLeNet graph, whose counts the registry
    references (6,624,904 trainable parameters; 13,004,888 with
    ``aux_logits=True``): torchvision's state_dict loads by name
    (:mod:`keras_classics.weights.rules.inception`) and gives its outputs. Its
    training-time settings are not the defaults: torchvision uses dropout 0.2
    and batch-norm momentum 0.9 in Keras's sense (``dropout=0.2,
    norm_momentum=0.9``). torchvision's published weights are used with
    ``transform_input=True``, which maps ImageNet-normalised input to
    ``(x - 0.5) / 0.5``: here that is the checkpoint's preprocessing (mean and
    std 0.5 on [0, 1] pixels, i.e. [-1, 1] input); the graph has no such step.
    Departures from the paper by default, each one a knob
    away from it (``norm=None, branch3_kernel=5, lrn=True, aux_pool="5x5/3"``,
    registered as ``googlenet_paper``):

    - batch norm after every convolution, and no convolution bias (the paper
      predates batch norm);
    - the "5x5" branch uses a 3x3 convolution (torchvision's known departure);
    - no local response normalization in the stem;
    - the auxiliary heads pool adaptively to 4x4 (torchvision), not 5x5/3.

    Departures always: the final 7x7 average pooling is a global average
    pooling (the same at 224x224; any input size works); the max poolings use
    ceil mode as Caffe and torchvision, and the one before 5a is 2x2/2 as
    torchvision; with ``aux_pool="5x5/3"`` the auxiliary heads' pooling falls
    back to ``same`` padding on inputs too small for it (below 79x79); weight
    init is Keras's default.
    """
    check_fraction("norm_momentum", norm_momentum)
    norm = network_norm(norm, epsilon=1e-3, momentum=norm_momentum)
    act = resolve_activation(activation)
    torchvision_graph = (getattr(norm, "kind", None), getattr(act, "kind", None), branch3_kernel, lrn, aux_pool) == ("batch", "relu", 3, False, "adaptive")
    architecture = ("googlenet_aux" if aux_logits else "googlenet") if torchvision_graph else None
    check_arguments(include_top=include_top, weights=weights, pooling=pooling, classes=classes, classifier_activation=classifier_activation, architecture=architecture)
    _check_aux(aux_logits, include_top)
    check_fraction("dropout", dropout)
    check_int("branch3_kernel", branch3_kernel, minimum=1)
    check_bool("lrn", lrn)
    aux_pool = {"adaptive": 4, "5x5/3": "5x5/3"}[check_choice("aux_pool", aux_pool, ("adaptive", "5x5/3"))]
    row = GOOGLENET_VARIANTS["googlenet"]
    image, inputs = model_input(input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, static=aux_logits, weights=weights)

    # 224x224x3 -> 56x56x64 -> 28x28x192
    x = conv_norm_act(image, 64, 7, 2, padding=3, norm=norm, act=act, name="conv1")
    x = ceil_max_pool(x, name="pool1")
    if lrn:
        x = LocalResponseNormalization(name="pool1_lrn")(x)
    x = conv_norm_act(x, 64, 1, norm=norm, act=act, name="conv2")
    x = conv_norm_act(x, 192, 3, norm=norm, act=act, name="conv3")
    if lrn:
        x = LocalResponseNormalization(name="conv3_lrn")(x)
    x = ceil_max_pool(x, name="pool2")

    # 28x28x192 -> 7x7x1024
    aux_outputs, pool_index = [], 3
    for row in GOOGLENET_TABLE:
        if row == "M":
            if pool_index == 3:
                x = ceil_max_pool(x, name="pool3")
            else:  # 2x2/2 ceil mode: "same" padding gives ceil(size / 2) with the same windows
                x = keras.layers.MaxPooling2D(2, strides=2, padding="same", name=f"pool{pool_index}")(x)
            pool_index += 1
            continue
        label, c1, r3, c3, r5, c5, proj = row
        towers = ((Conv(c1, 1),), (Conv(r3, 1), Conv(c3, 3)), (Conv(r5, 1), Conv(c5, branch3_kernel)))
        x = inception_module(x, towers, pool="max", pool_proj=proj, norm=norm, act=act, name=f"inception{label}")
        if aux_logits and label in GOOGLENET_AUX_AFTER:
            aux_outputs.append(
                auxiliary_classifier(
                    x, classes, convs=(Conv(128, 1),), pool=aux_pool, hidden_units=(1024,), dropout=0.7, flatten=True,
                    classifier_activation=classifier_activation, norm=norm, act=act, name=GOOGLENET_AUX_AFTER[label],
                )
            )
    x = _top(x, include_top=include_top, pooling=pooling, classes=classes, classifier_activation=classifier_activation, dropout=dropout)
    return finish(inputs, [x, *aux_outputs] if aux_outputs else x, name=name, weights=weights, include_top=include_top, architecture=architecture)


def InceptionV2(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v2",
    *,
    norm="batch",
    activation="relu",
    dropout=0.0,
):
    """BN-Inception (Inception v2): GoogLeNet with batch norm and each 5x5 as two 3x3.

    Paper: S. Ioffe and C. Szegedy, "Batch Normalization: Accelerating Deep
    Network Training by Reducing Internal Covariate Shift", ICML 2015,
    https://arxiv.org/abs/1502.03167; the network is the table of Figure 5.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as ``keras.applications`` (no published
            Keras weights: ``weights`` is ``None`` or a file).
        norm: after every convolution, ``"batch"`` (epsilon 1e-3) by default.
        activation: after every convolution.
        dropout: rate before the classifier; 0 by default, as the paper
            removed dropout (Section 4.2.1).

    11,305,256 parameters with 1000 classes (11,285,224 trainable; measured, no
    published reference). The table's channel counts for 4c, 4d and 4e (576,
    576, 1024) do not match the sums of its own branch widths (608, 608, 1056);
    we follow the branch widths, as the released Caffe model does.

    Departures: convolutions have no bias (batch norm follows; the Caffe model
    has one); the 3x3 average poolings do not count padded zeros (Keras
    ``same``); stem max poolings use ceil mode as Caffe; the grid-reduction
    modules pad ``same`` so every branch gives ``ceil(size / 2)``; no auxiliary
    classifiers; the final 7x7 average pooling is a global average pooling.
    """
    check_arguments(include_top=include_top, weights=weights, pooling=pooling, classes=classes, classifier_activation=classifier_activation)
    check_fraction("dropout", dropout)
    norm = network_norm(norm, epsilon=1e-3)
    act = resolve_activation(activation)
    row = INCEPTION_V2_VARIANTS["inception_v2"]
    image, inputs = model_input(input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, weights=weights)

    # 224x224x3 -> 28x28x192
    x = conv_norm_act(image, 64, 7, 2, padding=3, norm=norm, act=act, name="conv1")
    x = ceil_max_pool(x, name="pool1")
    x = conv_norm_act(x, 64, 1, norm=norm, act=act, name="conv2_reduce")
    x = conv_norm_act(x, 192, 3, norm=norm, act=act, name="conv2")
    x = ceil_max_pool(x, name="pool2")

    # 28x28x192 -> 7x7x1024
    for label, c1, r3, c3, rd, cd, pool, proj, strides in INCEPTION_V2_TABLE:
        towers = ((Conv(c1, 1),),) if c1 else ()
        towers += ((Conv(r3, 1), Conv(c3, 3)), (Conv(rd, 1), Conv(cd, 3), Conv(cd, 3)))
        x = inception_module(x, towers, pool=pool, pool_proj=proj, strides=strides, norm=norm, act=act, name=f"inception{label}")
    x = _top(x, include_top=include_top, pooling=pooling, classes=classes, classifier_activation=classifier_activation, dropout=dropout)
    return finish(inputs, x, name=name, weights=weights, include_top=include_top)


def InceptionV3(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
    *,
    norm="batch",
    norm_scale=False,
    norm_momentum=0.99,
    activation="relu",
    dropout=0.0,
    aux_logits=False,
    count_include_pad=False,
):
    """Inception v3: factorised convolutions, grid-reduction modules, optional auxiliary classifier.

    Paper: C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens and Z. Wojna,
    "Rethinking the Inception Architecture for Computer Vision", CVPR 2016,
    https://arxiv.org/abs/1512.00567.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as ``keras.applications.InceptionV3``.
            ``weights="imagenet"`` loads keras.applications' file (default
            configuration only).
        norm: after every convolution (``"batch"``, epsilon 1e-3).
        norm_scale: batch norm with a learned scale (gamma). ``False`` as
            keras.applications (23,851,784 parameters); ``True`` as torchvision
            (23,834,568 trainable).
        norm_momentum: batch-norm momentum in Keras's sense (0.99 as
            keras.applications; torchvision's PyTorch momentum 0.1 is 0.9 here).
        activation: after every convolution.
        dropout: rate before the classifier (0 as keras.applications; 0.5 as torchvision).
        aux_logits: torchvision's auxiliary classifier after mixed7 (the last
            17x17 module): 5x5/3 average pooling, 1x1 conv 128, 5x5 conv 768,
            global average pooling, fc ``classes``. Outputs ``predictions``,
            ``aux``; train with :func:`aux_loss_weights`.
        count_include_pad: the 3x3 stride-1 average poolings divide by 9 at
            the border too, counting the padded zeros (torchvision's and
            TF-slim's ``avg_pool2d``); ``False`` as keras.applications (Keras's
            ``same``: only the real values are counted).

    The default graph is keras.applications.InceptionV3's, layer for layer, so
    its weights transfer (:func:`keras_classics.transfer_weights`).

    Departures from the paper: the first 35x35 modules keep a 5x5 tower (as
    keras.applications and torchvision; the paper's Figure 5 has two 3x3); the
    auxiliary classifier has no batch norm on its fc layer (the paper's
    "BN-auxiliary"); no label smoothing (a training choice, not in the graph).

    ``inception_v3_torchvision`` (``norm_scale=True, norm_momentum=0.9,
    dropout=0.5, count_include_pad=True``) is torchvision's Inception3 graph and
    training-time settings: its state_dict (and timm's ``inception_v3.*``)
    loads by name (:mod:`keras_classics.weights.rules.inception`) and gives
    its outputs. Its published weights are used with ``transform_input=True``
    (ImageNet-normalised input mapped to ``(x - 0.5) / 0.5``): here that is
    the checkpoint's preprocessing (mean and std 0.5, i.e. [-1, 1] input, as
    timm's and keras.applications' ``"tf"`` mode); the graph has no such step.
    """
    check_bool("norm_scale", norm_scale)
    check_bool("count_include_pad", count_include_pad)
    check_fraction("norm_momentum", norm_momentum)
    norm = network_norm(norm, epsilon=1e-3, momentum=norm_momentum, scale=norm_scale)
    act = resolve_activation(activation)
    row = INCEPTION_V3_VARIANTS["inception_v3"]
    keras_config = (
        getattr(norm, "kind", None) == "batch" and not norm_scale and not count_include_pad
        and aux_logits is False and getattr(act, "kind", None) == "relu"
    )
    pretrained = row.pretrained if keras_config else None
    torchvision_graph = getattr(norm, "kind", None) == "batch" and norm_scale and count_include_pad and getattr(act, "kind", None) == "relu"
    architecture = ("inception_v3_torchvision_aux" if aux_logits else "inception_v3_torchvision") if torchvision_graph else None
    check_arguments(
        include_top=include_top, weights=weights, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, pretrained=pretrained, architecture=architecture,
    )
    _check_aux(aux_logits, include_top)
    check_fraction("dropout", dropout)
    image, inputs = model_input(input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, weights=weights)

    # 299x299x3 -> 35x35x192
    x = conv_norm_act(image, 32, 3, 2, padding="valid", norm=norm, act=act, name="conv1")
    x = conv_norm_act(x, 32, 3, padding="valid", norm=norm, act=act, name="conv2")
    x = conv_norm_act(x, 64, 3, norm=norm, act=act, name="conv3")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = conv_norm_act(x, 80, 1, padding="valid", norm=norm, act=act, name="conv4")
    x = conv_norm_act(x, 192, 3, padding="valid", norm=norm, act=act, name="conv5")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool2")(x)

    # 35x35x192 -> 17x17x768 -> 8x8x2048
    aux_outputs = []
    for label, spec in INCEPTION_V3_TABLE.items():
        x = inception_module(x, reduce_padding="valid", count_include_pad=count_include_pad, norm=norm, act=act, name=label, **spec)
        if aux_logits and label == V3_AUX_AFTER:
            aux_outputs.append(
                auxiliary_classifier(
                    x, classes, convs=(Conv(128, 1), Conv(768, 5)), flatten=False,
                    classifier_activation=classifier_activation, norm=norm, act=act, name="aux",
                )
            )
    x = _top(x, include_top=include_top, pooling=pooling, classes=classes, classifier_activation=classifier_activation, dropout=dropout)
    outputs = [x, *aux_outputs] if aux_outputs else x
    return finish(inputs, outputs, name=name, weights=weights, pretrained=pretrained, include_top=include_top, architecture=architecture)


register_variants(GOOGLENET_VARIANTS, GoogLeNet, family="inception", paper=GOOGLENET_PAPER)
register_variants(INCEPTION_V2_VARIANTS, InceptionV2, family="inception", paper=BN_INCEPTION_PAPER)
register_variants(INCEPTION_V3_VARIANTS, InceptionV3, family="inception", paper=INCEPTION_V3_PAPER)
