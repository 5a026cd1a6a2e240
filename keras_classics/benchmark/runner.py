"""Running a benchmark plan: one worker process per job, a smaller batch on out-of-memory, the CSV after each job.

Resumable as compare is: a job whose row is in the CSV is skipped unless the
plan says ``force``; Ctrl-C or SIGTERM stops the worker and keeps the finished
rows (exit status 130). A worker that runs out of memory (an allocation error,
or killed by the kernel) is run again at the next smaller batch (timm's
``decay_batch_step``: 256, 192, 128, 96, ...) down to 1; ``batch_used`` says
where it fitted.
"""

from __future__ import annotations

import datetime
import os
import signal
import sys
import tempfile
import time

from keras_classics.benchmark.plan import Job, Plan, gpu_available
from keras_classics.benchmark.plots import write_plot
from keras_classics.benchmark.results import KEY, add_ratios, outcome, results_table, summary_markdown
from keras_classics.benchmark.worker import WORKER_COMMAND
from keras_classics.compare.runner import _clock, _last_line, _print_tail, run_interruptibly, wait_for_worker
from keras_classics.compare.worker import worker_env
from keras_classics.utils.files import read_json, write_json


def run_plan(plan: Plan) -> int:
    """:func:`run`, stopping cleanly on Ctrl-C or SIGTERM (finished rows stay; the same command resumes)."""
    return run_interruptibly(run, plan, "benchmark")


def job_key(job: Job, plan: Plan) -> tuple:
    """The job's CSV key, as strings (as the table reads them back)."""
    values = {"model": job.model, "runner": job.runner, "input_size": job.input_size, "batch_size": job.batch_size,
              "precision": plan.precision, "compile": plan.compile, "deterministic": plan.deterministic}
    return tuple(str(values[c]) for c in KEY)


def run(plan: Plan) -> int:
    """Run every job of ``plan`` not yet in the CSV, rewrite the CSV (ratios included) after each, then the chart.

    Returns 0 when every job ran, 1 when some failed (its row says why).
    """
    results = results_table(plan.out)
    table = results.read()
    done = results.keys(table)
    started, failed, total = time.perf_counter(), 0, len(plan.jobs)
    print(f"benchmark: {total} run(s), {plan.precision}, compile {plan.compile}, "
          f"{'deterministic, ' if plan.deterministic else ''}measuring {', '.join(plan.measures)}; "
          f"median of >= {plan.repeats} timed calls after {plan.warmup} warm-up, {plan.budget_s:g} s budget each; "
          f"CSV {plan.out}", flush=True)
    for index, job in enumerate(plan.jobs, 1):
        prefix = f"[{index}/{total}] {job.model} {job.input_size}px batch {job.batch_size} on {job.runner}"
        if job_key(job, plan) in done and not plan.force:
            print(f"{prefix}: already in the CSV, skipped; --force runs it again", flush=True)
            continue
        print(f"{prefix}  (elapsed {_clock(time.perf_counter() - started)})", flush=True)
        row = run_job(job, plan)
        failed += row["status"] != "ok"
        table = add_ratios(results.merge(table, [row]))
        results.write(table)
        print(f"{prefix}: {outcome(row)}", flush=True)
    print(f"benchmark: done in {_clock(time.perf_counter() - started)}; {plan.out}", flush=True)
    if plan.plots:
        for path in write_plot(table, plan.plot_path):
            print(f"benchmark: wrote {path}", flush=True)
    planned = {job_key(j, plan) for j in plan.jobs}
    mine = table[[k in planned for k in zip(*(table[c].astype(str) for c in KEY))]] if len(table) else table
    if len(mine):
        print(summary_markdown(mine))
    return 1 if failed else 0


def run_job(job: Job, plan: Plan) -> dict:
    """Time ``job`` in worker processes, at smaller batches after an out-of-memory; returns its CSV row."""
    base = dict(zip(KEY, (job.model, job.runner, job.input_size, job.batch_size, plan.precision, plan.compile, plan.deterministic)))
    base.update(library=job.library, backend=job.backend, classes=plan.classes, cpu_count=os.cpu_count(),
                device="gpu" if gpu_available() else "cpu")
    batch = job.batch_size
    while True:
        row = {**base, "batch_used": batch, "load_avg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
               "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        result, oom = _run_worker(job, plan, batch)
        row.update(result)
        smaller = _decay_batch(batch)
        if not oom or smaller < 1:
            return row
        print(f"    out of memory at batch {batch}; trying {smaller}", flush=True)
        batch = smaller


def _run_worker(job: Job, plan: Plan, batch: int):
    with tempfile.TemporaryDirectory(prefix="benchmark-") as scratch:
        spec_path, result_path, log_path = (os.path.join(scratch, n) for n in ("spec.json", "result.json", "stderr.log"))
        write_json(spec_path, {**plan.spec(job, batch), "launched": time.time()})
        launched = time.perf_counter()
        code = wait_for_worker([sys.executable, "-c", WORKER_COMMAND, spec_path, result_path], worker_env(job.backend), log_path, plan.timeout)
        result = read_json(result_path) if os.path.exists(result_path) else {}
        row = {**result.get("row", {}), "wall_s": round(time.perf_counter() - launched, 2)}
        oom = bool(result.get("oom"))
        if code is None:
            row.update(status="error", error=f"timed out after {plan.timeout:g} s (--timeout)")
        elif code in (-signal.SIGINT, -signal.SIGTERM):
            raise KeyboardInterrupt
        elif "status" not in row:  # killed by the kernel (out of memory) or crashed in native code
            cause = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
            row.update(status="error", error=f"worker {cause} before reporting (out of memory?): {_last_line(log_path)}")
            oom = code == -signal.SIGKILL
            _print_tail(log_path)
        elif row["status"] != "ok":
            _print_tail(log_path, lines=6)
    return row, oom


def _decay_batch(batch: int) -> int:
    """The next smaller batch, as timm's ``decay_batch_step`` with two steps per power of two (0 below 1)."""
    if batch <= 1:
        return 0
    base = 2 ** ((batch - 1).bit_length() - 1)
    step = max(base // 2, 1)
    return base + ((batch - base - 1) // step) * step
