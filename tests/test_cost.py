"""Cost analysis: hand-checked counts for every layer type and the seeds' examples. GMACs against
torchvision's published figures for every registry model that has one: tests/test_fidelity.py
(in the one canonical build of each model)."""

import runpy
from pathlib import Path

import keras
import pytest

import keras_classics as kc
from keras_classics import cost
from conftest import BACKEND
from keras_classics.cli import build_parser

L = keras.layers
ROOT = Path(__file__).resolve().parents[1]


def cli(*argv):
    """Run a subcommand as ``keras-classics`` does, without the process around it."""
    args = build_parser().parse_args(list(argv))
    return args.run(args)


def row_of(layer, input_shape):
    """The profile row of ``layer`` applied to an input of ``input_shape`` (no batch axis)."""
    x = keras.Input(input_shape)
    frame = kc.profile(keras.Model(x, layer(x)))
    assert list(frame["type"]) == ["InputLayer", type(layer).__name__]
    return frame.iloc[1]


def stack(input_shape, *layers):
    x = inputs = keras.Input(input_shape)
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


# --- the seeds' examples ----------------------------------------------------------------------


def test_seed_5x5_convolution_costs_120422400():
    row = row_of(L.Conv2D(32, 5, padding="same", use_bias=False), (28, 28, 192))
    assert row["macs"] == 120_422_400 == 28 * 28 * 32 * 5 * 5 * 192
    assert row["output_shape"] == (28, 28, 32)


def test_seed_bottleneck_costs_12443648():
    model = stack((28, 28, 192), L.Conv2D(16, 1, use_bias=False), L.Conv2D(32, 5, padding="same", use_bias=False))
    frame = kc.profile(model)
    assert list(frame["macs"]) == [0, 2_408_448, 10_035_200]
    assert cost.total_macs(model) == 12_443_648


def test_bottleneck_app_prints_the_seed_counts(capsys):
    runpy.run_path(str(ROOT / "apps" / "bottleneck_cost.py"), run_name="__main__")
    printed = capsys.readouterr().out
    for figure in ("120,422,400", "2,408,448", "10,035,200", "12,443,648", "receptive field 5 and 5", "73,728 versus 102,400 (0.72"):
        assert figure in printed


def test_two_3x3_see_what_one_5x5_sees_with_18_25_of_the_weights():
    two = kc.profile(stack((28, 28, 8), L.Conv2D(8, 3, padding="same", use_bias=False), L.Conv2D(8, 3, padding="same", use_bias=False)))
    one = kc.profile(stack((28, 28, 8), L.Conv2D(8, 5, padding="same", use_bias=False)))
    assert list(two["receptive_field"]) == [1, 3, 5] and one["receptive_field"].iloc[-1] == 5
    assert two["params"].sum() * 25 == one["params"].sum() * 18


# --- hand-checked layers --------------------------------------------------------------------------


def test_conv2d_valid_with_bias_and_relu():
    row = row_of(L.Conv2D(4, 3, activation="relu"), (8, 8, 3))
    assert row["output_shape"] == (6, 6, 4)
    assert row["params"] == row["trainable_params"] == 4 * 27 + 4
    assert row["macs"] == 6 * 6 * 4 * 27  # biases are not MACs
    assert row["flops_other"] == 2 * 6 * 6 * 4  # bias add and relu per output element
    assert row["activation_bytes"] == 6 * 6 * 4 * 4
    assert (row["receptive_field"], row["effective_stride"]) == (3, 1)


def test_grouped_convolution():
    row = row_of(L.Conv2D(6, 3, padding="same", groups=2, use_bias=False), (8, 8, 4))
    assert row["params"] == 3 * 3 * 2 * 6
    assert row["macs"] == 8 * 8 * 6 * (3 * 3 * 2)  # each output sees in / groups = 2 channels


def test_strided_dilated_convolution_receptive_field():
    model = stack((32, 32, 3), L.Conv2D(4, 3, strides=2), L.Conv2D(4, 3, dilation_rate=2))
    frame = kc.profile(model)
    assert list(frame["receptive_field"]) == [1, 3, 3 + 2 * 2 * 2]
    assert list(frame["effective_stride"]) == [1, 2, 2]
    assert frame["macs"].iloc[1] == 15 * 15 * 4 * 27


