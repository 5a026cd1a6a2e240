"""Where a training step's time goes on the torch backend, against native PyTorch: ``torch.profiler`` by kind of op.

Run it in a process whose ``KERAS_BACKEND`` is ``torch``::

    KERAS_BACKEND=torch python -c "from keras_classics.benchmark.torch_profile import main; main()"            # ResNet-18, 32 px, batch 64
    KERAS_BACKEND=torch python -c "from keras_classics.benchmark.torch_profile import main; main('resnet50', 224, 8)"

The shares are of self CPU time summed over ``steps`` profiled steps; read the
shares, not the absolute times, on a shared machine.
"""

from __future__ import annotations

import statistics
import time

# The kinds of op a step is made of, first match wins (by the aten op's name).
KINDS = (
    ("layout copies", ("permute", "transpose", "contiguous", "copy_", "clone", "_to_copy")),
    ("convolution", ("conv", "mkldnn")),
    ("batch norm", ("batch_norm",)),
    ("matmul", ("addmm", "aten::mm", "linear")),
)


def kind_of(op_name: str) -> str:
    return next((kind for kind, marks in KINDS if any(m in op_name for m in marks)), "elementwise and other")


def profile_steps(step, steps: int = 3) -> dict:
    """``{"ops_per_step", "self_ms_per_step", "shares": {kind: fraction}}`` of ``step()`` under ``torch.profiler``."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) or 1
    shares = {}
    for event in events:
        kind = kind_of(event.key)
        shares[kind] = shares.get(kind, 0.0) + event.self_cpu_time_total / total
    return {"ops_per_step": sum(e.count for e in events) // steps, "self_ms_per_step": total / steps / 1e3,
            "shares": dict(sorted(shares.items(), key=lambda kv: -kv[1]))}


def compare_torch_step(model="resnet18", input_size=32, batch_size=64, classes=1000, repeats=5, steps=3) -> dict:
    """Our network on the torch backend against torchvision's (NCHW), one SGD step each: median seconds and profiles."""
    import keras
    import torch

    from keras_classics.benchmark.measure import LEARNING_RATE, build_keras, sample_batch
    from keras_classics.benchmark.references import torchvision_model

    if keras.backend.backend() != "torch":
        raise RuntimeError("set KERAS_BACKEND=torch before Python starts")
    images, labels = sample_batch(batch_size, input_size, 3, classes)
    net = build_keras(model, "torch", (input_size, input_size, 3), classes)
    net.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    native = torchvision_model(model, classes)
    optimizer = torch.optim.SGD(native.parameters(), lr=LEARNING_RATE)
    x, y = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels)

    def native_step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(native(x), y).backward()
        optimizer.step()

    runners = {"keras (torch backend)": lambda: net.train_on_batch(images, labels), "torchvision (NCHW)": native_step}
    result = {}
    for name, step in runners.items():
        for _ in range(2):
            step()
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            step()
            times.append(time.perf_counter() - began)
        result[name] = {"median_s": statistics.median(times), **profile_steps(step, steps)}
    return result


def main(model="resnet18", input_size=32, batch_size=64) -> None:
    """Print :func:`compare_torch_step`'s figures as a table."""
    import os

    result = compare_torch_step(model, input_size, batch_size)
    kinds = sorted({k for r in result.values() for k in r["shares"]})
    print(f"{model}, {input_size} px, batch {batch_size}; load average {os.getloadavg()[0]:.1f}")
    print("| | " + " | ".join(result) + " |\n|---|" + "---|" * len(result))
    print("| median step (s) | " + " | ".join(f"{r['median_s']:.3f}" for r in result.values()) + " |")
    print("| aten ops per step | " + " | ".join(f"{r['ops_per_step']:,}" for r in result.values()) + " |")
    for kind in kinds:
        print(f"| {kind} | " + " | ".join(f"{100 * r['shares'].get(kind, 0):.0f} %" for r in result.values()) + " |")
