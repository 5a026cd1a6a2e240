"""ResNet (He et al., CVPR 2016), ResNetV2 (ECCV 2016), ResNeXt (CVPR 2017), the CIFAR ResNets and plain networks.

Every network here is one call of :func:`resnet` with a row of ``VARIANTS``
(branch, blocks per stage, stem, widths, version; its sizes, weights and reference)
and the row of ``VERSIONS`` it names (activation order, where the stride sits,
conv biases, BN constants). The blocks themselves
live in :mod:`keras_classics.layers.residual`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import keras

from keras_classics._validate import check_bool, check_choice, check_int
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.conv import conv_norm_act, norm_act
from keras_classics.layers.heads import dense_head, global_pool
from keras_classics.layers.norm import network_norm
from keras_classics.layers.residual import ResidualConfig, basic_branch, bottleneck_branch, residual_stage
from keras_classics.models.base import check_arguments, finish, keywords, model_input
from keras_classics.registry import Paper, Variant, register_variants

RESNET_PAPER = Paper("Deep Residual Learning for Image Recognition", "K. He, X. Zhang, S. Ren, J. Sun", "CVPR", 2016, "https://arxiv.org/abs/1512.03385")
RESNET_V2_PAPER = Paper("Identity Mappings in Deep Residual Networks", "K. He, X. Zhang, S. Ren, J. Sun", "ECCV", 2016, "https://arxiv.org/abs/1603.05027")
RESNEXT_PAPER = Paper("Aggregated Residual Transformations for Deep Neural Networks", "S. Xie, R. Girshick, P. Dollar, Z. Tu, K. He", "CVPR", 2017, "https://arxiv.org/abs/1611.05431")

# No layer here needs a minimum: every convolution and pooling is padded, so even a
# 1x1 input keeps a 1x1 map to the end (32x32 is the smallest input whose last stage
# sees more than one pixel before its stride, keras.applications' minimum).
MIN_SIZE = 1


@dataclass(frozen=True)
class Version:
    """How a residual network is wired, beyond its depth (see the table below)."""

    preact: bool
    conv_bias: bool | None
    stride_in_3x3: bool
    stride_block: int  # which block of a stage is strided: 0 the first, -1 the last
    bn_epsilon: float
    bn_momentum: float


VERSIONS = {
    # He et al.'s released model and keras.applications.ResNet50/101/152: the stride in
    # the first 1x1, a bias on every convolution (even before a BN), BN epsilon 1.001e-5.
    "v1": Version(preact=False, conv_bias=True, stride_in_3x3=False, stride_block=0, bn_epsilon=1.001e-5, bn_momentum=0.99),
    # torchvision ("ResNet v1.5"): the stride in the 3x3, no conv bias, PyTorch's BN
    # constants (epsilon 1e-5, momentum 0.1, which is 0.9 in Keras terms).
    "v1.5": Version(preact=False, conv_bias=None, stride_in_3x3=True, stride_block=0, bn_epsilon=1e-5, bn_momentum=0.9),
    # keras.applications.ResNet50V2/101V2/152V2: pre-activation, the stride in the 3x3
    # of each stage's LAST block (as TF-slim's resnet_v2), a bias only where no BN follows.
    "v2": Version(preact=True, conv_bias=None, stride_in_3x3=True, stride_block=-1, bn_epsilon=1.001e-5, bn_momentum=0.99),
}


def imagenet_stem(x, *, norm, act, conv_bias):
    """7x7/2 convolution (64) and 3x3/2 max pooling: 224x224x3 -> 56x56x64."""
    x = conv_norm_act(x, 64, 7, 2, padding=3, use_bias=conv_bias, norm=norm, act=act, name="conv1")
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)


def cifar_stem(x, *, norm, act, conv_bias):
    """3x3 convolution (16): 32x32x3 -> 32x32x16 (the paper's Sec. 4.2)."""
    return conv_norm_act(x, 16, 3, padding=1, use_bias=conv_bias, norm=norm, act=act, name="conv1")


@dataclass(frozen=True, kw_only=True)
class ResNetVariant(Variant):
    """A row of ``VARIANTS``: the depth and shape of one network."""

    branch: object
    stage_depths: tuple
    version: str = "v1"
    stem: object = imagenet_stem
    stage_widths: tuple = (64, 128, 256, 512)
    stage_strides: tuple = (1, 2, 2, 2)
    shortcut: str | None = "B"
    groups: int = 1
    bottleneck_width: int = 64
    default_size: int = 224
    min_size: int = MIN_SIZE


_CIFAR = dict(version="v1.5", stem=cifar_stem, stage_widths=(16, 32, 64), stage_strides=(1, 2, 2), shortcut="A", default_size=32, classes=10)

_DEPTHS = {
    "resnet18": ResNetVariant(branch=basic_branch, stage_depths=(2, 2, 2, 2), version="v1.5", reference="resnet18", description="torchvision's ResNet-18"),
    "resnet34": ResNetVariant(branch=basic_branch, stage_depths=(3, 4, 6, 3), version="v1.5", reference="resnet34", description="torchvision's ResNet-34"),
    "resnet50": ResNetVariant(
        branch=bottleneck_branch, stage_depths=(3, 4, 6, 3), pretrained="resnet50", reference=("resnet50", "v1:"),
        description="keras.applications.ResNet50 (v1: stride in the 1x1, conv biases)",
    ),
    "resnet101": ResNetVariant(
        branch=bottleneck_branch, stage_depths=(3, 4, 23, 3), pretrained="resnet101", reference=("resnet101", "v1 "), description="keras.applications.ResNet101 (v1)",
    ),
    "resnet152": ResNetVariant(
        branch=bottleneck_branch, stage_depths=(3, 8, 36, 3), pretrained="resnet152", reference=("resnet152", "v1 "), description="keras.applications.ResNet152 (v1)",
    ),
    "resnext50_32x4d": ResNetVariant(
        branch=bottleneck_branch, stage_depths=(3, 4, 6, 3), version="v1.5", groups=32, bottleneck_width=128, paper=RESNEXT_PAPER,
        reference="resnext50_32x4d", description="torchvision's ResNeXt-50 32x4d",
    ),
    "resnext101_32x8d": ResNetVariant(
        branch=bottleneck_branch, stage_depths=(3, 4, 23, 3), version="v1.5", groups=32, bottleneck_width=256, paper=RESNEXT_PAPER,
        reference="resnext101_32x8d", description="torchvision's ResNeXt-101 32x8d",
    ),
    # CIFAR-10 (Sec. 4.2): 6n + 2 layers, n basic blocks per stage of 16, 32, 64 filters
    "resnet20_cifar": ResNetVariant(branch=basic_branch, stage_depths=(3, 3, 3), **_CIFAR, reference="resnet20_cifar", description="CIFAR-10 ResNet-20, option A"),
    "resnet32_cifar": ResNetVariant(branch=basic_branch, stage_depths=(5, 5, 5), **_CIFAR, reference="resnet32_cifar", description="CIFAR-10 ResNet-32, option A"),
    "resnet44_cifar": ResNetVariant(branch=basic_branch, stage_depths=(7, 7, 7), **_CIFAR, reference="resnet44_cifar", description="CIFAR-10 ResNet-44, option A"),
    "resnet56_cifar": ResNetVariant(branch=basic_branch, stage_depths=(9, 9, 9), **_CIFAR, reference="resnet56_cifar", description="CIFAR-10 ResNet-56, option A"),
    "resnet110_cifar": ResNetVariant(
        branch=basic_branch, stage_depths=(18, 18, 18), **_CIFAR, reference="resnet110_cifar", description="CIFAR-10 ResNet-110, option A",
    ),
}


def _v1_5(key, description):  # torchvision's wiring of a keras.applications depth
    return replace(_DEPTHS[key], version="v1.5", pretrained=None, reference=(key, "v1.5"), description=description)


def _v2(key, **facts):  # pre-activation
    return replace(_DEPTHS[key], version="v2", paper=RESNET_V2_PAPER, pretrained=f"{key}_v2", **facts)


def _plain(key, description):  # the paper's Fig. 4 / Fig. 6 degradation experiment: no reference row
    return replace(_DEPTHS[key], shortcut=None, pretrained=None, reference=None, description=description)


VARIANTS = {
    **_DEPTHS,
    "resnet50_torchvision": _v1_5("resnet50", "torchvision's ResNet-50 (v1.5: stride in the 3x3, no conv bias)"),
    "resnet101_torchvision": _v1_5("resnet101", "torchvision's ResNet-101 (v1.5)"),
    "resnet152_torchvision": _v1_5("resnet152", "torchvision's ResNet-152 (v1.5)"),
    "resnet50_v2": _v2("resnet50", reference="resnet50_v2", description="keras.applications.ResNet50V2 (pre-activation)"),
    # ResNet101V2/152V2 and plain-110 are builders only (ResNet101V2(), ResNet110(shortcut=None)):
    # no reference row, and the registry harness builds every entry several times.
    "resnet101_v2": _v2("resnet101", reference=None, description="keras.applications.ResNet101V2", registered=False),
    "resnet152_v2": _v2("resnet152", reference=None, description="keras.applications.ResNet152V2", registered=False),
    "resnet18_plain": _plain("resnet18", "ResNet-18 without shortcuts"),
    "resnet34_plain": _plain("resnet34", "ResNet-34 without shortcuts (the paper's plain-34)"),
    "resnet20_cifar_plain": _plain("resnet20_cifar", "plain-20 (CIFAR)"),
    "resnet32_cifar_plain": _plain("resnet32_cifar", "plain-32 (CIFAR)"),
    "resnet44_cifar_plain": _plain("resnet44_cifar", "plain-44 (CIFAR)"),
    "resnet56_cifar_plain": _plain("resnet56_cifar", "plain-56 (CIFAR)"),
}
_NETWORK_FIELDS = tuple(f.name for f in fields(ResNetVariant) if f.name not in {g.name for g in fields(Variant)})


def _network(row):
    return tuple(getattr(row, name) for name in _NETWORK_FIELDS)


def _pretrained(spec):
    """The ImageNet weights of the network ``spec`` describes, from whichever row offers them (ResNet50(version="v2"))."""
    return next((row.pretrained for row in VARIANTS.values() if row.pretrained and _network(row) == _network(spec)), None)


def _architecture(spec):
    """The registry name of the network ``spec`` describes (ResNet50(version="v1.5") is resnet50_torchvision)."""
    return next((key for key, row in VARIANTS.items() if row.registered and _network(row) == _network(spec)), None)


_UNSET = object()


def resnet(
    variant,
    *,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=None,
    classifier_activation="softmax",
    name=None,
    version=None,
    shortcut=_UNSET,
    groups=None,
    bottleneck_width=None,
    zero_init_last=False,
    norm="batch",
    activation="relu",
):
    """Build the residual network ``variant`` (a key of ``VARIANTS``).

    Papers: K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
    Recognition", CVPR 2016, https://arxiv.org/abs/1512.03385; "Identity Mappings
    in Deep Residual Networks", ECCV 2016, https://arxiv.org/abs/1603.05027;
    S. Xie et al., "Aggregated Residual Transformations for Deep Neural Networks",
    CVPR 2017, https://arxiv.org/abs/1611.05431.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as ``keras.applications.ResNet50``, except that
            ``weights`` defaults to ``None``. With the default knobs, ``weights="imagenet"``
            loads keras.applications' file for ResNet50/101/152 at ``version="v1"``
            and ``"v2"``, and torchvision's default checkpoint for the torchvision
            wiring (ResNet-18/34, ``"v1.5"``, ResNeXt); ``"torchvision:IMAGENET1K_V1"``,
            ``"timm:resnet50.a1_in1k"`` or a ``.pth`` / ``.safetensors`` file name
            another (see ``docs/weights.md``). ``classes`` and ``name`` default to the row's.
        version: ``"v1"`` (keras.applications' ResNet: stride in the first 1x1, conv
            biases, BN epsilon 1.001e-5), ``"v1.5"`` (torchvision: stride in the 3x3,
            no conv biases, BN epsilon 1e-5) or ``"v2"`` (keras.applications'
            ResNetV2: pre-activation). ``None`` means the variant's default.
        shortcut: ``"A"`` (zero-padded identity, no parameters), ``"B"`` (projection
            where the width changes), ``"C"`` (projection in every block) or ``None``
            (a plain network: no shortcuts, the same convolutions).
        groups, bottleneck_width: ResNeXt's cardinality and the width of the
            bottleneck 3x3 in the first stage (``groups`` must divide it).
        zero_init_last: start each branch's last BN with gamma = 0 (Goyal et al.
            2017, "Accurate, Large Minibatch SGD"); in v2, whose branch ends in a
            convolution, that convolution's kernel starts at zero instead.
        norm, activation: the normalization and activation (names or factories).

    Departures from the papers: the ImageNet nets at ``"v1"`` follow the released
    model (stride in the 1x1, conv biases), which the paper does not specify;
    ``"v2"`` puts the stride at the end of a stage, as keras.applications; option A
    appends the zero channels after the existing ones.
    """
    row = VARIANTS[variant]
    classes, name = row.classes if classes is None else classes, variant if name is None else name
    version = check_choice("version", row.version if version is None else version, VERSIONS)
    shortcut = row.shortcut if shortcut is _UNSET else shortcut
    groups = check_int("groups", row.groups if groups is None else groups, minimum=1)
    bottleneck_width = check_int("bottleneck_width", row.bottleneck_width if bottleneck_width is None else bottleneck_width, minimum=1)
    check_bool("zero_init_last", zero_init_last)
    spec = replace(row, version=version, shortcut=shortcut, groups=groups, bottleneck_width=bottleneck_width)
    canonical = (zero_init_last, norm, activation) == (False, "batch", "relu")
    pretrained, architecture = (_pretrained(spec), _architecture(spec)) if canonical else (None, None)
    check_arguments(
        include_top=include_top, weights=weights, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, pretrained=pretrained, architecture=architecture,
    )
    wiring = VERSIONS[version]
    config = ResidualConfig(
        norm=network_norm(norm, epsilon=wiring.bn_epsilon, momentum=wiring.bn_momentum),
        act=resolve_activation(activation),
        preact=wiring.preact,
        shortcut=shortcut,
        conv_bias=wiring.conv_bias,
        stride_in_3x3=wiring.stride_in_3x3,
        groups=groups,
        bottleneck_width=bottleneck_width,
        zero_init_last=zero_init_last,
    )
    image, inputs = model_input(input_tensor, input_shape, default_size=spec.default_size, min_size=spec.min_size, weights=weights)

    # v2 has no norm or activation after the stem convolution: each block starts with them
    stem_norm, stem_act = (None, None) if config.preact else (config.norm, config.act)
    x = spec.stem(image, norm=stem_norm, act=stem_act, conv_bias=config.conv_bias)
    strides = spec.stage_strides
    if wiring.stride_block == -1:  # v2 takes the stride that enters stage i + 1 at the end of stage i
        strides = strides[1:] + (1,)
    for stage, (filters, blocks, stride) in enumerate(zip(spec.stage_widths, spec.stage_depths, strides)):
        # ImageNet, v1: 56x56x64 -> 56x56x256 -> 28x28x512 -> 14x14x1024 -> 7x7x2048 (bottleneck)
        x = residual_stage(
            x, filters, blocks, stride, branch=spec.branch, config=config, name=f"conv{stage + 2}",
            stride_block=wiring.stride_block,
        )
    if config.preact:
        x = norm_act(x, norm=config.norm, act=config.act, name="post")
    if include_top:
        x = global_pool(x, "avg")
        x = dense_head(x, (), classes, classifier_activation, flatten=False)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights, pretrained=pretrained, include_top=include_top, architecture=architecture)


