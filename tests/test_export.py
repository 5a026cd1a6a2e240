"""keras_classics.export from the current backend: every format verified, quantization, overwrite, bad input.

The formats the backend cannot write itself go through a TensorFlow-backend
subprocess (about 10 s each on an idle machine); every test batches its formats
into one export call, so each test starts at most one subprocess.
"""

import os

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND
from keras_classics.cli import main as cli_main
from keras_classics.export import TOLERANCE, ExportError
from keras_classics.export import api as export_api
from keras_classics.export import formats as export_formats
from keras_classics.export import runtimes

FORMATS = ("keras", "saved_model", "tflite", "onnx")
# What Keras 3 cannot write from each backend, so what must come from the subprocess.
SUBPROCESS = {"tensorflow": set(), "jax": {"tflite", "onnx"}, "torch": {"saved_model", "tflite"}}
SIZE = 16


def tiny_model(name="tiny"):
    """LRN, a grouped convolution (AlexNet's custom parts) and an auxiliary head, in a few thousand weights."""
    image = keras.Input((SIZE, SIZE, 3), name="image")
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv1")(image)
    x = kc.LocalResponseNormalization(name="lrn")(x)
    x = keras.layers.Conv2D(32, 3, groups=2, activation="relu", name="conv2_grouped")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    # A wide initial kernel gives a decisive softmax, so top-1 agreement means something.
    main = keras.layers.Dense(6, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(stddev=30.0), name="predictions")(x)
    aux = keras.layers.Dense(6, activation="softmax", name="aux_predictions")(x)
    return keras.Model(image, [main, aux], name=name)


def images(n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, SIZE, SIZE, 3)).astype("float32")


def keras_main_output(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False)[0])


def test_every_format_from_this_backend(tmp_path):
    model = tiny_model()
    report = kc.export(model, formats=FORMATS, out_dir=tmp_path)
    assert [a.format for a in report] == list(FORMATS)
    assert report.dropped_outputs == 1
    for artifact in report:
        assert artifact.passed and artifact.max_abs_diff <= 1e-4, artifact
        assert artifact.top1_agreement == 1.0
        assert artifact.samples == 4 and artifact.size_bytes > 0
        assert ("subprocess" in artifact.via) == (artifact.format in SUBPROCESS[BACKEND]), artifact.via
    assert sorted(os.listdir(tmp_path)) == ["tiny.keras", "tiny.onnx", "tiny.tflite", "tiny_saved_model"]  # no staging left

    # Checked independently of the report, on a new batch of another size: the
    # inference artifacts carry the main output only, with a free batch size.
    x = images(3, seed=7)
    expected = keras_main_output(model, x)
    for fmt in ("saved_model", "tflite", "onnx"):
        [got] = runtimes.run_artifact(fmt, report[fmt].path, x)
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=fmt)
    reloaded = keras.saving.load_model(report["keras"].path)
    assert len(reloaded.outputs) == 2  # the .keras file keeps the auxiliary head for training


def test_saved_model_stores_each_weight_once(tmp_path):
    """keras-team/keras#23553: ``model.export`` on TensorFlow writes every weight twice; ours does not."""
    tf = pytest.importorskip("tensorflow")
    model = tiny_model()
    inference_weights = sum(int(np.prod(w.shape)) for w in keras.Model(model.inputs, model.outputs[0]).weights)
    report = kc.export(model, formats="saved_model", out_dir=tmp_path)
    stored = tf.train.list_variables(os.path.join(report["saved_model"].path, "variables", "variables"))
    values = sum(int(np.prod(shape)) for name, shape in stored if name != "_CHECKPOINTABLE_OBJECT_GRAPH")
    assert values == inference_weights  # not twice (the auxiliary head is not in the artifact)


# The formats each backend writes itself (the subprocess path is covered above, by the same worker).
NATIVE_FORMATS = {"tensorflow": ("tflite", "onnx"), "jax": ("saved_model",), "torch": ("onnx",)}


