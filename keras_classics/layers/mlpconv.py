"""The mlpconv block of Network in Network (Lin, Chen & Yan, ICLR 2014)."""

from keras_classics.layers.conv import conv_norm_act


def mlpconv(x, filters, kernel_size, strides=1, *, padding="same", norm=None, act="relu", final_act="same", name):
    """A ``kernel_size`` convolution followed by two 1x1 convolutions (a small MLP shared across positions).

    Args:
        final_act: activation of the last 1x1 convolution; ``"same"`` means ``act``,
            ``None`` leaves it linear (the class-score block).
    """
    x = conv_norm_act(x, filters, kernel_size, strides, padding=padding, norm=norm, act=act, name=f"{name}_conv1")
    x = conv_norm_act(x, filters, 1, norm=norm, act=act, name=f"{name}_mlp1")
    return conv_norm_act(x, filters, 1, norm=norm, act=act if final_act == "same" else final_act, name=f"{name}_mlp2")
