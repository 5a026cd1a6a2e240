"""The networks the experiments train: registry models by name, and two small builders made of the library's blocks.

- ``"registry:<name>"``: ``keras_classics.get_model(name, input_shape=..., classes=..., **knobs)``.
- ``"stack"``: a small VGG-style stack of :func:`keras_classics.layers.conv_norm_act`
  stages, each followed by a pooling, and a fully connected or global-average head.
  Its knobs are exactly the ones the claims turn (activation, norm, pooling window,
  head, dropout, initialisation, depth).
- ``"resnet"``: a CIFAR-style residual (``shortcut="A"``) or plain (``shortcut=None``)
  network of :func:`keras_classics.layers.residual_stage` stages, small enough for
  the depth claim's quick size.
- ``"inception"``: two small Inception modules (:func:`keras_classics.layers.inception_module`)
  with an optional auxiliary classifier on the first (``aux=True``); the main output comes first.

Every knob value is plain data (strings and numbers), so the experiment stays
declarative and its CSV records it.
"""

from __future__ import annotations

BUILDERS = ("stack", "inception", "resnet")
INITIALIZERS = ("glorot_uniform", "he_normal", "small_normal")  # small_normal: N(0, 0.01^2), the notes' ``randn * 0.01``


def _initializer(name: str):
    import keras

    if name == "small_normal":
        return keras.initializers.RandomNormal(stddev=0.01)
    return keras.initializers.get(name)


def stack(input_shape, classes, *, widths=(16, 32), convs=1, kernel=3, act="relu", norm=None, pool=2, pool_stride=2,
          head="fc", fc=(64,), dropout=0.0, init="glorot_uniform", groups=4, name="stack"):
    """``len(widths)`` stages of ``convs`` convolutions (``kernel`` x ``kernel``, ``same``) then a max pooling.

    ``pool``/``pool_stride``: the pooling window and stride (3/2 overlaps, 2/2 does not).
    ``head``: ``"fc"`` (flatten, the ``fc`` hidden layers with ``dropout`` after each, classifier) or
    ``"gap"`` (global average pooling, ``dropout``, classifier). ``init``: one of :data:`INITIALIZERS`.
    ``norm="batch"`` uses momentum 0.9 (Keras's 0.99 is too slow to settle in a short run);
    ``norm="group"`` uses ``groups`` groups.
    """
    import keras

    from keras_classics import layers as kl

    if init not in INITIALIZERS:
        raise ValueError(f"`init`: received {init!r}; allowed: one of {', '.join(INITIALIZERS)}.")
    norm = _norm(norm, groups)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for s, width in enumerate(widths, start=1):
        for c in range(1, convs + 1):
            x = kl.conv_norm_act(x, width, kernel, norm=norm, act=act, kernel_initializer=_initializer(init), name=f"s{s}c{c}")
        x = keras.layers.MaxPooling2D(pool, strides=pool_stride, padding="same", name=f"s{s}_pool")(x)
    if head == "gap":
        x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="gap_dropout")(x)
        outputs = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    elif head == "fc":
        outputs = kl.dense_head(x, tuple(fc), classes, "softmax", dropout=dropout, act=act)
    else:
        raise ValueError(f"`head`: received {head!r}; allowed: 'fc' or 'gap'.")
    return keras.Model(inputs, outputs, name=name)


def _norm(name, groups):
    from keras_classics import layers as kl

    if name == "batch":
        return kl.norm("batch", momentum=0.9)
    if name == "group":
        return kl.norm("group", groups=groups)
    return kl.norm(name)


def resnet(input_shape, classes, *, widths=(8, 16), blocks=1, shortcut="A", name="resnet"):
    """A 3x3 stem, one stage of ``blocks`` basic blocks per width (strided from the second), GAP, classifier."""
    import keras

    from keras_classics import layers as kl

    config = kl.ResidualConfig(norm=_norm("batch", 0), act=kl.activation("relu"), shortcut=shortcut, conv_bias=False)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = kl.conv_norm_act(inputs, widths[0], 3, norm=config.norm, name="stem")
    for s, width in enumerate(widths):
        x = kl.residual_stage(x, width, blocks, 1 if s == 0 else 2, branch=kl.basic_branch, config=config, name=f"stage{s + 1}")
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax", name="predictions")(x), name=name)


def inception(input_shape, classes, *, aux=False, name="inception"):
    """Stem, Inception module, (auxiliary classifier), pooling, Inception module, global average pooling, classifier."""
    import keras

    from keras_classics import layers as kl

    Conv = kl.Conv
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = kl.conv_norm_act(inputs, 32, 3, name="stem")
    x = keras.layers.MaxPooling2D(2, name="stem_pool")(x)
    x = kl.inception_module(x, (Conv(16, 1), (Conv(16, 1), Conv(24, 3)), (Conv(8, 1), Conv(16, 5))), pool_proj=16, name="mixed1")
    side = x
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = kl.inception_module(x, (Conv(32, 1), (Conv(24, 1), Conv(48, 3)), (Conv(8, 1), Conv(16, 5))), pool_proj=16, name="mixed2")
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    main = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    if not aux:
        return keras.Model(inputs, main, name=name)
    head = kl.auxiliary_classifier(side, classes, convs=(Conv(32, 1),), hidden_units=(64,), dropout=0.0, name="aux")
    return keras.Model(inputs, [main, head], name=name)


def build(arm, input_shape, classes):
    """The Keras model of experiment arm ``arm`` (a :class:`keras_classics.lab.claim.Model`)."""
    if arm.build.startswith("registry:"):
        import keras_classics

        return keras_classics.get_model(arm.build.split(":", 1)[1], input_shape=tuple(input_shape), classes=classes, **arm.knobs)
    if arm.build == "stack":
        return stack(input_shape, classes, **arm.knobs)
    if arm.build == "inception":
        return inception(input_shape, classes, **arm.knobs)
    if arm.build == "resnet":
        return resnet(input_shape, classes, **arm.knobs)
    raise ValueError(f"`build`: received {arm.build!r}; allowed: 'registry:<name>' or one of {', '.join(BUILDERS)}.")


def input_channels(arm, dataset) -> int:
    """The channels an arm's model takes: the registry entry's; the lab's own builders take 1 on the grey digits, else 3."""
    if arm.build.startswith("registry:"):
        import keras_classics

        return keras_classics.model_info(arm.build.split(":", 1)[1]).channels
    return 1 if dataset in ("digits", "mnist", "fashion_mnist") else 3
