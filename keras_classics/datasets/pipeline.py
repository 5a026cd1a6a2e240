"""The tf.data pipeline: channel conversion, resizing, augmentation and normalisation by the training split's statistics."""

from __future__ import annotations

import keras
import numpy as np

from keras_classics._validate import bad_argument
from keras_classics.datasets.sources import _LUMINANCE, _decode

STATS_SAMPLE = 2000  # images used to estimate the channel statistics of large datasets


def _convert_channels_np(images, channels):
    images = images if images.ndim == 4 else images[..., None]
    if images.shape[-1] == channels:
        return images
    if images.shape[-1] == 1:
        return np.repeat(images, channels, axis=-1)
    if channels == 1 and images.shape[-1] == 3:
        return (images @ _LUMINANCE)[..., None]
    raise bad_argument("input_shape", channels, f"1 or 3 channels, or the dataset's own {images.shape[-1]}")


def _pixel_statistics(images, channels):
    """Per-channel mean and std, and the eigen-decomposition of the channel covariance, in [0, 1] units."""
    pixels = images.reshape(-1, channels).astype("float64")
    mean = pixels.mean(axis=0)
    cov = np.atleast_2d(np.cov(pixels, rowvar=False))
    std = np.sqrt(np.maximum(np.diag(cov), 1e-12))
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues = np.maximum(eigenvalues, 0.0)
    return tuple(mean.tolist()), tuple(std.tolist()), tuple(eigenvalues.tolist()), tuple(map(tuple, eigenvectors.tolist()))


def _statistics(source, train_idx, channels, seed):
    rng = np.random.default_rng(seed)
    pick = train_idx if len(train_idx) <= STATS_SAMPLE else rng.choice(train_idx, STATS_SAMPLE, replace=False)
    images, _ = source.train
    if source.files:
        pixels = [np.asarray(_decode(p, channels), "float32").reshape(-1, channels) * source.scale for p in images[pick]]
        return _pixel_statistics(np.concatenate(pixels), channels)
    sample = _convert_channels_np(np.asarray(images[pick], "float32") * source.scale, channels)
    return _pixel_statistics(sample, channels)


def _parse_input_shape(input_shape):
    channels_last = keras.config.image_data_format() == "channels_last"
    if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 3 and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in input_shape)):
        raise bad_argument("input_shape", input_shape, "(height, width, channels) of positive integers (channels first under channels_first)")
    height, width, channels = input_shape if channels_last else (input_shape[1], input_shape[2], input_shape[0])
    if channels not in (1, 3):
        raise bad_argument("input_shape", tuple(input_shape), "1 (grey) or 3 (RGB) channels")
    return height, width, channels, channels_last


def _pipeline(source, indices, *, kind, batch_size, height, width, channels, channels_last, mean, std, one_hot, num_classes, seed, augmentation,
              epochs=None, drop_remainder=False):
    """A batched tf.data pipeline over ``indices`` of ``source.train`` (or all of the test split).

    The training split is shuffled. With ``epochs=(first, last)`` the pipeline holds
    those epochs one after another (fit it with ``steps_per_epoch``), each epoch's
    order drawn from ``(seed, epoch)`` alone: a run resumed at epoch k in a new
    process sees the order the uninterrupted run saw at epoch k. Without it, one
    epoch reshuffled at every pass (``reshuffle_each_iteration``), whose sequence
    restarts in each process.
    """
    import tensorflow as tf

    images, labels = source.test if kind == "test" else source.train
    if indices is not None:
        images, labels = images[indices], labels[indices]
    if source.files:
        images = np.array([str(p) for p in images])
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
    scale = np.float32(source.scale)

    if source.files:
        # files differ in size: decode and resize one by one, then batch
        def load(path, label):
            image = tf.image.resize(tf.cast(_decode(path, channels), tf.float32) * scale, (height, width), antialias=True)
            return image, label

        def decode_and_batch(ds):
            return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size, drop_remainder=drop_remainder)
    else:
        stored = images.shape[1:3]

        def load(image, label):
            x = tf.cast(image, tf.float32) * scale
            if len(x.shape) == 3:
                x = x[..., None]
            if x.shape[-1] != channels:
                x = tf.repeat(x, channels, axis=-1) if x.shape[-1] == 1 else tf.tensordot(x, tf.constant(_LUMINANCE), axes=1)[..., None]
            if tuple(stored) != (height, width):
                x = tf.image.resize(x, (height, width), antialias=True)
            return x, label

        def decode_and_batch(ds):
            return ds.batch(batch_size, drop_remainder=drop_remainder).map(load, num_parallel_calls=tf.data.AUTOTUNE)

    if kind != "train":
        ds = decode_and_batch(ds)
    elif epochs is None:
        ds = decode_and_batch(ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True))
    else:
        first, last = epochs
        stored_images, stored_labels = tf.constant(images), tf.constant(labels.astype("int32"))

        def epoch_of(epoch):  # a permutation drawn from (seed, epoch) only; batches never straddle two epochs
            key = tf.stack([tf.constant(seed, tf.int64), epoch])
            order = tf.argsort(tf.random.stateless_uniform([len(labels)], seed=key))
            rows = tf.data.Dataset.from_tensor_slices(order).map(lambda i: (tf.gather(stored_images, i), tf.gather(stored_labels, i)))
            return decode_and_batch(rows)

        ds = tf.data.Dataset.range(first, last).flat_map(epoch_of)

    mean_t, std_t = tf.constant(mean, tf.float32), tf.constant(std, tf.float32)

    def finish(x, y):
        if one_hot:
            y = tf.one_hot(y, num_classes)
        return x, y

    ds = ds.map(finish)
    if kind == "train" and augmentation is not None and augmentation.names:
        ds = ds.map(augmentation, num_parallel_calls=tf.data.AUTOTUNE)

    def normalise(x, y):
        x = (x - mean_t) / std_t
        if not channels_last:
            x = tf.transpose(x, (0, 3, 1, 2))
        return x, y

    ds = ds.map(normalise, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = True
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)