@pytest.mark.skipif(BACKEND == "jax", reason="a .keras file as input is the same code on every backend; JAX's in-process SavedModel is checked by test_every_format_from_this_backend (this one: 60 s on JAX)")
def test_registry_model_from_a_keras_file(tmp_path, monkeypatch):
    """A trained model saved as .keras, to the default destination saved_models/<file stem>/."""
    model = kc.get_model("resnet20_cifar")
    model.get_layer(index=-1).kernel.assign(np.random.default_rng(0).normal(size=model.get_layer(index=-1).kernel.shape) * 3)
    model.save(tmp_path / "resnet20_trained.keras")
    monkeypatch.chdir(tmp_path)
    report = kc.export("resnet20_trained.keras", formats=NATIVE_FORMATS[BACKEND])
    assert report.out_dir == str(tmp_path / "saved_models" / "resnet20_trained")
    x = np.random.default_rng(0).uniform(-1, 1, size=(4, 32, 32, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    for artifact in report:
        assert artifact.passed and artifact.max_abs_diff <= 1e-4 and artifact.top1_agreement == 1.0, artifact
        assert "in process" in artifact.via
        [got] = runtimes.run_artifact(artifact.format, artifact.path, x)
        np.testing.assert_allclose(got, expected, atol=1e-4, err_msg=artifact.format)
    names = {"tflite": "resnet20_trained.tflite", "onnx": "resnet20_trained.onnx", "saved_model": "resnet20_trained_saved_model"}
    assert sorted(os.listdir(report.out_dir)) == sorted(names[fmt] for fmt in NATIVE_FORMATS[BACKEND])


@pytest.mark.slow
@pytest.mark.parametrize("quantize", [
    pytest.param(q, marks=pytest.mark.skipif(BACKEND == "jax", reason="quantized on TensorFlow and PyTorch: JAX's artifacts come through jax2tf, 35-70 s each on 2 cores"))
    for q in ("float16", "dynamic", "int8")
])
def test_quantized_tflite_and_onnx(tmp_path, quantize):
    import onnx

    model = tiny_model()
    representative = images(16, seed=1)
    report = kc.export(model, formats=("tflite", "onnx"), out_dir=tmp_path, quantize=quantize, representative_data=representative)
    for artifact in report:
        assert artifact.quantize == quantize
        assert artifact.path.endswith(f"tiny_{quantize}.{artifact.format}")
        assert artifact.passed and artifact.max_abs_diff <= TOLERANCE[quantize], artifact
        # 4 samples from representative_data; ONNX Runtime's dynamic mode (activations
        # quantized per tensor at run time) flips about one decision in eight here.
        assert artifact.top1_agreement >= (0.5 if quantize == "dynamic" else 0.75), artifact
    # The artifacts really are quantized.
    tensor_types = {d["dtype"] for d in runtimes.tflite_interpreter(report["tflite"].path).get_tensor_details()}
    assert (np.float16 if quantize == "float16" else np.int8) in tensor_types
    graph = onnx.load(report["onnx"].path).graph
    ops = {node.op_type for node in graph.node}
    if quantize == "float16":
        assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.initializer)
    elif quantize == "dynamic":
        assert {"DynamicQuantizeLinear", "ConvInteger"} & ops or "MatMulInteger" in ops, ops
    else:
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops, ops


def test_overwrite_protection(tmp_path):
    model = tiny_model()
    first = kc.export(model, formats="keras", out_dir=tmp_path)
    path = first["keras"].path
    before = open(path, "rb").read()
    with pytest.raises(ValueError, match="`overwrite`"):
        kc.export(model, formats="keras", out_dir=tmp_path)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["tiny.keras"]

    model.get_layer("predictions").bias.assign(np.full((6,), 2.0, "float32"))
    kc.export(model, formats="keras", out_dir=tmp_path, overwrite=True)
    assert os.listdir(tmp_path) == ["tiny.keras"]
    reloaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(reloaded.get_layer("predictions").bias), np.full((6,), 2.0))


