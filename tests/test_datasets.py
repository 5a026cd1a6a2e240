"""Datasets and augmentation: the embedded digits, keras.datasets from Keras's cache, image folders, bad input."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile

import keras
import numpy as np
import pytest

from conftest import BACKEND
from keras_classics import augment as augment_lib
from keras_classics.datasets import DATASETS, Splits, dataset_classes, load_dataset
from keras_classics.layers import PCALighting


def _batches(ds):
    return [(keras.ops.convert_to_numpy(x), keras.ops.convert_to_numpy(y)) for x, y in ds]


def _all(ds):
    batches = _batches(ds)
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def test_digits_splits_are_shaped_normalised_and_disjoint():
    splits = load_dataset("digits", input_shape=(32, 32, 1), batch_size=128)
    assert isinstance(splits, Splits) and "digits" in DATASETS
    assert splits.num_classes == 10 and splits.class_names == [str(d) for d in range(10)]
    assert sum(splits.sizes) == 1797 and splits.test_size == 359 and splits.validation_size == 143
    x, y = _all(splits.train)
    assert x.shape == (splits.train_size, 32, 32, 1) and x.dtype == np.float32
    assert abs(x.mean()) < 0.05 and 0.75 < x.std() < 1.05  # normalised by the training split's statistics (upsampling smooths)
    assert set(np.unique(y)) == set(range(10))
    tx, _ = _all(splits.test)
    vx, _ = _all(splits.validation)
    # no image of the test split appears among the training images
    train_keys = {row.tobytes() for row in x.reshape(len(x), -1)}
    assert not any(row.tobytes() in train_keys for row in tx.reshape(len(tx), -1)[:50])
    assert len(vx) == splits.validation_size


def test_test_split_is_fixed_and_validation_follows_seed():
    a = load_dataset("digits", input_shape=(8, 8, 1), seed=0)
    b = load_dataset("digits", input_shape=(8, 8, 1), seed=1)
    np.testing.assert_array_equal(_all(a.test)[1], _all(b.test)[1])
    assert not np.array_equal(_all(a.validation)[1], _all(b.validation)[1])


def test_channels_resize_one_hot_and_no_validation():
    splits = load_dataset("digits", input_shape=(20, 24, 3), batch_size=16, validation_split=0.0, one_hot=True)
    x, y = _batches(splits.train)[0]
    assert x.shape == (16, 20, 24, 3) and y.shape == (16, 10)
    np.testing.assert_allclose(x[..., 0], x[..., 2], atol=1e-5)  # grey repeated into RGB
    assert splits.validation is None and splits.validation_size == 0 and splits.label_mode == "categorical"


def _write_mnist(home, n=40):
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(home, "datasets"), exist_ok=True)
    np.savez(os.path.join(home, "datasets", "mnist.npz"), x_train=rng.integers(0, 255, (n, 28, 28), dtype=np.uint8),
             y_train=np.arange(n) % 4, x_test=rng.integers(0, 255, (n // 2, 28, 28), dtype=np.uint8), y_test=np.arange(n // 2) % 4)


def _write_fashion(home, n=40):
    folder = os.path.join(home, "datasets", "fashion-mnist")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(1)
    for prefix, count in (("train", n), ("t10k", n // 2)):
        with gzip.open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(bytes(8) + (np.arange(count) % 4).astype(np.uint8).tobytes())
        with gzip.open(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(bytes(16) + rng.integers(0, 255, (count, 28, 28), dtype=np.uint8).tobytes())


def _write_cifar100(home, n=40):
    rng = np.random.default_rng(2)
    archive = os.path.join(home, "datasets", "cifar-100-python-target_archive")
    os.makedirs(os.path.dirname(archive), exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for member, count in (("train", n), ("test", n // 2)):
            blob = pickle.dumps({b"data": rng.integers(0, 255, (count, 3072), dtype=np.uint8), b"fine_labels": [i % 4 for i in range(count)]})
            info = tarfile.TarInfo(f"cifar-100-python/{member}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def _write_cifar10(home, n=None):
    # keras.datasets.cifar10 fills fixed 5 x 10,000 training rows, so the batches are full
    # size; constant images keep the uncompressed archive at ~150 MB and quick to write.
    archive = os.path.join(home, "datasets", "cifar-10-batches-py-target_archive")
    os.makedirs(os.path.dirname(archive), exist_ok=True)
    with tarfile.open(archive, "w") as tar:
        for member in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            labels = [i % 4 for i in range(10_000)]
            data = np.repeat(np.array(labels, np.uint8)[:, None] * 60, 3072, axis=1)
            blob = pickle.dumps({b"data": data, b"labels": labels})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


@pytest.mark.parametrize("name, writer, shape", [
    ("mnist", _write_mnist, (28, 28, 1)),
    ("fashion_mnist", _write_fashion, (32, 32, 3)),
    ("cifar100", _write_cifar100, (32, 32, 3)),
    ("cifar10", _write_cifar10, (32, 32, 3)),
])
def test_keras_datasets_load_from_keras_cache(tmp_path, monkeypatch, name, writer, shape):
    # keras.datasets' own loaders run on small files in Keras's cache layout. The real
    # files' hashes cannot be reproduced offline, so Keras's hash check is the one thing patched.
    from keras.src.utils import file_utils

    monkeypatch.setattr(file_utils, "validate_file", lambda *args, **kwargs: True)
    writer(str(tmp_path))
    splits = load_dataset(name, input_shape=shape, batch_size=4, validation_split=0.25, data_dir=tmp_path)
    assert splits.sizes == ((37_500, 12_500, 10_000) if name == "cifar10" else (32, 8, 20))
    x, y = (keras.ops.convert_to_numpy(t) for t in next(iter(splits.train)))
    assert x.shape == (4, *shape)
    assert splits.num_classes == (100 if name == "cifar100" else 10)
    if name == "cifar10":  # each image is the constant 60 * label / 255, then normalised
        labels = np.argmax(y, axis=-1) if np.ndim(y) == 2 else y
        expected = (labels * 60 / 255 - np.array(splits.mean)[:, None]) / np.array(splits.std)[:, None]
        np.testing.assert_allclose(x[:, 5, 7, :], expected.T, atol=1e-5)
        assert splits.class_names[0] == "airplane"


def test_keras_dataset_without_files_or_internet_is_a_clear_error(tmp_path, monkeypatch):
    import urllib.request

    def no_internet(*args, **kwargs):
        raise urllib.error.URLError("no internet in this test")

    monkeypatch.setattr(urllib.request, "urlretrieve", no_internet)
    from keras.src.utils import file_utils

    monkeypatch.setattr(file_utils, "urlretrieve", no_internet)
    with pytest.raises(ValueError, match="`name`.*'mnist'.*place its files in"):
        load_dataset("mnist", input_shape=(28, 28, 1), data_dir=tmp_path)


def _image_folder(root, classes=("cat", "dog"), per_class=6, corrupt=True):
    import tensorflow as tf

    rng = np.random.default_rng(3)
    for c, name in enumerate(classes):
        os.makedirs(root / name, exist_ok=True)
        for i in range(per_class):
            channels = 3 if i % 2 else 1  # RGB and grey files mixed
            size = (10 + i, 14 + c)
            pixels = rng.integers(0, 255, (*size, channels), dtype=np.uint8)
            (root / name / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    if corrupt:
        (root / classes[0] / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is no image")
        (root / classes[1] / "truncated.jpg").write_bytes(tf.io.encode_jpeg(np.zeros((8, 8, 3), np.uint8)).numpy()[:40])
    return root


def test_image_folder_skips_corrupt_images_by_path(tmp_path):
    folder = _image_folder(tmp_path / "pets")
    with pytest.warns(UserWarning, match="broken.png"):
        splits = load_dataset(str(folder), input_shape=(16, 16, 3), batch_size=2, validation_split=0.2)
    assert sorted(os.path.basename(p) for p in splits.skipped) == ["broken.png", "truncated.jpg"]
    assert splits.class_names == ["cat", "dog"] and sum(splits.sizes) == 12
    for ds in (splits.train, splits.validation, splits.test):  # whole epochs, no crash
        x, y = _all(ds)
        assert x.shape[1:] == (16, 16, 3) and set(np.unique(y)) <= {0, 1}
    grey = load_dataset(str(folder), input_shape=(9, 9, 1), batch_size=2)
    assert _batches(grey.test)[0][0].shape[1:] == (9, 9, 1)


@pytest.mark.parametrize("make, match", [
    (lambda p: p, "at least 2 classes.*found 0"),
    (lambda p: (p / "only").mkdir() or p, "found 1 sub-folder"),
    (lambda p: [(p / c).mkdir() for c in "ab"] and p, "No images|readable"),
])
def test_empty_or_one_class_folder_is_a_clear_error(tmp_path, make, match):
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(ValueError, match=match):
        load_dataset(str(make(folder)), input_shape=(16, 16, 3))


def test_gif_and_bmp_load_in_grey_and_rgb(tmp_path):
    """TensorFlow decodes GIF and BMP to RGB only: in grey (LeNet's one channel) they were reported unreadable and dropped."""
    Image = pytest.importorskip("PIL.Image")  # with matplotlib, in the test extra
    rng = np.random.default_rng(5)
    for c, name in enumerate(("cat", "dog")):
        (tmp_path / name).mkdir()
        for i, suffix in enumerate((".gif", ".bmp", ".gif", ".bmp", ".png")):
            pixels = rng.integers(0, 255, (10 + i, 12 + c, 3), dtype=np.uint8)
            Image.fromarray(pixels if i % 2 == 0 else pixels[..., 0]).save(tmp_path / name / f"{i}{suffix}")  # RGB and grey files
    for channels in (1, 3):
        splits = load_dataset(str(tmp_path), input_shape=(8, 8, channels), batch_size=2, validation_split=0.0)
        assert splits.skipped == [] and sum(splits.sizes) == 10
        x, _ = _all(splits.train)
        assert x.shape[1:] == (8, 8, channels) and np.isfinite(x).all()
    grey = np.asarray(Image.open(tmp_path / "cat" / "1.bmp"), "float32")  # a grey BMP keeps its values in grey
    from keras_classics.datasets.sources import _decode

    np.testing.assert_allclose(_decode(str(tmp_path / "cat" / "1.bmp"), 1).numpy()[..., 0], grey, atol=0.1)


def test_an_empty_class_folder_is_an_error_naming_it(tmp_path):
    folder = _image_folder(tmp_path / "pets", classes=("cat", "dog", "emu"), per_class=3, corrupt=False)
    for name in os.listdir(folder / "emu"):
        os.remove(folder / "emu" / name)
    with pytest.raises(ValueError, match=f"`name`.*no readable image in the class folder {os.path.join(str(folder), 'emu')}"):
        load_dataset(str(folder), input_shape=(16, 16, 3))


@pytest.mark.parametrize("kwargs, argument", [
    ({"name": "imagenet22k"}, "`name`"),
    ({"batch_size": 5000}, "`batch_size`.*at most 1295"),
    ({"input_shape": (32, 32)}, "`input_shape`"),
    ({"input_shape": (32, 32, 2)}, "`input_shape`.*1 \\(grey\\) or 3"),
    ({"validation_split": 1.5}, "`validation_split`"),
    ({"augment": "crop,wobble"}, "`augment`.*unknown: wobble"),
    ({"augment": "randaugment"}, "`augment`.*3-channel"),
])
def test_bad_arguments_are_clear_errors(kwargs, argument):
    args = {"name": "digits", "input_shape": (32, 32, 1)} | kwargs
    with pytest.raises(ValueError, match=argument):
        load_dataset(args.pop("name"), **args)


def test_augmentations_keep_shapes_and_mix_labels():
    plain = load_dataset("digits", input_shape=(24, 24, 3), batch_size=32, validation_split=0.0)
    aug = load_dataset("digits", input_shape=(24, 24, 3), batch_size=32, validation_split=0.0, augment="crop,flip,pca,mixup,cutmix")
    assert aug.augment == ("crop", "flip", "pca", "mixup", "cutmix") and aug.label_mode == "categorical"
    x, y = _batches(aug.train)[0]
    assert x.shape == (32, 24, 24, 3) and y.shape == (32, 10)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, atol=1e-5)
    assert (y.max(axis=1) < 1.0).any()  # some labels mixed
    assert not np.allclose(x, _batches(plain.train)[0][0])
    np.testing.assert_array_equal(_all(aug.test)[0], _all(plain.test)[0])  # only the training split is augmented


