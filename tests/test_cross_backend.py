"""A model saved under one backend loads under another with equal outputs.

Each backend's suite loads what it saved under the next backend of a cycle (TensorFlow -> JAX ->
PyTorch -> TensorFlow): over the three CI suites every backend saves once and loads once, for
half the cost of loading under both others in each suite (55-150 s per suite on 2 cores).
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, subprocess_env, to_numpy

NEXT = {"tensorflow": "jax", "jax": "torch", "torch": "tensorflow"}

# custom layers (PartialConv2D, EuclideanRBF, scaled_tanh; LRN, grouped convolutions; BN)
CASES = {"lenet5_1998": 32, "alexnet": 67, "vgg11_bn": 32}

LOADER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import keras
    import keras_classics  # registers the custom layers
    result = {"backend": keras.backend.backend()}
    for name, path in json.loads(sys.argv[1]).items():
        model = keras.saving.load_model(path, safe_mode=True)
        x = np.load(path + ".x.npy")
        result[name] = keras.ops.convert_to_numpy(model(x, training=False)).tolist()
    print("RESULT" + json.dumps(result))
    """
)


@pytest.mark.slow
def test_saved_model_loads_under_the_next_backend(tmp_path):
    paths, expected = {}, {}
    for name, size in CASES.items():
        info = kc.model_info(name)
        model = kc.get_model(name, input_shape=(size, size, info.channels), classes=4)
        x = np.random.default_rng(0).uniform(-1, 1, (2, size, size, info.channels)).astype("float32")
        path = str(tmp_path / f"{name}.keras")
        model.save(path)
        np.save(path + ".x.npy", x)
        paths[name], expected[name] = path, to_numpy(model(x, training=False))[0]
    for backend in [NEXT[BACKEND]]:
        run = subprocess.run(
            [sys.executable, "-c", LOADER, json.dumps(paths)], env=subprocess_env(backend),
            capture_output=True, text=True, timeout=600,
        )
        assert run.returncode == 0, f"loading under {backend} failed:\n{run.stderr[-3000:]}"
        result = json.loads(run.stdout.split("RESULT", 1)[1])
        assert result["backend"] == backend
        for name in CASES:
            np.testing.assert_allclose(
                np.array(result[name]), expected[name], atol=1e-5,
                err_msg=f"{name}: saved under {BACKEND}, loaded under {backend}",
            )
