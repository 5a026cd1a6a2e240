"""Image shapes in Keras's image data format (``keras.config.image_data_format()``)."""

from __future__ import annotations


def channels_last() -> bool:
    import keras

    return keras.config.image_data_format() == "channels_last"


def image_shape(size, channels: int) -> tuple[int, int, int]:
    """The input shape of a ``size`` x ``size`` image (or ``(height, width)``) with ``channels`` channels."""
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    return (height, width, channels) if channels_last() else (channels, height, width)


def spatial_size(input_shape) -> tuple[int, int]:
    """``(height, width)`` of an input shape without the batch axis."""
    return (input_shape[0], input_shape[1]) if channels_last() else (input_shape[1], input_shape[2])


def channel_count(input_shape) -> int:
    return input_shape[-1] if channels_last() else input_shape[0]
