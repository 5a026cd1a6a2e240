"""Local response normalization across channels (Krizhevsky et al. 2012, Sec. 3.3).

    b[i] = a[i] / (k + alpha * sum_{j = i - n//2}^{i + (n-1)//2} a[j]^2) ** beta

with the sum clipped to the existing channels. The paper's values are the
defaults: k = 2, n = 5, alpha = 1e-4, beta = 0.75. Note that ``alpha`` is *not*
divided by ``n`` (as in the paper and ``tf.nn.local_response_normalization``;
PyTorch's ``LocalResponseNorm`` divides it).
"""

import keras
from keras import ops

from keras_classics.layers.axis import channel_axis


@keras.saving.register_keras_serializable(package="keras_classics")
class LocalResponseNormalization(keras.layers.Layer):
    """Normalises each activation by the energy of its ``size`` neighbouring channels.

    Args:
        size: ``n``, the number of adjacent channels summed over.
        alpha: scale of the sum of squares.
        beta: exponent.
        k: additive constant (bias).
        axis: the channel axis; ``None`` means the one ``keras.config.image_data_format()`` says.
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, axis=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"`size`: received {size!r}; allowed: an integer >= 1.")
        for arg, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"`{arg}`: received {value!r}; allowed: a number >= 0.")
        self.size, self.alpha, self.beta, self.k = size, float(alpha), float(beta), float(k)
        self.axis = channel_axis() if axis is None else axis

    def call(self, inputs):
        x = ops.moveaxis(inputs, self.axis, -1)
        channels = x.shape[-1]
        squares = ops.square(x)
        pad = [(0, 0)] * (len(x.shape) - 1) + [(self.size // 2, (self.size - 1) // 2)]
        padded = ops.pad(squares, pad)
        window_sum = padded[..., 0:channels]
        for offset in range(1, self.size):
            window_sum = window_sum + padded[..., offset : offset + channels]
        y = x / ops.power(self.k + self.alpha * window_sum, self.beta)
        return ops.moveaxis(y, -1, self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "size": self.size,
            "alpha": self.alpha,
            "beta": self.beta,
            "k": self.k,
            "axis": self.axis,
        }
