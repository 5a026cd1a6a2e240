"""What the cost and exact claims measure: no training, the same figures on every run.

Each function returns a DataFrame with the columns :data:`COLUMNS`: one row per
``quantity``, its measured ``value``, the ``expected`` figure computed by hand
(NaN where there is none) and a ``note``. Costs come from
:func:`keras_classics.profile` (parameters, multiply-accumulates, receptive
field); the numerical claims run Keras layers and the library's residual block on
a tensor.
"""

from __future__ import annotations

import math

COLUMNS = ("quantity", "value", "expected", "note")


def _frame(rows):
    import pandas as pd

    return pd.DataFrame([dict(zip(COLUMNS, (q, float(v), math.nan if e is None else float(e), n))) for q, v, e, n in rows],
                        columns=list(COLUMNS))


def _costs(layers_of, input_shape):
    """(params, MACs, receptive field) of the model ``Input(input_shape) -> layers_of(x)``."""
    import keras

    import keras_classics

    inputs = keras.Input(shape=input_shape)
    frame = keras_classics.profile(keras.Model(inputs, layers_of(inputs)))
    return int(frame["params"].sum()), int(frame["macs"].sum()), int(frame["receptive_field"].max())


def small_kernels():
    """Two stacked 3x3 convolutions against one 5x5: parameters, MACs and receptive field, 1 and 64 channels."""
    import keras

    def five(channels, bias):
        return lambda x: keras.layers.Conv2D(channels, 5, padding="same", use_bias=bias)(x)

    def two_threes(channels, bias):
        return lambda x: keras.layers.Conv2D(channels, 3, padding="same", use_bias=bias, activation="relu")(
            keras.layers.Conv2D(channels, 3, padding="same", use_bias=bias, activation="relu")(x))

    p5, _, rf5 = _costs(five(1, True), (5, 5, 1))
    p33, _, rf33 = _costs(two_threes(1, True), (5, 5, 1))
    q5, m5, _ = _costs(five(64, False), (32, 32, 64))
    q33, m33, _ = _costs(two_threes(64, False), (32, 32, 64))
    return _frame([
        ("params 5x5, 1 channel", p5, 5 * 5 + 1, "the notes' (5*5+1)"),
        ("params 2x 3x3, 1 channel", p33, (3 * 3 + 1) * 2, "the notes' (3*3+1)*2"),
        ("receptive field 5x5", rf5, 5, "input pixels one output sees"),
        ("receptive field 2x 3x3", rf33, 5, ""),
        ("params 5x5, 64 channels", q5, 25 * 64 * 64, "no bias"),
        ("params 2x 3x3, 64 channels", q33, 2 * 9 * 64 * 64, "no bias: 18/25 of the 5x5"),
        ("MACs 5x5, 64 channels, 32x32", m5, 32 * 32 * 64 * 25 * 64, ""),
        ("MACs 2x 3x3, 64 channels, 32x32", m33, 2 * 32 * 32 * 64 * 9 * 64, ""),
    ])


def bottleneck():
    """The notes' example: 28x28x192 -> 5x5 convolution -> 28x28x32, without and with a 1x1 bottleneck to 16 channels."""
    import keras

    _, direct, _ = _costs(lambda x: keras.layers.Conv2D(32, 5, padding="same")(x), (28, 28, 192))
    _, reduced, _ = _costs(lambda x: keras.layers.Conv2D(32, 5, padding="same")(keras.layers.Conv2D(16, 1)(x)), (28, 28, 192))
    hand_direct, hand_reduced = 28 * 28 * 32 * 5 * 5 * 192, 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16
    return _frame([
        ("MACs 5x5 direct", direct, hand_direct, "28*28*32*(5*5*192): the notes' 'about 120 million'"),
        ("MACs 1x1 to 16, then 5x5", reduced, hand_reduced, "28*28*16*192 + 28*28*32*(5*5*16): the notes' 'about 12 million'"),
        ("reduction factor", direct / reduced, hand_direct / hand_reduced, "direct / with bottleneck"),
    ])