def ResNet18(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet18", **kwargs):
    """ResNet-18: basic blocks 2-2-2-2, torchvision's wiring by default (``version="v1.5"``). Knobs: see :func:`resnet`."""
    return resnet("resnet18", **keywords(locals()))


def ResNet34(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet34", **kwargs):
    """ResNet-34: basic blocks 3-4-6-3, torchvision's wiring by default (``version="v1.5"``). Knobs: see :func:`resnet`."""
    return resnet("resnet34", **keywords(locals()))


def ResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50", **kwargs):
    """ResNet-50: bottleneck blocks 3-4-6-3; keras.applications.ResNet50's graph by default, torchvision's with ``version="v1.5"``. Knobs: see :func:`resnet`."""
    return resnet("resnet50", **keywords(locals()))


def ResNet101(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet101", **kwargs):
    """ResNet-101: bottleneck blocks 3-4-23-3; keras.applications.ResNet101's graph by default, torchvision's with ``version="v1.5"``. Knobs: see :func:`resnet`."""
    return resnet("resnet101", **keywords(locals()))


def ResNet152(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet152", **kwargs):
    """ResNet-152: bottleneck blocks 3-8-36-3; keras.applications.ResNet152's graph by default, torchvision's with ``version="v1.5"``. Knobs: see :func:`resnet`."""
    return resnet("resnet152", **keywords(locals()))


def ResNet50V2(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
               classifier_activation="softmax", name="resnet50v2", **kwargs):
    """Pre-activation ResNet-50 (``version="v2"``): keras.applications.ResNet50V2's graph. Knobs: see :func:`resnet`."""
    return resnet("resnet50_v2", **keywords(locals()))


def ResNet101V2(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="resnet101v2", **kwargs):
    """Pre-activation ResNet-101 (``version="v2"``): keras.applications.ResNet101V2's graph. Knobs: see :func:`resnet`."""
    return resnet("resnet101_v2", **keywords(locals()))


def ResNet152V2(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="resnet152v2", **kwargs):
    """Pre-activation ResNet-152 (``version="v2"``): keras.applications.ResNet152V2's graph. Knobs: see :func:`resnet`."""
    return resnet("resnet152_v2", **keywords(locals()))


def ResNeXt50_32x4d(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", name="resnext50_32x4d", **kwargs):
    """ResNeXt-50 (32x4d): ResNet-50 with 32-group 3x3s of 4 channels per group in the first stage; torchvision's wiring. Knobs: see :func:`resnet`."""
    return resnet("resnext50_32x4d", **keywords(locals()))


def ResNeXt101_32x8d(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                     classifier_activation="softmax", name="resnext101_32x8d", **kwargs):
    """ResNeXt-101 (32x8d): ResNet-101 with 32-group 3x3s of 8 channels per group in the first stage; torchvision's wiring. Knobs: see :func:`resnet`."""
    return resnet("resnext101_32x8d", **keywords(locals()))


def ResNet20(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
             classifier_activation="softmax", name="resnet20", **kwargs):
    """CIFAR ResNet-20 (n=3): 32x32 input, 16/32/64 filters, option-A shortcuts. Knobs: see :func:`resnet`."""
    return resnet("resnet20_cifar", **keywords(locals()))


def ResNet32(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
             classifier_activation="softmax", name="resnet32", **kwargs):
    """CIFAR ResNet-32 (n=5): 32x32 input, 16/32/64 filters, option-A shortcuts. Knobs: see :func:`resnet`."""
    return resnet("resnet32_cifar", **keywords(locals()))


def ResNet44(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
             classifier_activation="softmax", name="resnet44", **kwargs):
    """CIFAR ResNet-44 (n=7): 32x32 input, 16/32/64 filters, option-A shortcuts. Knobs: see :func:`resnet`."""
    return resnet("resnet44_cifar", **keywords(locals()))


def ResNet56(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
             classifier_activation="softmax", name="resnet56", **kwargs):
    """CIFAR ResNet-56 (n=9): 32x32 input, 16/32/64 filters, option-A shortcuts. Knobs: see :func:`resnet`."""
    return resnet("resnet56_cifar", **keywords(locals()))


def ResNet110(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
              classifier_activation="softmax", name="resnet110", **kwargs):
    """CIFAR ResNet-110 (n=18): 32x32 input, 16/32/64 filters, option-A shortcuts. Knobs: see :func:`resnet`."""
    return resnet("resnet110_cifar", **keywords(locals()))


register_variants(VARIANTS, resnet, family="resnet", paper=RESNET_PAPER, key_argument="variant")
