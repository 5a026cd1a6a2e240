"""A convolution with a sparse connection table between input and output maps.

LeNet-5's C3 (LeCun et al. 1998, Table I) connects each of its 16 maps to only
some of the 6 maps of S2, "to keep the number of connections within reasonable
bounds" and "to break the symmetry in the network". Only the connected kernels
are weights, so the layer has exactly the paper's 1,516 parameters.
"""

import keras
import numpy as np
from keras import ops

from keras_classics.layers.axis import channel_axis


@keras.saving.register_keras_serializable(package="keras_classics")
class PartialConv2D(keras.layers.Layer):
    """2D convolution where output map ``j`` sees only the input maps ``connections[j]``.

    Args:
        kernel_size: int or (rows, cols).
        connections: one list of input-map indices per output map.
        strides, padding: as ``keras.layers.Conv2D``.
        use_bias: one bias per output map.
    """

    def __init__(self, kernel_size, connections, strides=1, padding="valid", use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if not connections or not all(len(c) > 0 for c in connections):
            raise ValueError(f"`connections`: received {connections!r}; allowed: a non-empty list of non-empty index lists.")
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.connections = [sorted(int(i) for i in c) for c in connections]
        self.filters = len(self.connections)
        self.strides = strides
        self.padding = padding
        self.use_bias = use_bias

    def build(self, input_shape):
        in_maps = input_shape[channel_axis()]
        used = max(max(c) for c in self.connections)
        if used >= in_maps:
            raise ValueError(f"`connections`: refers to input map {used}; allowed: indices below the input's {in_maps} maps.")
        pairs = [(i, j) for j, c in enumerate(self.connections) for i in c]
        # one-hot (connection -> (input map, output map)) scatter, applied to the kernel in call()
        scatter = np.zeros((len(pairs), in_maps * self.filters), dtype="float32")
        for row, (i, j) in enumerate(pairs):
            scatter[row, i * self.filters + j] = 1.0
        self._scatter = scatter
        self._in_maps = in_maps
        area = self.kernel_size[0] * self.kernel_size[1]
        fan_in, fan_out = area * len(pairs) / self.filters, area * len(pairs) / in_maps
        limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
        self.kernel = self.add_weight(
            name="kernel", shape=(*self.kernel_size, len(pairs)), initializer=keras.initializers.RandomUniform(-limit, limit)
        )
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros") if self.use_bias else None

    def full_kernel(self):
        """The dense (rows, cols, in_maps, filters) kernel, zero where maps are not connected."""
        rows, cols = self.kernel_size
        flat = ops.reshape(self.kernel, (rows * cols, -1))
        dense = ops.matmul(flat, ops.convert_to_tensor(self._scatter, dtype=self.kernel.dtype))
        return ops.reshape(dense, (rows, cols, self._in_maps, self.filters))

    def call(self, inputs):
        data_format = keras.config.image_data_format()
        y = ops.conv(inputs, self.full_kernel(), strides=self.strides, padding=self.padding, data_format=data_format)
        if self.bias is not None:
            shape = (1, 1, 1, self.filters) if data_format == "channels_last" else (1, self.filters, 1, 1)
            y = y + ops.reshape(self.bias, shape)
        return y

    def compute_output_shape(self, input_shape):
        conv = keras.layers.Conv2D(self.filters, self.kernel_size, strides=self.strides, padding=self.padding)
        return conv.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "connections": self.connections,
            "strides": self.strides,
            "padding": self.padding,
            "use_bias": self.use_bias,
        }