def test_an_artifact_past_tolerance_is_not_written(tmp_path, monkeypatch):
    real = runtimes.run_artifact
    monkeypatch.setattr(export_api.runtimes, "run_artifact", lambda fmt, path, x: [o + 1e-3 for o in real(fmt, path, x)])
    with pytest.raises(ExportError, match="beyond the tolerance") as raised:
        kc.export(tiny_model(), formats="keras", out_dir=tmp_path / "out")
    assert "0.001" in str(raised.value)  # the report with the measured difference comes with the error
    assert not (tmp_path / "out").exists()


def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path):
    model = tiny_model()
    out = tmp_path / "out"
    (tmp_path / "notes.keras").write_text("not a model")
    cases = [
        (dict(model_or_path=model, formats="pdf"), "`formats`"),
        (dict(model_or_path=model, formats=()), "`formats`"),
        (dict(model_or_path=model, formats="onnx", quantize="int4"), "`quantize`"),
        (dict(model_or_path=model, formats="saved_model", quantize="float16"), "`quantize`"),
        (dict(model_or_path=model, formats="tflite", quantize="int8"), "`representative_data`"),
        (dict(model_or_path=model, formats="tflite", quantize="int8", representative_data=np.zeros((4, 8, 8, 3))), "`representative_data`"),
        (dict(model_or_path=str(tmp_path / "notes.keras"), formats="onnx"), "`model_or_path`"),
        (dict(model_or_path=str(tmp_path / "missing.keras"), formats="onnx"), "`model_or_path`"),
        (dict(model_or_path="vgg17", formats="onnx"), "vgg16"),
        (dict(model_or_path=42, formats="onnx"), "`model_or_path`"),
        (dict(model_or_path=model, formats="onnx", overwrite="yes"), "`overwrite`"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            kc.export(out_dir=out, **kwargs)
        assert not out.exists(), kwargs


def test_missing_optional_dependency_names_the_extra(tmp_path, monkeypatch):
    real = export_formats.importlib.util.find_spec
    monkeypatch.setattr(export_formats.importlib.util, "find_spec", lambda name, *args: None if name == "onnxruntime" else real(name, *args))
    with pytest.raises(ImportError, match=r"onnxruntime.*pip install keras-classics\[export\]"):
        kc.export(tiny_model(), formats=("keras", "onnx"), out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_command_line(tmp_path, capsys):
    tiny_model().save(tmp_path / "tiny.keras")
    out = str(tmp_path / "out")
    assert cli_main(["export", str(tmp_path / "tiny.keras"), "--format", "keras", "--out", out]) == 0
    assert "tiny.keras" in capsys.readouterr().out
    assert cli_main(["export", str(tmp_path / "tiny.keras"), "--format", "keras", "--out", out]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert cli_main(["export", str(tmp_path / "tiny.keras"), "--format", "keras", "--out", out, "--overwrite"]) == 0
    assert cli_main(["export", "tiny", "--format", "keras,gif", "--out", out]) == 2
    assert "`--format`" in capsys.readouterr().err
    assert os.listdir(out) == ["tiny.keras"]


def test_tf2onnx_passes_collect_garbage_and_the_registry_is_restored(monkeypatch):
    """The memory fix for tf2onnx's per-pass graph copies (writers._collect_between_tf2onnx_passes)."""
    import gc

    from keras_classics.export import writers

    tf2onnx_optimizer = pytest.importorskip("tf2onnx.optimizer")
    original = dict(tf2onnx_optimizer._optimizers)
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(args) or 0)
    with writers._collect_between_tf2onnx_passes():
        for factory in tf2onnx_optimizer._optimizers.values():
            factory()
    assert len(calls) == len(original) > 0
    assert tf2onnx_optimizer._optimizers == original


def load_app(name):
    """An app script (apps/<name>.py) as a module."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"{name}_app", Path(__file__).resolve().parents[1] / "apps" / f"{name}.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    return app


def test_export_registry_app_writes_resumes_and_summarises(tmp_path, capsys):
    # apps/export_registry.py on one small model and the in-process .keras format:
    # a CSV row per artifact, a Markdown summary beside it, a second run that
    # skips what is done, --force that redoes it, and a bad pattern that exits 2.
    app = load_app("export_registry")
    out = tmp_path / "registry.csv"
    assert app.main(["lenet5", "--formats", "keras", "--out", str(out)]) == 0
    import pandas as pd

    table = pd.read_csv(out)
    assert list(table["model"]) == ["lenet5"] and list(table["format"]) == ["keras"]
    assert bool(table["passed"][0]) and table["max_abs_diff"][0] <= TOLERANCE[None] and table["top1_agreement"][0] == 1.0
    summary = (tmp_path / "registry.md").read_text().splitlines()
    assert summary[0].startswith("| model | .keras MB |") and summary[2].startswith("| lenet5 | 0.3 | 1 | yes |")
    assert app.main(["lenet5", "--formats", "keras", "--out", str(out)]) == 0
    assert "in " + str(out) + " already, skipped" in capsys.readouterr().out
    assert app.main(["lenet5", "--formats", "keras", "--out", str(out), "--force"]) == 0
    assert "skipped" not in capsys.readouterr().out and len(pd.read_csv(out)) == 1
    assert app.main(["no_such_net*", "--out", str(out)]) == 2
    assert "`patterns`: received 'no_such_net*'" in capsys.readouterr().err


def test_bench_export_thread_settings_are_checked():
    app = load_app("bench_export")
    assert app.parse_threads("default, 1,2,1") == [None, 1, 2]
    for bad in ("0", "two", "1,,2"):
        with pytest.raises(ValueError, match=rf"`--threads`: received '{bad}'.*'default' and integers >= 1"):
            app.parse_threads(bad)
    with pytest.raises(SystemExit) as exit_info:
        app.main(["--threads", "0"])
    assert exit_info.value.code == 2


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the bench is run on the TensorFlow backend (every format in process)")
def test_bench_export_times_each_format_at_each_thread_setting(tmp_path):
    import pandas as pd

    load_app("bench_export").main(["--models", "lenet5", "--threads", "default,1", "--repeats", "2", "--warmup", "1", "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "bench_export.csv")
    assert list(zip(table["format"], table["threads"].astype(str))) == [
        ("keras", "TF default"), ("saved_model", "TF default"), ("tflite", "default"), ("tflite", "1"), ("onnx", "default"), ("onnx", "1")]
    assert (table["latency_ms_median"] > 0).all() and (table["max_abs_diff"] <= TOLERANCE[None]).all()
    assert table["latency_vs_keras"][0] == 1.0
    assert "| threads |" in (tmp_path / "bench_export.md").read_text()


def test_tflite_interpreter_defaults_to_every_usable_core(monkeypatch):
    # LiteRT's own default is one thread; ours is every core the process may use.
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    seen = []
    monkeypatch.setattr(litert, "Interpreter", lambda model_path, num_threads: seen.append(num_threads))
    monkeypatch.setattr(runtimes, "usable_cpus", lambda: 7)
    runtimes.tflite_interpreter("model.tflite")
    runtimes.tflite_interpreter("model.tflite", num_threads=1)
    assert seen == [7, 1]


def test_format_records_route_name_and_quantize_as_documented():
    """One record per format (keras_classics/export/formats.py): where it is written, what it is called."""
    records = export_formats.FORMATS
    assert tuple(records) == FORMATS
    for backend, remote in SUBPROCESS.items():
        assert {f for f in records if records[f].route(backend, "auto") == "subprocess"} == remote, backend
    assert {f for f in records if records[f].route(BACKEND, "subprocess") == "native"} == {"keras"}
    assert [records[f].artifact("m", "int8") for f in FORMATS] == ["m.keras", "m_saved_model", "m_int8.tflite", "m_int8.onnx"]
    assert export_formats.lookup(" LiteRT ").name == "tflite" and export_formats.lookup("gif") is None
    assert records["tflite"].quantize_in_writer("int8") == "int8" and records["onnx"].quantize_in_writer("int8") is None
