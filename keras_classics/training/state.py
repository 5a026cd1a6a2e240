"""The run folder's states, read from the files in it, and the order :func:`~keras_classics.training.train` moves it through them.

Every file is replaced atomically, in this order:

1. ``run.json`` (what is trained). A folder holding ``run.json`` only (and maybe a ``log.csv`` or
   ``best.keras`` of an epoch no backup committed) has **nothing trained**: a start that failed or
   was killed early. Any command may start afresh there.
2. ``backup/`` at every epoch end: ``best.keras`` and ``log.csv`` first, then the weights file, then
   ``state.json`` (epoch, why training stopped, the callbacks' bests), the commit point. A folder with
   ``backup/state.json`` is **unfinished**: the same command resumes it; ``log.csv`` keeps the rows of
   the epochs the backup holds and the rest run again.
3. When training ends: ``model.keras``, then ``results.json`` (the commit point: the run is
   **finished**, ``--resume`` continues it to more epochs), then ``backup/`` is removed
   (``state.json`` first). Killed before ``results.json``, the backup says every epoch is done (or
   why training stopped): the same command runs no epoch, evaluates and saves.
"""

from __future__ import annotations

import os
import shutil

from keras_classics._validate import bad_argument
from keras_classics.utils.files import read_json, write_json

MATCHING_FIELDS = ("model", "dataset", "input_shape", "num_classes", "model_kwargs", "weights")


def _is_temporary(name: str) -> bool:
    """An atomic write's temporary (``.NAME.tmp-PID.EXT``, ``.tmp-best.keras``) a kill left behind."""
    return name.startswith(".") and ".tmp-" in name


def backup_state(out_dir):
    """``backup/state.json`` of ``out_dir`` (a dict), or ``None``."""
    path = os.path.join(out_dir, "backup", "state.json")
    return read_json(path) if os.path.exists(path) else None


def _has(out_dir, name) -> bool:
    return os.path.exists(os.path.join(out_dir, name))


def nothing_trained(out_dir) -> bool:
    """``run.json`` but no committed epoch: no backup, no ``model.keras``, no ``results.json``."""
    return _has(out_dir, "run.json") and not any(_has(out_dir, n) for n in (os.path.join("backup", "state.json"), "model.keras", "results.json"))


def check_out_dir(out_dir, record, *, resume: bool, epochs: int) -> str:
    """What to do in ``out_dir``: ``"new"``, ``"resume"`` (unfinished backup) or ``"continue"`` (``resume`` a finished run).

    Raises before anything is written when the folder is not a run folder, holds
    another run, or a finished run without ``resume``.
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise bad_argument("out_dir", out_dir, "a folder (this is a file)")
    if not _has(out_dir, "run.json"):
        if os.path.isdir(out_dir) and any(not _is_temporary(n) for n in os.listdir(out_dir)):
            raise bad_argument("out_dir", out_dir, "a new or empty folder, or one written by keras-classics train (no run.json there); "
                                                   "nothing was overwritten")
        if resume:
            raise bad_argument("resume", out_dir, "a folder holding a run to resume (no run.json there); leave out --resume to start one")
        return "new"
    if nothing_trained(out_dir):
        if resume:
            raise bad_argument("resume", out_dir, "a folder holding a run to resume (no epoch was trained there); leave out --resume to start one")
        return "new"  # any command may start afresh: the one that wrote run.json failed before an epoch was committed
    previous = read_json(os.path.join(out_dir, "run.json"))
    diffs = [f"{k}: {previous.get(k)!r} there, {record[k]!r} now" for k in MATCHING_FIELDS if previous.get(k) != record[k]]
    if diffs:
        raise bad_argument("out_dir" if not resume else "resume", out_dir, "a folder whose run matches this one (" + "; ".join(diffs) + "); use another --out")
    if backup_state(out_dir) is not None:
        return "resume"
    if not resume:
        raise bad_argument("out_dir", out_dir, "a new folder, or --resume to continue the finished run there")
    if not _has(out_dir, "model.keras") or not _has(out_dir, "results.json"):
        raise bad_argument("resume", out_dir, "a folder with model.keras and results.json, or backup/, to resume from")
    done = read_json(os.path.join(out_dir, "results.json"))["epochs"]
    if epochs <= done:
        raise bad_argument("epochs", epochs, f"more than the {done} epochs the run in {out_dir} has done (with --resume)")
    return "continue"


def worker_mode(out_dir, *, resume: bool) -> str:
    """A non-chief worker's mode: the chief's, read from the files (the chief checks and writes the folder)."""
    if backup_state(out_dir) is not None:
        return "resume"
    return "continue" if resume and _has(out_dir, "results.json") and _has(out_dir, "model.keras") else "new"


def _remove_backup(out_dir) -> None:
    backup = os.path.join(out_dir, "backup")
    if os.path.exists(os.path.join(backup, "state.json")):
        os.remove(os.path.join(backup, "state.json"))  # first: a backup without its weights file never stays committed
    shutil.rmtree(backup, ignore_errors=True)


def _remove_temporaries(out_dir) -> None:
    for name in os.listdir(out_dir):
        if _is_temporary(name) and os.path.isfile(os.path.join(out_dir, name)):
            os.remove(os.path.join(out_dir, name))


def prepare(out_dir, mode: str, run_record: dict) -> None:
    """Before training (the chief): clear what no committed epoch stands behind, then write ``run.json``.

    ``"new"``: an earlier start's ``log.csv``, ``best.keras``, ``backup/`` and temporaries;
    ``"continue"``: a backup folder without ``state.json``.
    """
    os.makedirs(out_dir, exist_ok=True)
    if mode == "new":
        for name in ("log.csv", "best.keras"):
            if _has(out_dir, name):
                os.remove(os.path.join(out_dir, name))
        _remove_backup(out_dir)
        _remove_temporaries(out_dir)
    elif mode == "continue":
        _remove_backup(out_dir)
    write_json(os.path.join(out_dir, "run.json"), run_record)


def finish(out_dir, results: dict) -> None:
    """After ``model.keras`` (the chief): commit ``results.json``, then remove the backup and any temporaries."""
    write_json(os.path.join(out_dir, "results.json"), results)
    _remove_backup(out_dir)
    _remove_temporaries(out_dir)