def gap_head():
    """Parameters of the gap-overfitting claim's network (full size) with a fully connected head and with global average pooling."""
    from keras_classics.lab.claims_training import GAP_SIZE, GAP_STACK
    from keras_classics.lab.models import stack

    size = GAP_SIZE
    fc = stack((size, size, 1), 10, head="fc", **GAP_STACK).count_params()
    gap = stack((size, size, 1), 10, head="gap", **GAP_STACK).count_params()
    widths, hidden = GAP_STACK["widths"], GAP_STACK["fc"][0]
    trunk = sum(9 * c_in * c_out + c_out for c_in, c_out in zip((1, *widths[:-1]), widths))
    flat = (size // 2 ** len(widths)) ** 2 * widths[-1]  # a 2x2 pooling per stage
    return _frame([
        ("params, FC head", fc, trunk + flat * hidden + hidden + hidden * 10 + 10, f"flatten {flat} -> {hidden} -> 10"),
        ("params, GAP head", gap, trunk + widths[-1] * 10 + 10, f"average of each of {widths[-1]} maps -> 10"),
        ("reduction factor", fc / gap, None, "FC / GAP"),
    ])


def grouped_conv():
    """A ResNeXt 3x3 of 128 channels in 32 groups against the same convolution ungrouped, on a 14x14 map."""
    import keras

    p1, m1, _ = _costs(lambda x: keras.layers.Conv2D(128, 3, padding="same", use_bias=False)(x), (14, 14, 128))
    p32, m32, _ = _costs(lambda x: keras.layers.Conv2D(128, 3, padding="same", groups=32, use_bias=False)(x), (14, 14, 128))
    return _frame([
        ("params ungrouped", p1, 9 * 128 * 128, ""),
        ("params 32 groups", p32, 9 * 128 * 128 // 32, "each output sees 4 of the 128 inputs"),
        ("MACs ungrouped", m1, 14 * 14 * 128 * 9 * 128, ""),
        ("MACs 32 groups", m32, 14 * 14 * 128 * 9 * 4, ""),
        ("params reduction factor", p1 / p32, 32, ""),
        ("MACs reduction factor", m1 / m32, 32, ""),
    ])


def _normalised(x, axes, epsilon):
    import numpy as np

    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + epsilon)


def _grouped(x, groups, epsilon):
    n, h, w, c = x.shape
    g = x.reshape(n, h, w, groups, c // groups)
    return _normalised(g, (1, 2, 4), epsilon).reshape(x.shape)


def norm_axes():
    """Which axes each Keras normalization averages over, on an NHWC tensor, against the notes' axes.

    The value of a row is the largest difference between the layer's output and a
    NumPy normalization over the notes' axes (0 up to rounding when they agree).
    """
    import keras
    import numpy as np

    from keras_classics import layers as kl

    eps = 1e-3
    rng = np.random.default_rng(0)
    n, h, w, c, groups = 4, 5, 6, 8, 4
    # a different mean and scale per example and per channel, so every choice of axes gives a different result
    x = (rng.normal(size=(n, h, w, c)) * rng.uniform(0.5, 3, size=(n, 1, 1, c)) + rng.normal(0, 5, size=(n, 1, 1, c))).astype("float32")

    def out(layer, **call):
        return keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor(x), **call)).astype("float64")

    x64 = x.astype("float64")
    rows = [
        ("BN over N,H,W", out(keras.layers.BatchNormalization(epsilon=eps), training=True), _normalised(x64, (0, 1, 2), eps), "BatchNormalization, training"),
        ("LN over C,H,W", out(keras.layers.LayerNormalization(axis=[1, 2, 3], epsilon=eps)), _normalised(x64, (1, 2, 3), eps), "LayerNormalization(axis=[1, 2, 3])"),
        ("IN over H,W", out(keras.layers.GroupNormalization(groups=-1, epsilon=eps)), _normalised(x64, (1, 2), eps), "GroupNormalization(groups=-1)"),
        (f"GN over C/G,H,W (G={groups})", out(keras.layers.GroupNormalization(groups=groups, epsilon=eps)), _grouped(x64, groups, eps), f"GroupNormalization(groups={groups})"),
        ("BN differs from LN", out(keras.layers.BatchNormalization(epsilon=eps), training=True), _normalised(x64, (1, 2, 3), eps), "must be far from 0"),
        ("keras_classics norm('layer') over C", out(kl.norm("layer")(c, "ln")), _normalised(x64, (3,), 1e-3),
         "the library's 'layer' normalises over C at each position (timm's LayerNorm2d), not the notes' C,H,W"),
    ]
    return _frame([(q, float(np.abs(a - b).max()), 0.0, note) for q, a, b, note in rows])


def residual_identity():
    """A residual block with every weight and bias zero, built with :func:`keras_classics.layers.residual_block`."""
    import keras
    import numpy as np

    from keras_classics import layers as kl

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 8, 8, 16)).astype("float32")

    def zero_block(preact):
        inputs = keras.Input(shape=(8, 8, 16))
        config = kl.ResidualConfig(norm=None, act=kl.activation("relu"), preact=preact, shortcut="B", conv_bias=True)
        model = keras.Model(inputs, kl.residual_block(inputs, 16, 1, branch=kl.basic_branch, config=config, name="block"))
        model.set_weights([np.zeros_like(w) for w in model.get_weights()])
        return lambda t: keras.ops.convert_to_numpy(model(t))

    v1, v2 = zero_block(False), zero_block(True)
    relu_x = np.maximum(x, 0)
    return _frame([
        ("v1 block, input a ReLU output: max |out - in|", np.abs(v1(relu_x) - relu_x).max(), 0.0, "the notes' a[l+2] = g(a[l]) = a[l]"),
        ("v2 (pre-activation) block, any input: max |out - in|", np.abs(v2(x) - x).max(), 0.0, "nothing after the addition"),
        ("v1 block, input of any sign: max |out - relu(in)|", np.abs(v1(x) - relu_x).max(), 0.0,
         "the ReLU after the addition clips negative inputs: identity only on non-negative ones"),
    ])