def test_depthwise_convolution():
    row = row_of(L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", use_bias=False), (8, 8, 4))
    assert row["output_shape"] == (8, 8, 8)
    assert row["macs"] == 8 * 8 * 8 * 9


def test_separable_convolution():
    row = row_of(L.SeparableConv2D(5, 3, padding="same", use_bias=False), (8, 8, 4))
    assert row["macs"] == 8 * 8 * 4 * 9 + 8 * 8 * 5 * 4  # depthwise, then pointwise
    assert row["receptive_field"] == 3


def test_conv1d_conv3d_and_transposed():
    assert row_of(L.Conv1D(8, 5, strides=2, use_bias=False), (20, 3))["macs"] == 8 * 8 * 15
    assert row_of(L.Conv3D(2, 3, use_bias=False), (5, 6, 7, 3))["macs"] == 3 * 4 * 5 * 2 * (27 * 3)
    row = row_of(L.Conv2DTranspose(4, 2, strides=2, use_bias=False), (5, 5, 3))
    assert row["output_shape"] == (10, 10, 4) and row["macs"] == 5 * 5 * 2 * 2 * 3 * 4
    assert row["effective_stride"] == 0.5 and row["receptive_field"] == 1


def test_dense_on_vectors_and_on_feature_maps():
    row = row_of(L.Dense(5), (10,))
    assert (row["macs"], row["params"], row["flops_other"]) == (50, 55, 5)
    assert (row["receptive_field"], row["effective_stride"]) == (0, 0)  # no spatial axes
    row = row_of(L.Dense(16, use_bias=False), (4, 4, 8))  # applied at each of 4x4 positions
    assert row["output_shape"] == (4, 4, 16) and row["macs"] == 4 * 4 * 8 * 16 and row["flops_other"] == 0


def test_strided_and_global_pooling():
    row = row_of(L.MaxPooling2D(3, strides=2), (9, 9, 4))
    assert row["output_shape"] == (4, 4, 4)
    assert (row["macs"], row["flops_other"]) == (0, 4 * 4 * 4 * 9)
    assert (row["receptive_field"], row["effective_stride"]) == (3, 2)
    row = row_of(L.AveragePooling2D(2), (8, 8, 3))
    assert (row["flops_other"], row["receptive_field"], row["effective_stride"]) == (4 * 4 * 3 * 4, 2, 2)
    model = stack((9, 9, 4), L.Conv2D(4, 3, strides=2, use_bias=False), L.GlobalAveragePooling2D())
    frame = kc.profile(model)
    assert frame["flops_other"].iloc[2] == 4 * 4 * 4  # one per input element
    assert frame["receptive_field"].iloc[2] == 3 + (4 - 1) * 2  # the whole 4x4 map


def test_normalizations():
    row = row_of(L.BatchNormalization(), (4, 4, 8))
    assert (row["params"], row["trainable_params"], row["non_trainable_params"]) == (32, 16, 16)
    assert row["flops_other"] == 2 * 128 and row["macs"] == 0
    assert row_of(L.LayerNormalization(), (4, 4, 8))["flops_other"] == 7 * 128
    row = row_of(L.GroupNormalization(groups=2, center=False), (4, 4, 8))
    assert (row["params"], row["flops_other"]) == (8, 6 * 128)
    row = row_of(kc.LocalResponseNormalization(size=5), (4, 4, 8))
    assert (row["params"], row["flops_other"], row["note"]) == (0, (5 + 4) * 128, "")


def test_merges_activations_and_free_layers():
    x = keras.Input((4, 4, 3))
    a, b = L.Conv2D(3, 1, name="a")(x), L.Conv2D(5, 3, padding="same", name="b")(x)
    added = L.Add(name="add")([x, a, a])
    joined = L.Concatenate(name="cat")([added, b])
    y = L.Activation("relu", name="relu")(L.ZeroPadding2D(1, name="pad")(joined))
    y = L.Dropout(0.5, name="drop")(L.Flatten(name="flat")(y))
    y = L.Activation("softmax", name="softmax")(y)
    frame = kc.profile(keras.Model(x, y)).set_index("name")
    assert frame.loc["add", "flops_other"] == 2 * 48  # three inputs: two additions per element
    assert frame.loc["cat", "output_shape"] == (4, 4, 8) and frame.loc["cat", "flops_other"] == 0
    assert frame.loc["pad", "output_shape"] == (6, 6, 8) and frame.loc["pad", "flops_other"] == 0
    assert frame.loc["relu", "flops_other"] == 6 * 6 * 8
    assert frame.loc["softmax", "flops_other"] == 3 * 288
    assert frame.loc[["flat", "drop"], ["macs", "flops_other"]].to_numpy().sum() == 0
    assert frame.loc["cat", "receptive_field"] == 3  # the larger of the two branches
    assert (frame["note"] == "").all()


# --- whole models ---------------------------------------------------------------------------------


def test_nested_models_are_flattened_and_shared_layers_counted_once():
    inner_in = keras.Input((8, 8, 3))
    inner = keras.Model(inner_in, L.Conv2D(4, 3, padding="same", name="conv")(inner_in), name="inner")
    shared = L.Conv2D(4, 1, name="shared")
    x = keras.Input((8, 8, 3))
    y = shared(L.Conv2D(3, 1, name="to3")(shared(x)))  # the same 3 -> 4 convolution called twice
    y = L.Add(name="add")([inner(x), y])
    model = keras.Model(x, [y, L.GlobalAveragePooling2D(name="gap")(y)])  # two outputs
    frame = kc.profile(model)
    assert "inner/conv" in set(frame["name"])
    assert frame["params"].sum() == model.count_params()
    shared_rows = frame[frame["name"] == "shared"]
    assert list(shared_rows["params"]) == [16, 0] and list(shared_rows["macs"]) == [64 * 12, 64 * 12]
    assert "shared layer" in shared_rows["note"].iloc[1]
    total = cost.totals(frame)
    assert total["macs"] == 64 * (4 * 27 + 12 + 12 + 12) and total["gmacs"] == total["macs"] / 1e9


def test_sequential_and_totals_match_count_params():
    model = keras.Sequential([keras.Input((16, 16, 3)), L.Conv2D(8, 3), L.BatchNormalization(), L.ReLU(), L.Flatten(), L.Dense(10)])
    frame = kc.profile(model)
    total = cost.totals(frame)
    assert total["params"] == model.count_params() and total["non_trainable_params"] == 16
    assert total["macs"] == 14 * 14 * 8 * 27 + 14 * 14 * 8 * 10
    assert set(total) >= {"params", "trainable_params", "macs", "gmacs", "flops_other", "activation_bytes"}


def test_unknown_layer_is_a_zero_row_with_a_note():
    @keras.saving.register_keras_serializable(package="test_cost")
    class Scale(L.Layer):
        def build(self, input_shape):
            self.gamma = self.add_weight(shape=(input_shape[-1],), name="gamma")

        def call(self, x):
            return x * self.gamma

    x = keras.Input((4, 4, 3))
    frame = kc.profile(keras.Model(x, Scale(name="scale")(L.Conv2D(3, 3, name="conv")(x))))
    row = frame.set_index("name").loc["scale"]
    assert (row["params"], row["macs"], row["flops_other"]) == (3, 0, 0)
    assert "unknown" in row["note"]
    assert row["receptive_field"] == 3  # passes the field through
    assert not frame.isna().to_numpy().any()


def test_custom_convolution_is_counted_by_its_kernel():
    """A custom layer with kernel_size, strides and a kernel weight (as LeNet's PartialConv2D)."""

    class SparseConv(L.Layer):
        kernel_size, strides = (5, 5), (1, 1)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(5, 5, 10), name="kernel")  # 10 connected map pairs

        def call(self, x):
            return keras.ops.conv(x, keras.ops.ones((5, 5, x.shape[-1], 4)))

    x = keras.Input((14, 14, 6))
    frame = kc.profile(keras.Model(x, SparseConv(name="c3")(x)))
    row = frame.iloc[1]
    assert (row["output_shape"], row["params"], row["macs"]) == ((10, 10, 4), 250, 10 * 10 * 250)
    assert row["receptive_field"] == 5 and "counted as a convolution" in row["note"]


