"""The reference: torchvision's twin of a registry network, timed in native PyTorch on the same input.

The step is the one :mod:`.measure` times in Keras: forward in eval mode under
``torch.inference_mode`` for inference, and for training ``zero_grad``, forward,
cross-entropy on logits, backward and plain SGD (learning rate 0.01).
``channels_last`` puts the weights and the input in NHWC memory format, where
oneDNN's convolutions on CPU (and cuDNN's tensor cores) are often faster.
``mixed_bfloat16``/``mixed_float16`` run under ``torch.autocast`` (float16 with a ``GradScaler``); ``compile="on"``
is ``torch.compile``. On a GPU every call ends with ``torch.cuda.synchronize``.
"""

from __future__ import annotations

import contextlib
import time

from keras_classics.benchmark.measure import LEARNING_RATE, measure_steps, peak_memory, sample_batch


def measure_native(*, model, channels_last, input_size, batch_size, classes, precision, compile, measures, warmup, repeats,
                   budget_s, seed=0, began=None) -> dict:
    import torch

    from keras_classics.benchmark.references import torchvision_model
    from keras_classics.compare.measure import peak_rss_mb
    from keras_classics.registry import model_info

    began = time.time() if began is None else began
    device = "cuda" if torch.cuda.is_available() else "cpu"
    info = model_info(model)
    images, labels = sample_batch(batch_size, input_size, info.channels, classes, seed)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)  # the same values, NCHW
    y = torch.from_numpy(labels).to(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    x = x.contiguous(memory_format=memory_format)
    row = {"backend_version": f"torch {torch.__version__}", "baseline_rss_mb": peak_rss_mb(), "startup_s": round(time.time() - began, 2)}

    torch.manual_seed(seed)
    net = torchvision_model(model, classes).to(device).to(memory_format=memory_format)
    row["params"] = sum(p.numel() for p in net.parameters())
    runnable = torch.compile(net) if compile == "on" else net
    optimizer = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)
    dtype = {"mixed_bfloat16": torch.bfloat16, "mixed_float16": torch.float16}.get(precision)
    autocast = (lambda: torch.autocast(device, dtype=dtype)) if dtype is not None else contextlib.nullcontext
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    # float16 needs loss scaling, as Keras's LossScaleOptimizer does under mixed_float16
    scaler = torch.amp.GradScaler(device, enabled=dtype is torch.float16)

    def predict(batch):
        net.eval()
        with torch.inference_mode(), autocast():
            runnable(batch)
        sync()

    def train_step():
        net.train()
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = torch.nn.functional.cross_entropy(runnable(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        sync()

    row.update(measure_steps(
        predict=lambda: predict(x), predict_one=lambda: predict(x[:1]), train_step=train_step, batch_size=batch_size,
        measures=measures, warmup=warmup, repeats=repeats, budget_s=budget_s,
    ))
    row.update(peak_memory())
    row["status"], row["error"] = "ok", ""
    return row
