"""The command line's core: subcommand discovery, `list`, one-line errors for bad input, and answering at once."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import BACKEND, subprocess_env
from keras_classics.cli import build_parser, main
from keras_classics.tables import registry_names, stored_figures

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("keras", "tensorflow", "jax", "torch")


def test_list_names_only(capsys):
    assert main(["list", "vgg1?", "--names-only"]) == 0
    assert capsys.readouterr().out.split() == ["vgg11", "vgg13", "vgg16", "vgg19"]


def test_list_with_a_pattern_matching_nothing_is_a_one_line_error(capsys):
    assert main(["list", "resnet9000*"]) == 2
    err = capsys.readouterr().err
    assert "`pattern`: received 'resnet9000*', which matches no model" in err and "Traceback" not in err


def test_list_prints_the_stored_figures(capsys):
    assert main(["list", "lenet5*"]) == 0
    out = capsys.readouterr().out.replace(",", "")
    assert "61706" in out and "60840" in out


def test_list_measure_builds_the_models(capsys):
    assert main(["list", "lenet5", "--measure"]) == 0
    captured = capsys.readouterr()
    assert "61706" in captured.out.replace(",", "") and "building lenet5" in captured.err


def test_stored_figures_name_exactly_the_registry():
    """Cheap, every backend: figures.csv has one row per registry model (that the figures equal
    a fresh build is tests/test_fidelity.py's)."""
    assert [row["name"] for row in stored_figures()] == registry_names()


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "list" in capsys.readouterr().out
    assert "list" in build_parser().format_help()


def _run_without_backend(calls):
    """Run ``main(argv)`` for each of ``calls`` in a fresh interpreter; return its output and the heavy modules it imported."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from keras_classics.cli import main
        for argv in {calls!r}:
            try:
                main(argv)
            except SystemExit:
                pass
            print("IMPORTED" + json.dumps([argv, [m for m in {HEAVY!r} if m in sys.modules]]), flush=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=subprocess_env(BACKEND), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = [json.loads(line[len("IMPORTED"):]) for line in done.stdout.splitlines() if line.startswith("IMPORTED")]
    return done.stdout, imported


def test_help_imports_no_backend():
    commands = sorted(build_parser()._subparsers._group_actions[0].choices)
    assert {"export", "list", "summary"} <= set(commands)
    calls = [["--help"], *([command, "--help"] for command in commands)]
    _, imported = _run_without_backend(calls)
    assert imported == [[argv, []] for argv in calls]


def test_list_imports_no_backend():
    calls = [["list"], ["list", "--markdown"], ["list", "vgg*", "--names-only"]]
    out, imported = _run_without_backend(calls)
    assert imported == [[argv, []] for argv in calls]
    assert "densenet121" in out and "| name | input |" in out


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the import hook does not depend on the backend: checked in the TensorFlow suite (20-40 s of subprocesses)")
def test_import_keras_classics_registers_the_custom_layers_before_or_after_keras(tmp_path):
    """``import keras_classics`` loads no backend, yet a ``.keras`` file with our custom layers (AlexNet's LRN)
    loads with ``keras.saving.load_model`` whether Keras was imported before or after the package."""
    import keras

    import keras_classics as kc

    path = tmp_path / "lrn.keras"
    image = keras.Input((8, 8, 3))
    keras.Model(image, kc.LocalResponseNormalization(name="conv1_lrn")(image)).save(path)
    for order in ("import keras_classics\nimport keras", "import keras\nimport keras_classics"):
        script = f"{order}\nm = keras.saving.load_model({str(path)!r})\nprint('LOADED', type(m.get_layer('conv1_lrn')).__name__)"
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=subprocess_env(BACKEND), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "LOADED LocalResponseNormalization" in done.stdout, f"{order!r}:\n{done.stderr[-2000:]}"


CHATTER_LINES = [
    "I1130 00:39:37.700519    2762 pjrt_client.cc:579] PjRt-IFRT device count: total=1, addressable=1",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795997207.183661   16480 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.",
    "E0000 00:00:1795997214.067955   16480 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
]


def test_stderr_filter_drops_tensorflow_chatter_and_forwards_the_rest(tmp_path):
    """Through file descriptor 2, as TensorFlow's C++ writes it: chatter dropped, every other line kept, in order."""
    from keras_classics.utils.quiet import is_chatter

    assert all(is_chatter(line) for line in CHATTER_LINES)
    assert not is_chatter("keras-classics train: error: `--epochs`: received 0; allowed: an integer >= 1.")
    script = textwrap.dedent(
        f"""
        import os
        from keras_classics.utils.quiet import filtered_stderr
        with filtered_stderr(enabled=True):
            for line in {CHATTER_LINES!r} + ["a real warning", "Epoch 1/3 [partial"]:
                os.write(2, (line + "\\n").encode())
            os.write(2, b"progress 50%\\r")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr == b"a real warning\nEpoch 1/3 [partial\nprogress 50%\r"


def test_cli_on_a_terminal_shows_no_tensorflow_chatter():
    """`keras-classics summary` imports the backend; on a terminal (a pty here) stderr stays empty."""
    import os
    import pty

    env = subprocess_env(BACKEND)
    env.pop("TF_CPP_MIN_LOG_LEVEL")  # what a user has: the command line sets its own level
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "keras_classics.cli", "summary", "lenet5"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    terminal = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        terminal += chunk
    out = process.communicate(timeout=300)[0].decode()
    os.close(master)
    assert process.returncode == 0 and "lenet5: input 32x32x1" in out
    assert terminal.decode(errors="replace").strip() == ""
