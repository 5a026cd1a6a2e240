"""The channel axis, written once for every layer that needs it."""

import keras


def channel_axis() -> int:
    """-1 for ``channels_last`` (the Keras default on every backend), 1 otherwise."""
    return -1 if keras.config.image_data_format() == "channels_last" else 1
