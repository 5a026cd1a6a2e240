"""Fast paths on the PyTorch backend: Keras layers called the way native PyTorch calls its kernels.

Keras's torch backend keeps Keras's NHWC tensors and HWIO kernels and, for
every convolution and pooling, copies the input to NCHW (``.contiguous()``),
copies it again to PyTorch's channels-last memory format, and builds batch
normalization from a dozen elementwise ops. PyTorch's CPU kernels take an NHWC
tensor as it is: ``x.permute(0, 3, 1, 2)`` *is* a channels-last NCHW tensor,
with no copy. :func:`accelerate` gives the layers of a model whose work has a
single PyTorch kernel a ``call`` that uses it:

- ``Conv2D``: ``F.conv2d`` on the permuted view, bias fused into the kernel,
  Keras's ``"same"`` padding passed to the kernel when it is symmetric (an
  explicit pad otherwise); the HWIO kernel is turned into a channels-last OIHW
  weight by one 2-D transpose (PyTorch has a blocked kernel for that copy, and
  its gradient comes back through the same one); without a gradient to record
  (inference) that weight is kept until the kernel changes.
- ``BatchNormalization``: one ``native_batch_norm`` (one fused backward)
  instead of Keras's moments and arithmetic; the moving statistics are updated
  as Keras updates them, with the biased batch variance (recovered from the
  kernel's saved inverse standard deviation), not PyTorch's unbiased one.
- ``MaxPooling2D`` / ``AveragePooling2D``: ``F.max_pool2d`` / ``F.avg_pool2d``
  on the permuted view, for ``"valid"`` padding and for a max pool's
  symmetric ``"same"`` padding.

Only layers of exactly those Keras classes, channels last, float32 (no mixed
precision), are given a fast path; anything else a call meets (another rank, a
mask, a dtype) goes to Keras's own ``call``. The layer's class, config and
weights are unchanged, so a saved ``.keras`` file is the same with or without
the fast paths, and plain Keras loads it. Outputs equal Keras's within float32
rounding (``tests/test_torch_fast.py``). On another backend :func:`accelerate`
does nothing; ``KERAS_CLASSICS_TORCH_FAST=0`` turns it off (to measure the
difference: ``docs/performance.md``).
"""

from __future__ import annotations

import os
import types

import keras

ENV_SWITCH = "KERAS_CLASSICS_TORCH_FAST"


def enabled() -> bool:
    """Whether :func:`accelerate` gives fast paths: the torch backend, unless ``KERAS_CLASSICS_TORCH_FAST=0``."""
    return keras.backend.backend() == "torch" and os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def accelerate(model) -> int:
    """Give every eligible layer of ``model`` (nested models too) its PyTorch fast path; returns how many.

    Idempotent, and a no-op (0) unless :func:`enabled`.
    """
    if not enabled():
        return 0
    count = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        fast = _fast_call(layer)
        if fast is not None and not getattr(layer, "_torch_fast", False):
            layer.call = types.MethodType(fast, layer)
            layer._torch_fast = True
            count += 1
    return count


def _fast_call(layer):
    if layer.dtype_policy.name != "float32":
        return None
    kind = type(layer)
    if kind is keras.layers.Conv2D and layer.data_format == "channels_last" and not getattr(layer, "lora_enabled", False):
        return _conv_call
    if kind is keras.layers.BatchNormalization and not layer.synchronized and not layer.renorm:
        return _batch_norm_call
    if kind in (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D) and layer.data_format == "channels_last":
        return _pool_call
    return None


def _same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's ``"same"`` padding of one spatial axis: ``(before, after)``; the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _nchw(inputs):
    return inputs.permute(0, 3, 1, 2)


def _nhwc(outputs):
    return outputs.permute(0, 2, 3, 1)


def _plain_float32(inputs) -> bool:
    import torch

    return isinstance(inputs, torch.Tensor) and inputs.ndim == 4 and inputs.dtype == torch.float32


def _oihw(kernel):
    """The HWIO ``kernel`` as a channels-last OIHW weight, by one 2-D transpose (PyTorch's blocked copy)."""
    height, width, in_channels, filters = kernel.shape
    return kernel.reshape(-1, filters).t().contiguous().reshape(filters, height, width, in_channels).permute(0, 3, 1, 2)


