"""Fidelity: parameter counts equal the published references, and our graphs equal keras.applications'."""

import math
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, forward
from keras_classics.registry import reference_rows
from keras_classics.tables import README_BEGIN, README_END, measure, stored_figures, table_rows, to_markdown

REFERENCED = [n for n in kc.list_models() if kc.model_info(n).reference is not None]
README = Path(__file__).resolve().parents[1] / "README.md"


def readme_table_rows():
    text = README.read_text(encoding="utf-8")
    assert README_BEGIN in text and README_END in text, "README.md has lost its models-table markers"
    table = text.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip().splitlines()
    return {line.split("|")[1].strip(): line for line in table[2:]}


STORED = {row["name"]: row for row in stored_figures()}

# Rows of models.csv whose gmacs_224 is torchvision's figure for a slightly different network,
# with the MACs that difference accounts for, by hand.
# ResNet-50 v1 strides in the first 1x1 of conv3_1, conv4_1, conv5_1; torchvision's v1.5 strides in the
# 3x3 after it, so its 1x1 reduction runs at 4x the positions: 3/4 of 56*56*256*128 (= 28*28*512*256
# = 14*14*1024*512) more MACs in each of the three blocks.
DEPARTURES = {"resnet50": 3 * (56 * 56 * 256 * 128) * 3 // 4}


# Counts and MACs do not depend on the backend. TensorFlow and PyTorch build every network at its canonical
# size; JAX, whose eager initializers compile each weight shape (30-55 s for each Inception or DenseNet at
# 224 px on 2 cores), builds the small networks of each family but the Inception and DenseNet ones.
ON_JAX = ("lenet5", "lenet5_1998", "alexnet", "vgg11_bn", "nin", "resnet18", "resnet20_cifar")
CANONICAL = [n if BACKEND != "jax" or n in ON_JAX else pytest.param(n, marks=pytest.mark.skip(reason="built on TensorFlow and PyTorch (counts do not depend on the backend)"))
             for n in kc.list_models()]


@pytest.mark.parametrize("name", CANONICAL)
def test_canonical_build_equals_reference_and_stored_figures(name):
    """Build only, at the canonical configuration (no forward pass at 224 px): the counts equal
    the reference of models.csv, the GMACs are within 1% of torchvision's published figure where
    the row has one, and the figures equal those ``keras-classics list`` prints
    (keras_classics/data/figures.csv). One build per model and backend; every backend checks."""
    info = kc.model_info(name)
    row = measure(name)
    assert row["input"] == "x".join(str(d) for d in info.input_shape)
    if info.reference is not None:
        assert info.reference.mismatches(row["params"], row["trainable"]) == []
        if info.reference.gmacs is not None:
            gmacs = row["gmacs"] + DEPARTURES.get(name, 0) / 1e9
            assert math.isclose(gmacs, info.reference.gmacs, rel_tol=0.01), f"{name}: {gmacs:.4f} GMACs, reference {info.reference.gmacs}"
    assert STORED.get(name) == row, (
        "keras_classics/data/figures.csv is stale: regenerate it with "
        "`python -c 'from keras_classics.tables import write_figures; write_figures()'`, then the README's table"
    )


def test_readme_table_is_the_stored_figures():
    """The README's models table is what `keras-classics list --markdown` prints (without building anything)."""
    lines = to_markdown(table_rows(stored_figures())).splitlines()[2:]
    expected = {line.split("|")[1].strip(): line for line in lines}
    assert readme_table_rows() == expected, "README.md's models table is stale: regenerate it with `keras-classics list --markdown`"


def test_readme_table_lists_exactly_the_registry():
    assert sorted(readme_table_rows()) == kc.list_models()


def test_every_reference_row_is_reachable_by_name():
    claimed = {kc.model_info(n).reference for n in REFERENCED}
    missing = [f"{r.model} ({r.config})" for r in reference_rows() if r not in claimed]
    assert missing == [], f"rows of models.csv with no registry entry: {missing}"


def test_each_reference_row_has_one_registry_name():
    refs = [kc.model_info(n).reference for n in REFERENCED]
    assert len(refs) == len(set(refs))


def test_reference_table_is_the_project_table():
    """keras_classics/data/models.csv is a copy of ../shared/reference/models.csv; keep them equal."""
    from importlib import resources
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2] / "shared" / "reference" / "models.csv"
    if not shared.exists():
        pytest.skip(f"{shared} is not beside this checkout")
    ours = resources.files("keras_classics.data").joinpath("models.csv").read_text(encoding="utf-8")
    assert ours == shared.read_text(encoding="utf-8")


KERAS_APPLICATIONS = {
    "vgg16": keras.applications.VGG16,
    "vgg19": keras.applications.VGG19,
}


@pytest.mark.parametrize("name", sorted(KERAS_APPLICATIONS))
def test_outputs_equal_keras_applications_after_weight_copy(name):
    """Weights copied from a randomly initialised keras.applications model give equal outputs."""
    shape, classes = (32, 32, 3), 10
    reference = KERAS_APPLICATIONS[name](weights=None, input_shape=shape, classes=classes)
    ours = kc.get_model(name, input_shape=shape, classes=classes)
    kc.transfer_weights(reference, ours)
    x = np.random.default_rng(0).uniform(0, 255, size=(2,) + shape).astype("float32")
    expected, got = forward(reference, x)[0], forward(ours, x)[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    for pooling in ("avg", "max"):
        reference = KERAS_APPLICATIONS[name](weights=None, include_top=False, input_shape=shape, pooling=pooling)
        ours = kc.get_model(name, include_top=False, input_shape=shape, pooling=pooling)
        kc.transfer_weights(reference, ours)
        np.testing.assert_allclose(
            forward(ours, x)[0], forward(reference, x)[0], atol=1e-5 * 255
        )
