"""LeNet-5's output layer of Euclidean radial basis function units (LeCun et al. 1998, Sec. II-B)."""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="keras_classics")
class EuclideanRBF(keras.layers.Layer):
    """``y_i = sum_j (x_j - w_ij)^2`` with fixed (non-trainable) ``w``; returns ``-y`` as logits.

    The paper fixes ``w`` to +-1 bitmaps of stylised 7x12 characters; those
    bitmaps are not published as data, so here each class's code is a fixed
    +-1 vector drawn from a seeded generator (``code_seed``). Returning the
    negative distance lets a softmax and cross-entropy play the role of the
    paper's criterion (its Eq. 9 is cross-entropy on ``-y`` with one extra
    constant "rubbish" class).
    """

    def __init__(self, units, code_seed=1998, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.code_seed = code_seed

    def build(self, input_shape):
        features = input_shape[-1]
        codes = np.random.default_rng(self.code_seed).choice([-1.0, 1.0], size=(features, self.units))
        self.centers = self.add_weight(
            name="centers",
            shape=(features, self.units),
            initializer=keras.initializers.Constant(codes.astype("float32")),
            trainable=False,
        )

    def call(self, inputs):
        # |x - w|^2 = |x|^2 - 2 x.w + |w|^2, for every class at once
        x2 = ops.sum(ops.square(inputs), axis=-1, keepdims=True)
        w2 = ops.sum(ops.square(self.centers), axis=0, keepdims=True)
        return -(x2 - 2.0 * ops.matmul(inputs, self.centers) + w2)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "code_seed": self.code_seed}
