"""AlexNet's PCA colour augmentation ("fancy PCA", Krizhevsky et al. 2012, Sec. 4.1).

Paper: A. Krizhevsky, I. Sutskever, G. E. Hinton, "ImageNet Classification with
Deep Convolutional Neural Networks", NeurIPS 2012,
https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks

To every pixel of an image it adds the same colour shift

    [p1, p2, p3] @ [a1 * l1, a2 * l2, a3 * l3]

where ``p_i`` and ``l_i`` are the eigenvectors and eigenvalues of the 3x3
covariance of the training set's RGB pixel values, and each ``a_i`` is drawn
once per image (per time it is shown) from N(0, 0.1). The defaults are the
ImageNet eigen-decomposition for pixels in [0, 1] that fb.resnet.torch and
torchvision's references use. ``keras_classics.datasets`` computes the
decomposition of the dataset actually trained on instead, as the paper did.

Departures from the paper: any channel count works (one channel gives a random
brightness shift), and the layer is the identity at inference.
"""

import keras

from keras_classics._validate import bad_argument

try:  # Keras's base for layers that also run inside tf.data on every backend
    from keras.src.layers.preprocessing.data_layer import DataLayer as _PipelineLayer
except ImportError:  # Keras < 3.11
    from keras.src.layers.preprocessing.tf_data_layer import TFDataLayer as _PipelineLayer

IMAGENET_EIGENVALUES = (0.2175, 0.0188, 0.0045)
IMAGENET_EIGENVECTORS = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)


def _as_matrix(argument, value, rows, cols):
    try:
        matrix = [[float(v) for v in row] for row in value] if cols else [float(v) for v in value]
    except (TypeError, ValueError):
        matrix = None
    shape_ok = matrix is not None and len(matrix) == rows and (not cols or all(len(r) == cols for r in matrix))
    if not shape_ok:
        raise bad_argument(argument, value, f"{rows} numbers" if not cols else f"a {rows}x{cols} nested list of numbers")
    return matrix


@keras.saving.register_keras_serializable(package="keras_classics")
class PCALighting(_PipelineLayer):
    """Adds a random colour shift along the principal components of the pixel colours.

    Works on images with channels last, a batch ``(N, H, W, C)`` or one image
    ``(H, W, C)``, inside a model or inside a ``tf.data`` pipeline on every
    backend. Its arithmetic uses the ``keras.ops`` API only (``self.backend``
    is ``keras.ops`` of the running backend, or of TensorFlow inside tf.data).

    Args:
        eigenvalues: the ``C`` eigenvalues of the pixel covariance (variances).
        eigenvectors: ``C x C``; column ``i`` is the eigenvector of eigenvalue ``i``.
        std: the standard deviation of the per-image coefficients (0.1 in the paper).
        seed: for the random coefficients.
    """

    def __init__(self, eigenvalues=IMAGENET_EIGENVALUES, eigenvectors=IMAGENET_EIGENVECTORS, std=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        channels = len(eigenvalues) if hasattr(eigenvalues, "__len__") else 0
        if channels < 1:
            raise bad_argument("eigenvalues", eigenvalues, "a non-empty sequence of numbers, one per channel")
        self.eigenvalues = _as_matrix("eigenvalues", eigenvalues, channels, 0)
        self.eigenvectors = _as_matrix("eigenvectors", eigenvectors, channels, channels)
        if isinstance(std, bool) or not isinstance(std, (int, float)) or std < 0:
            raise bad_argument("std", std, "a number >= 0")
        self.std = float(std)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=True):
        if not training or self.std == 0.0:
            return inputs
        ops = self.backend
        single = len(inputs.shape) == 3
        images = ops.numpy.expand_dims(inputs, 0) if single else inputs
        channels = len(self.eigenvalues)
        alphas = ops.random.normal(
            (ops.shape(images)[0], channels), stddev=self.std, seed=self._get_seed_generator(ops._backend), dtype=self.compute_dtype
        )
        eigenvalues = ops.convert_to_tensor(self.eigenvalues, dtype=self.compute_dtype)
        eigenvectors = ops.convert_to_tensor(self.eigenvectors, dtype=self.compute_dtype)
        # (N, C) coefficients scaled by the eigenvalues, projected back: (N, C) @ (C, C)^T -> (N, C)
        shift = ops.numpy.matmul(alphas * eigenvalues, ops.numpy.transpose(eigenvectors))
        outputs = images + ops.cast(ops.numpy.reshape(shift, (-1, 1, 1, channels)), images.dtype)
        return outputs[0] if single else outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "eigenvalues": list(self.eigenvalues),
            "eigenvectors": [list(r) for r in self.eigenvectors],
            "std": self.std,
            "seed": self.seed,
        }
