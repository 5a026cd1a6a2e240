"""The benchmark's worker process: one (network, runner, batch) timed in a fresh Python.

The same arrangement as compare's (:mod:`keras_classics.compare.worker`, whose
environment it uses): the parent writes a spec JSON, starts ``WORKER_COMMAND``
with ``KERAS_BACKEND`` set, and reads the result JSON back. An allocation
failure is reported as ``"oom": true`` so the parent retries a smaller batch.
"""

from __future__ import annotations

import traceback

from keras_classics.utils.files import read_json, write_json

WORKER_COMMAND = "import sys; from keras_classics.benchmark.worker import worker_main; sys.exit(worker_main(sys.argv[1:]))"


def worker_main(argv) -> int:
    """Entry point of a worker process: ``spec.json result.json``."""
    spec_path, result_path = argv
    spec = read_json(spec_path)
    try:
        from keras_classics.benchmark.measure import measure

        result, code = {"row": measure(**spec)}, 0
    except Exception as err:  # recorded as the row's error; the run goes on
        from keras_classics.benchmark.measure import is_out_of_memory

        traceback.print_exc()
        message = " ".join(str(err).split()) or type(err).__name__
        result = {"row": {"status": "error", "error": f"{type(err).__name__}: {message}"[:500]}, "oom": is_out_of_memory(err)}
        code = 1
    write_json(result_path, {"row": {k: _plain(v) for k, v in result["row"].items()}, "oom": result.get("oom", False)}, indent=None)
    return code


def _plain(value):
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