def test_keras_ops_in_the_graph():
    x = keras.Input((4, 4, 3))
    y = keras.ops.relu(x + 3.0) * (1.0 / 6.0)
    frame = kc.profile(keras.Model(x, keras.ops.matmul(keras.ops.reshape(y, (-1, 16, 3)), keras.ops.ones((3, 5)))))
    assert frame["flops_other"].sum() == 3 * 48
    assert frame["macs"].sum() == 16 * 5 * 3


def test_open_input_size_needs_input_shape():
    model = stack((None, None, 3), L.Conv2D(4, 3, strides=2, use_bias=False), L.GlobalMaxPooling2D())
    with pytest.raises(ValueError, match="input_shape"):
        kc.profile(model)
    by_int, by_shape = kc.profile(model, 33), kc.profile(model, (33, 33, 3))
    assert by_int["macs"].sum() == by_shape["macs"].sum() == 16 * 16 * 4 * 27
    assert by_int["output_shape"].iloc[1] == (16, 16, 4)
    with pytest.raises(ValueError, match="input_shape.*fixed dimension"):
        kc.profile(model, (33, 33, 4))
    with pytest.raises(ValueError, match="input_shape"):
        kc.profile(stack((8, 8, 3), L.Conv2D(4, 3)), 16)
    with pytest.raises(ValueError, match="`model`"):
        kc.profile(L.Conv2D(4, 3))


