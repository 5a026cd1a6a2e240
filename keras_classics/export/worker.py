"""The TensorFlow-backend side of an export: ``KERAS_BACKEND=tensorflow python -m keras_classics.export.worker SPEC.json``.

Used for the formats the calling backend cannot write itself (see each
record's ``native_backends`` in :mod:`keras_classics.export.formats`). ``SPEC.json`` names the staged ``.keras`` file, one sample
input and the representative data (``.npy``; the latter may be null) and the artifacts to write:
``[{"format": ..., "path": ..., "quantize": ...}, ...]``. Verification stays in
the calling process, against its own Keras outputs.
"""

from __future__ import annotations

import json
import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: KERAS_BACKEND=tensorflow python -m keras_classics.export.worker SPEC.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        spec = json.load(handle)

    import keras
    import numpy as np

    if keras.backend.backend() != "tensorflow":
        print(f"the export worker needs KERAS_BACKEND=tensorflow, not {keras.backend.backend()}", file=sys.stderr)
        return 2
    import keras_classics.layers  # noqa: F401  (registers the custom layers before loading)
    from keras_classics.export import writers
    from keras_classics.export.formats import FORMATS

    model = writers.inference_model(keras.saving.load_model(spec["model"]), np.load(spec["sample"]))
    representative = np.load(spec["representative"]) if spec.get("representative") else None
    for artifact in spec["artifacts"]:
        fmt, path = artifact["format"], artifact["path"]
        if fmt not in FORMATS or not FORMATS[fmt].via_worker:
            print(f"the export worker does not write {fmt!r}", file=sys.stderr)
            return 2
        FORMATS[fmt].write(model, path, artifact.get("quantize"), representative)
        print(json.dumps({"format": fmt, "path": path}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