@pytest.mark.skipif(BACKEND == "jax", reason="runs under TensorFlow and PyTorch; under JAX its first call costs about 2 minutes on 2 cores (119 s measured)")
def test_randaugment_runs_inside_tf_data():
    import tensorflow as tf

    aug = augment_lib.augmentation("randaugment", height=12, width=12, channels=3, seed=1)
    images = np.random.default_rng(0).uniform(0, 1, (4, 12, 12, 3)).astype("float32")
    x, y = next(iter(tf.data.Dataset.from_tensors((images, np.arange(4))).map(aug)))
    assert x.shape == (4, 12, 12, 3) and not np.allclose(x.numpy(), images)
    np.testing.assert_array_equal(y.numpy(), np.arange(4))


def test_keras_cv_policies_need_the_cv_extra():
    # Without keras-cv (CI): a clear error naming the extra. With it (checked by hand
    # in a venv with the `cv` extra): each policy runs in tf.data under the op
    # determinism training turns on, which keras-cv's global generator once broke.
    from keras_classics.training import determinism

    with pytest.raises(ValueError, match="3-channel images only"):
        augment_lib.augmentation("cv_randaugment", height=8, width=8, channels=1)
    try:
        import keras_cv  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="`cv` extra"):
            augment_lib.augmentation("cv_randaugment", height=8, width=8, channels=3)
        return
    import tensorflow as tf

    images = np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 3)).astype("float32")
    for name in ("cv_randaugment", "cv_augmix", "cv_gridmask"):
        with determinism(0):
            aug = augment_lib.augmentation(name, height=16, width=16, channels=3, seed=1)
            x, y = next(iter(tf.data.Dataset.from_tensors((images, np.arange(4))).map(aug)))
        assert aug.names == (name,) and x.shape == images.shape and not np.allclose(x.numpy(), images)
        np.testing.assert_array_equal(y.numpy(), np.arange(4))