@pytest.mark.slow
@pytest.mark.skipif(BACKEND == "jax", reason="counts do not depend on the backend: 2-4 s under TensorFlow and PyTorch, 50 s under JAX (it compiles each initializer shape)")
def test_keras_applications_mobilenet_v2_matches_torchvision():
    """Depthwise convolutions, ZeroPadding, ReLU6, Add: torchvision's mobilenet_v2 is 0.301 GMACs."""
    model = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
    frame = kc.profile(model)
    total = cost.totals(frame)
    assert total["params"] == model.count_params()
    assert total["gmacs"] == pytest.approx(0.301, rel=0.01)
    assert (frame["note"] == "").all()


def test_table_text_and_cli(tmp_path, capsys):
    model = stack((8, 8, 3), L.Conv2D(4, 3, name="conv"))
    text = cost.format_table(kc.profile(model))
    assert "conv" in text and "MACs: 3,888" in text
    path = tmp_path / "tiny.keras"
    model.save(path)
    csv = tmp_path / "tiny.csv"
    assert cli("summary", str(path), "--csv", str(csv)) == 0
    assert "MACs: 3,888 (0.000 G" in capsys.readouterr().out
    import pandas as pd

    assert pd.read_csv(csv)["macs"].sum() == 6 * 6 * 4 * 27
    assert cli("summary", "vgg11", "--input-size", "32") == 0
    out = capsys.readouterr().out
    assert "vgg11: input 32x32x3" in out and "block5_pool" in out
    with pytest.raises(ValueError, match="MODEL.*no_such_model"):
        cli("summary", "no_such_model")
    with pytest.raises(ValueError, match="MODEL.*missing.keras"):
        cli("summary", str(tmp_path / "missing.keras"))
    with pytest.raises(ValueError, match="input-size"):
        cli("summary", "vgg11", "--input-size", "0")


def test_models_table_has_measured_gmacs(monkeypatch):
    from keras_classics import registry, tables

    info = kc.model_info("vgg11")
    small = type(info)(**{**info.__dict__, "builder": lambda **kw: stack((8, 8, 3), L.Conv2D(4, 3, name="c")), "defaults": {}})
    monkeypatch.setattr(registry, "model_info", lambda name: small)
    row = tables.measure("vgg11")
    assert row["gmacs"] == round(6 * 6 * 4 * 27 / 1e9, 3)
    assert row["params"] == 3 * 3 * 3 * 4 + 4 and row["trainable"] == row["params"]
    assert "7.609 GMACs" in row["reference"]
    assert "gmacs" in tables.to_markdown(tables.table_rows([row])).splitlines()[0]
