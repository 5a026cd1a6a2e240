"""Every option of :func:`~keras_classics.training.train`, checked in one place before anything is read or written.

:func:`check_train_options` takes ``train``'s own arguments and raises the
library's one error (``bad_argument``) naming the keyword as the caller typed
it (the command line shows its flag instead: ``learning_rate`` -> ``--learning-rate``).
It has no side effects: it reads the registry and the file system, never writes,
builds no model and loads no data, so a typo fails in a fraction of a second.
"""

from __future__ import annotations

from typing import Optional

from keras_classics._validate import bad_argument, check_bool, check_choice, check_fraction, check_int, check_output_folder, check_positive
from keras_classics.training.distribute import DISTRIBUTIONS, PRECISIONS
from keras_classics.training.recipes import Recipe, recipe_for
from keras_classics.training.transfer import check_weights_source, parse_freeze
from keras_classics.utils.shapes import image_shape, spatial_size

VERBOSE = ("auto", 0, 1, 2)


def check_input_size(model_name: str, input_shape) -> None:
    """A model whose minimum input exceeds what is asked: a clear error before any data is read."""
    from keras_classics.registry import model_info

    info = model_info(model_name)
    height, width = spatial_size(input_shape)
    if min(height, width) < info.min_size:
        raise bad_argument("input_size", f"{height}x{width}", f"at least {info.min_size}x{info.min_size}, the smallest input {model_name} takes")


def check_train_options(
    model_name: str,
    *,
    dataset="digits",
    epochs: int = 10,
    out_dir,
    batch_size: int = 64,
    input_size: Optional[int] = None,
    channels: Optional[int] = None,
    validation_split: float = 0.1,
    augment=None,
    recipe="paper",
    recipe_overrides: Optional[dict] = None,
    seed: int = 0,
    resume: bool = False,
    distribute=None,
    precision: str = "float32",
    deterministic: bool = True,
    early_stopping: Optional[int] = None,
    tensorboard: bool = False,
    backup_freq="epoch",
    data_dir=None,
    verbose="auto",
    model_kwargs: Optional[dict] = None,
    weights=None,
    freeze: str = "none",
    fine_tune_epochs: int = 0,
    fine_tune_lr: Optional[float] = None,
) -> Recipe:
    """Check ``train``'s arguments (same names, same defaults); return the :class:`Recipe` they make, overrides applied.

    What needs data or a model stays with ``train``: the batch against the
    training split's size, ``out_dir`` against an earlier run, the replicas.
    """
    from keras_classics.augment import parse_augment
    from keras_classics.datasets import check_data_dir, check_dataset
    from keras_classics.registry import model_info

    try:
        info = model_info(model_name)
    except ValueError as err:
        raise ValueError(str(err).replace("`name`", "`model_name`", 1)) from None
    check_dataset("dataset", dataset)
    check_int("epochs", epochs, minimum=1)
    check_output_folder("out_dir", out_dir)
    check_int("batch_size", batch_size, minimum=1)
    if input_size is not None:
        check_input_size(info.name, image_shape(check_int("input_size", input_size, minimum=1), info.channels))
    if channels is not None:
        check_choice("channels", channels, (1, 3))
    check_fraction("validation_split", validation_split)
    names = parse_augment(augment)
    rgb_only = [n for n in names if n in ("randaugment", "cv_randaugment")]
    if rgb_only and (channels or info.channels) != 3:
        raise bad_argument("augment", augment, f"{rgb_only[0]!r} on 3-channel images only (its colour operations need RGB; use channels=3)")
    if recipe_overrides is not None and not isinstance(recipe_overrides, dict):
        raise bad_argument("recipe_overrides", recipe_overrides, "None or a dict of Recipe fields")
    checked = recipe_for(info.name, recipe).with_overrides(**(recipe_overrides or {}))  # a Recipe checks its fields
    check_int("seed", seed, minimum=0)
    check_bool("resume", resume)
    check_choice("distribute", distribute, DISTRIBUTIONS)
    check_choice("precision", precision, PRECISIONS)
    if early_stopping is not None:
        check_int("early_stopping", early_stopping, minimum=1)
    check_bool("tensorboard", tensorboard)
    check_bool("deterministic", deterministic)
    if backup_freq != "epoch":
        check_int("backup_freq", backup_freq, minimum=1)
    check_data_dir("data_dir", data_dir)
    if verbose not in VERBOSE or isinstance(verbose, bool):
        raise bad_argument("verbose", verbose, "one of " + ", ".join(map(repr, VERBOSE)))
    if model_kwargs is not None and not isinstance(model_kwargs, dict):
        raise bad_argument("model_kwargs", model_kwargs, "None or a dict of the model's keyword arguments")
    check_weights_source(weights, info.name)
    frozen = parse_freeze(freeze)
    if frozen and weights is None:
        raise bad_argument("freeze", freeze, "'none' without weights (freezing randomly initialised layers trains only the head of a random network)")
    check_int("fine_tune_epochs", fine_tune_epochs, minimum=0)
    if fine_tune_epochs and not frozen:
        raise bad_argument("fine_tune_epochs", fine_tune_epochs, "0 unless freeze is 'backbone' or 'stages:N' (the fine-tuning phase unfreezes them)")
    if fine_tune_lr is not None:
        check_positive("fine_tune_lr", fine_tune_lr)
        if not fine_tune_epochs:
            raise bad_argument("fine_tune_lr", fine_tune_lr, "None unless fine_tune_epochs is at least 1")
    return checked

