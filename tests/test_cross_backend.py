"""A model saved under one backend loads under the others with equal outputs."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, other_backends, subprocess_env, to_numpy

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
def test_saved_model_loads_under_every_other_backend(tmp_path):
    paths, expected = {}, {}
    for name, size in CASES.items():
        info = kc.model_info(name)
        model = kc.get_model(name, input_shape=(size, size, info.channels), classes=4)
        x = np.random.default_rng(0).uniform(-1, 1, (2, size, size, info.channels)).astype("float32")
        path = str(tmp_path / f"{name}.keras")
        model.save(path)
        np.save(path + ".x.npy", x)
        paths[name], expected[name] = path, to_numpy(model(x, training=False))[0]
    for backend in other_backends():
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
