"""Cost analysis of any functional Keras model: parameters, multiply-accumulates, other FLOPs,
activation memory, receptive field and effective stride, per layer and per model.

``profile(model)`` walks the model's functional graph with symbolic shapes only
(no forward pass, no data); nested models are flattened into their layers. The
conventions, column by column, are in ``docs/cost.md`` and in :data:`COLUMNS`:

- ``macs``: multiply-accumulates of convolutions and dense layers only (what
  torchvision's "GFLOPS" figures count); biases are not MACs.
- ``flops_other``: everything else that computes, counted per element: bias
  additions and fused activations of conv/dense layers, normalization,
  activation layers, pooling, merges (Add, Multiply, ...), rescaling.
- ``activation_bytes``: the size of the layer's output for one example.
- ``receptive_field`` / ``effective_stride``: along the conv/pool path, in input
  pixels, by the usual recurrence ``r += (k_eff - 1) * j; j *= s`` (padding ignored,
  so it may exceed the image), the largest over the spatial axes.

The seeds' example: a 5x5 convolution from 28x28x192 to 28x28x32 is
28 * 28 * 32 * (5 * 5 * 192) = 120,422,400 MACs.
"""

from keras_classics.cost.report import format_bytes, format_table, total_macs, totals
from keras_classics.cost.rules import (
    ACTIVATION_LAYERS, BATCH_NORM_FLOPS, CONVOLUTIONS, ELEMENTWISE_OPS, FREE, GLOBAL_POOLING, LAYOUT_OPS, LOCAL_POOLING, MERGES,
    REDUCTION_OPS, SEPARABLE, SOFTMAX_FLOPS, STATISTICS_NORM_FLOPS, TRANSPOSED, UPSAMPLING, Arithmetic,
)
from keras_classics.cost.walk import COLUMNS, profile

__all__ = [
    "profile", "totals", "total_macs", "format_table", "format_bytes", "COLUMNS", "Arithmetic",
    "CONVOLUTIONS", "SEPARABLE", "TRANSPOSED", "LOCAL_POOLING", "GLOBAL_POOLING", "UPSAMPLING", "MERGES", "FREE", "ACTIVATION_LAYERS",
    "ELEMENTWISE_OPS", "REDUCTION_OPS", "LAYOUT_OPS", "SOFTMAX_FLOPS", "BATCH_NORM_FLOPS", "STATISTICS_NORM_FLOPS",
]
