"""The worker process: one (model, backend) pair measured in a fresh Python, apart from the others.

The parent (:mod:`.runner`) writes a spec JSON, starts ``WORKER_COMMAND`` with
``KERAS_BACKEND`` set (:func:`worker_env`), and reads the result JSON back.
A crash or an out-of-memory kill then costs one row, and ``peak_rss_mb`` is
this model's alone.
"""

from __future__ import annotations

import os
import traceback

from keras_classics.utils.files import read_json, write_json
from keras_classics.utils.quiet import QUIET_LOGS

WORKER_COMMAND = "import sys; from keras_classics.compare.worker import worker_main; sys.exit(worker_main(sys.argv[1:]))"



def worker_env(backend: str) -> dict:
    """The environment of a worker: this one, the backend set, output unbuffered, backend start-up chatter off.

    A level the user set already wins, so ``TF_CPP_MIN_LOG_LEVEL=0`` still shows everything.
    """
    return {**QUIET_LOGS, **os.environ, "KERAS_BACKEND": backend, "PYTHONUNBUFFERED": "1"}


def worker_main(argv) -> int:
    """Entry point of a worker process: ``spec.json result.json``; the backend is ``$KERAS_BACKEND``."""
    spec_path, result_path = argv
    spec = read_json(spec_path)
    try:
        from keras_classics.compare.measure import measure

        result = measure(**spec)
        code = 0
    except Exception as err:  # recorded as the model's error row; the run goes on
        traceback.print_exc()
        message = " ".join(str(err).split()) or type(err).__name__
        result = {"row": {"status": "error", "error": f"{type(err).__name__}: {message}"[:500]}}
        code = 1
    write_json(result_path, result, indent=None)
    return code
