"""Running a plan: one worker process per job, the CSV rewritten after each, progress lines, clean stops.

The run resumes: a job whose (model, backend, dataset) row is in the CSV is
skipped unless the plan says ``force``. Ctrl-C or SIGTERM stops the worker and
keeps the finished rows (exit status 130); a timeout, a crash or an
out-of-memory kill of one worker is that model's error row.
"""

from __future__ import annotations

import datetime
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from keras_classics.compare.plan import Job, Plan
from keras_classics.compare.plots import write_plots
from keras_classics.compare.results import HISTORY_COLUMNS, KEY, as_int, history_table, outcome, results_table, summary_markdown
from keras_classics.compare.worker import WORKER_COMMAND, worker_env
from keras_classics.utils.files import read_json, write_json
from keras_classics.utils.quiet import without_chatter


def run_plan(plan: Plan) -> int:
    """:func:`run`, stopping cleanly on Ctrl-C or SIGTERM (finished rows stay; the same command resumes)."""
    return run_interruptibly(run, plan, "compare")


def wait_for_worker(command, env, log_path, timeout):
    """Run a worker process with its stderr in ``log_path``: its exit code, or ``None`` if it ran past ``timeout`` (it is killed).

    Any other interruption (Ctrl-C, SIGTERM) kills it too before going on."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, stderr=log)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None
        except BaseException:
            process.kill()
            process.wait()
            raise


def run_interruptibly(run, plan, command: str) -> int:
    """``run(plan)``; on Ctrl-C or SIGTERM, one line saying where the finished rows are, and exit status 130."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return run(plan)
    except KeyboardInterrupt:
        print(f"\n{command}: interrupted; finished rows are in {plan.out}. Run the same command again to resume.", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame):
    raise KeyboardInterrupt  # stops the worker too (run_job kills it) and keeps the finished rows


def run(plan: Plan) -> int:
    """Run every job of ``plan`` not yet in the CSV, write the CSV after each, then the plots.

    Returns 0 when every model ran, 1 when some model failed (its row says why).
    """
    import pandas as pd

    results, histories = results_table(plan.out), history_table(plan.history_path)
    table, history = results.read(), histories.read()
    done = results.keys(table)
    started = time.perf_counter()
    failed = 0
    total = len(plan.jobs)
    print(
        f"compare: {total} run(s) on {plan.dataset}, {plan.epochs} epoch(s), batch {plan.batch_size}, seed {plan.seed}; "
        f"CSV {plan.out}", flush=True,
    )
    for index, job in enumerate(plan.jobs, 1):
        key = (job.model, job.backend, plan.dataset)
        prefix = f"[{index}/{total}] {job.model} on {job.backend}"
        if key in done and not plan.force:
            old = table[(table["model"] == job.model) & (table["backend"] == job.backend) & (table["dataset"] == plan.dataset)].iloc[-1]
            print(f"{prefix}: already in the CSV ({old['status']}, {as_int(old['epochs'])} epochs at {as_int(old['input_size'])}px), skipped; --force runs it again", flush=True)
            continue
        print(f"{prefix}: {job.input_size}x{job.input_size} input, {plan.epochs} epoch(s)  (elapsed {_clock(time.perf_counter() - started)})", flush=True)
        row, epochs = run_job(job, plan)
        failed += row["status"] != "ok"
        table = results.merge(table, [row])
        history = histories.merge(history, pd.DataFrame(epochs, columns=list(HISTORY_COLUMNS)), keys=[key])
        histories.write(history)
        results.write(table)
        done.add(key)
        print(f"{prefix}: {outcome(row)}", flush=True)
    print(f"compare: done in {_clock(time.perf_counter() - started)}; {plan.out}", flush=True)
    if plan.plots:
        for path in write_plots(table, history, plan):
            print(f"compare: wrote {path}", flush=True)
    selected = {(j.model, j.backend, plan.dataset) for j in plan.jobs}
    mine = table[[k in selected for k in zip(*(table[c].astype(str) for c in KEY))]] if len(table) else table
    if len(mine):
        print(summary_markdown(mine))
    return 1 if failed else 0


def run_job(job: Job, plan: Plan):
    """Train ``job`` in a worker process; returns its CSV row and its per-epoch history rows."""
    spec = {
        "model": job.model, "input_size": job.input_size, "dataset": plan.dataset, "epochs": plan.epochs,
        "batch_size": plan.batch_size, "seed": plan.seed, "learning_rate": plan.learning_rate,
        "schedule": plan.schedule, "warmup_epochs": plan.warmup_epochs, "bn_momentum": plan.bn_momentum,
        "deterministic": plan.deterministic,
    }
    row = {
        "model": job.model, "backend": job.backend, "dataset": plan.dataset, "input_size": job.input_size,
        "epochs": plan.epochs, "batch_size": plan.batch_size, "seed": plan.seed,
        "optimizer": f"adam(lr={plan.learning_rate:g})", "schedule": f"{plan.schedule}, warm-up {plan.warmup_epochs:g} epochs",
        "bn_momentum": plan.bn_momentum, "deterministic": plan.deterministic, "cpu_count": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else math.nan,
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with tempfile.TemporaryDirectory(prefix="compare-") as scratch:
        spec_path, result_path, log_path = (os.path.join(scratch, n) for n in ("spec.json", "result.json", "stderr.log"))
        write_json(spec_path, {**spec, "launched": time.time()})
        command = [sys.executable, "-c", WORKER_COMMAND, spec_path, result_path]
        launched = time.perf_counter()
        code = wait_for_worker(command, worker_env(job.backend), log_path, plan.timeout)
        row["wall_s"] = round(time.perf_counter() - launched, 2)
        result = read_json(result_path) if os.path.exists(result_path) else {}
        row.update(result.get("row", {}))
        if code is None:
            row.update(status="error", error=f"timed out after {plan.timeout:g} s (--timeout)")
        elif code in (-signal.SIGINT, -signal.SIGTERM):  # stopped by the user: not a result, run it again on resume
            raise KeyboardInterrupt
        elif "status" not in row:  # killed (out of memory?) or crashed in native code
            cause = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
            row.update(status="error", error=f"worker {cause} before reporting (out of memory?): {_last_line(log_path)}")
            _print_tail(log_path)
    epochs = [
        {"model": job.model, "backend": job.backend, "dataset": plan.dataset, "epoch": i + 1, **values}
        for i, values in enumerate(result.get("history", []))
    ]
    return row, epochs


def _clock(seconds) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def _last_line(path) -> str:
    try:
        lines = [line.strip() for line in without_chatter(Path(path).read_text(errors="replace").splitlines()) if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else "(no output)"


def _print_tail(path, lines=15) -> None:
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return
    tail = [line for line in without_chatter(text) if line.strip()][-lines:]
    if tail:
        print("    | " + "\n    | ".join(tail), file=sys.stderr, flush=True)