def _conv_weight(layer, kernel):
    """:func:`_oihw` of ``kernel``, kept while no gradient is recorded for it and it is the same tensor, unchanged
    (inference: at batch 1 the copy took four times the convolutions' time). The cache holds the kernel itself, so
    its memory cannot be reused by another tensor that would then pass for it; any in-place change (``assign``,
    ``set_weights``, an optimizer step) moves its version counter."""
    import torch

    if torch.is_grad_enabled() and kernel.requires_grad:
        return _oihw(kernel)
    cached = getattr(layer, "_torch_fast_weight", None)
    if cached is None or cached[0] is not kernel or cached[1] != kernel._version:
        with torch.no_grad():
            cached = (kernel, kernel._version, _oihw(kernel))
        object.__setattr__(layer, "_torch_fast_weight", cached)  # a cache, not state: Keras and torch must not track it
    return cached[2]


def _conv_call(self, inputs):
    import torch.nn.functional as F

    if not _plain_float32(inputs):
        return type(self).call(self, inputs)
    x = _nchw(inputs)
    weight = _conv_weight(self, keras.ops.convert_to_tensor(self.kernel))
    padding = 0
    if self.padding == "same":
        (top, bottom), (left, right) = (
            _same_padding(x.shape[2 + axis], self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis]) for axis in (0, 1)
        )
        if top == bottom and left == right:
            padding = (top, left)
        else:
            x = F.pad(x, (left, right, top, bottom))
    bias = keras.ops.convert_to_tensor(self.bias) if self.use_bias else None
    outputs = _nhwc(F.conv2d(x, weight, bias, self.strides, padding, self.dilation_rate, self.groups))
    return self.activation(outputs) if self.activation is not None else outputs


def _batch_norm_call(self, inputs, training=None, mask=None):
    import torch
    import torch.nn.functional as F

    if mask is not None or not _plain_float32(inputs) or list(self._reduction_axes) != [0, 1, 2]:
        return type(self).call(self, inputs, training=training, mask=mask)
    x = _nchw(inputs)
    gamma = keras.ops.convert_to_tensor(self.gamma) if self.scale else None
    beta = keras.ops.convert_to_tensor(self.beta) if self.center else None
    moving_mean = keras.ops.convert_to_tensor(self.moving_mean)
    moving_variance = keras.ops.convert_to_tensor(self.moving_variance)
    if training and self.trainable:
        outputs, mean, inverse_std = torch.native_batch_norm(x, gamma, beta, None, None, True, 0.0, self.epsilon)
        with torch.no_grad():
            variance = inverse_std.detach().double().pow(-2).sub(self.epsilon).clamp_(min=0).float()
            self.moving_mean.assign(moving_mean.detach() * self.momentum + mean.detach() * (1.0 - self.momentum))
            self.moving_variance.assign(moving_variance.detach() * self.momentum + variance * (1.0 - self.momentum))
    else:
        outputs = F.batch_norm(x, moving_mean, moving_variance, gamma, beta, False, 0.0, self.epsilon)
    return _nhwc(outputs)


def _pool_call(self, inputs):
    import torch.nn.functional as F

    if not _plain_float32(inputs):
        return type(self).call(self, inputs)
    x = _nchw(inputs)
    padding = 0
    if self.padding == "same":
        (top, bottom), (left, right) = (_same_padding(x.shape[2 + axis], self.pool_size[axis], self.strides[axis]) for axis in (0, 1))
        # A max pool's padding never wins, so PyTorch's implicit -inf padding is TensorFlow's; an average pool's
        # "same" leaves the padding out of each mean, which PyTorch does only when it is symmetric: Keras's path then.
        if self.pool_mode != "max" or top != bottom or left != right or 2 * top > self.pool_size[0] or 2 * left > self.pool_size[1]:
            return type(self).call(self, inputs)
        padding = (top, left)
    if self.pool_mode == "max":
        return _nhwc(F.max_pool2d(x, self.pool_size, self.strides, padding))
    return _nhwc(F.avg_pool2d(x, self.pool_size, self.strides, 0))