def test_pca_lighting_shifts_each_image_by_one_colour_and_round_trips(tmp_path):
    layer = PCALighting(seed=1)
    images = np.random.default_rng(0).uniform(0, 1, (4, 6, 6, 3)).astype("float32")
    shifted = keras.ops.convert_to_numpy(layer(images, training=True))
    delta = shifted - images
    assert np.abs(delta).max() > 1e-4
    np.testing.assert_allclose(delta, np.broadcast_to(delta[:, :1, :1, :], delta.shape), atol=1e-5)  # one shift per image
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(images, training=False)), images)
    inputs = keras.Input((6, 6, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(PCALighting(eigenvalues=(1.0, 0.5, 0.1), seed=2)(inputs)))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.layers[1].get_config()["eigenvalues"] == [1.0, 0.5, 0.1]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.predict(images, verbose=0)), keras.ops.convert_to_numpy(model.predict(images, verbose=0)), atol=1e-5)
    with pytest.raises(ValueError, match="`eigenvectors`"):
        PCALighting(eigenvalues=(1.0, 2.0), eigenvectors=((1, 0, 0),))


def test_a_folder_with_train_val_test_gives_its_own_splits(tmp_path):
    root = tmp_path / "split"
    for split, count in (("train", 5), ("val", 2), ("test", 3)):
        _image_folder(root / split, per_class=count, corrupt=False)
    splits = load_dataset(str(root), input_shape=(8, 8, 3), batch_size=2, validation_split=0.5)  # val/ wins over the fraction
    assert splits.class_names == ["cat", "dog"] and tuple(splits.sizes) == (10, 4, 6)
    assert dataset_classes(str(root)) == 2
    assert [_all(d)[0].shape[0] for d in (splits.train, splits.validation, splits.test)] == [10, 4, 6]
    (root / "val").rename(tmp_path / "elsewhere")  # without val/: the fraction of train/
    assert tuple(load_dataset(str(root), input_shape=(8, 8, 3), batch_size=2, validation_split=0.2).sizes) == (8, 2, 6)
    _image_folder(root / "test", classes=("cat", "emu"), per_class=1, corrupt=False)  # another class in test/
    with pytest.raises(ValueError, match=r"`name`.*the same class folders"):
        load_dataset(str(root), input_shape=(8, 8, 3), batch_size=2)


def test_each_epoch_order_is_keyed_on_the_seed_and_the_epoch():
    splits = load_dataset("digits", input_shape=(8, 8, 1), batch_size=50, validation_split=0.0, seed=3)
    labels = lambda ds: np.concatenate([y for _, y in _batches(ds)])  # noqa: E731
    epochs = [labels(splits.train_epochs(e, e + 1)) for e in range(3)]
    assert all(len(e) == splits.train_size for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
    np.testing.assert_array_equal(labels(splits.train_epochs(1, 3)), np.concatenate(epochs[1:]))  # epoch 1 alone = epoch 1 of a run
    batches = [y.shape[0] for _, y in _batches(splits.train_epochs(0, 2))]
    assert batches == [50] * (splits.train_size // 50) + [splits.train_size % 50] + [50] * (splits.train_size // 50) + [splits.train_size % 50]
