"""The papers' recipes: optimizer, learning-rate schedule, losses and metrics for ``model.compile``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Optional

import keras

from keras_classics._validate import bad_argument, check_bool, check_choice, check_fraction, check_int, check_nonnegative, check_positive

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "plateau", "exponential")
WARMUP_SCHEDULES = ("constant", "cosine")
AUX_LOSS_WEIGHT = 0.3  # GoogLeNet, Sec. 5: "the loss of the auxiliary classifiers was weighted by 0.3"


@dataclass(frozen=True)
class Recipe:
    """How a network is trained: optimizer, learning-rate schedule, regularisation.

    ``milestones`` are the epochs (``step`` schedule) at which the learning rate
    is multiplied by ``gamma``; a number below 1 is a fraction of the epochs.
    ``step_epochs`` repeats a milestone every so many epochs instead.
    ``warmup_epochs`` ramps the learning rate linearly from zero over the first
    epochs (at most half the run) before a ``constant`` or ``cosine`` schedule.
    ``weight_decay`` is Keras's decoupled decay (``w -= lr * wd * w`` each step);
    the papers add ``wd * w`` to the gradient before momentum, which differs only
    through the momentum term.

    Every field is checked when a Recipe is made (by hand, or by :meth:`with_overrides`),
    so a bad value fails naming its field before anything trains.
    """

    optimizer: str = "sgd"
    learning_rate: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_epochs: float = 0.0
    gamma: float = 0.1
    milestones: tuple = ()
    step_epochs: Optional[int] = None
    patience: int = 5  # plateau schedule
    label_smoothing: float = 0.0
    aux_weight: float = AUX_LOSS_WEIGHT
    clipnorm: Optional[float] = None
    rho: float = 0.9  # RMSProp
    epsilon: float = 1e-7
    source: str = ""

    def __post_init__(self):
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_positive("learning_rate", self.learning_rate)
        check_fraction("momentum", self.momentum)
        check_bool("nesterov", self.nesterov)
        check_nonnegative("weight_decay", self.weight_decay)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_nonnegative("warmup_epochs", self.warmup_epochs, "a number of epochs")
        if self.warmup_epochs and self.schedule not in WARMUP_SCHEDULES:
            raise bad_argument("warmup_epochs", self.warmup_epochs,
                               f"0 with the {self.schedule!r} schedule (a warm-up precedes {' or '.join(WARMUP_SCHEDULES)})")
        check_positive("gamma", self.gamma)
        if not isinstance(self.milestones, (tuple, list)) or not all(
                not isinstance(m, bool) and isinstance(m, (int, float)) and 0 < m < float("inf") for m in self.milestones):
            raise bad_argument("milestones", self.milestones, "a tuple of epochs > 0 (below 1: fractions of the run)")
        if self.step_epochs is not None:
            check_int("step_epochs", self.step_epochs, minimum=1)
        check_int("patience", self.patience, minimum=1)
        check_fraction("label_smoothing", self.label_smoothing)
        check_nonnegative("aux_weight", self.aux_weight)
        if self.clipnorm is not None:
            check_positive("clipnorm", self.clipnorm)
        check_fraction("rho", self.rho)
        check_positive("epsilon", self.epsilon)
        if not isinstance(self.source, str):
            raise bad_argument("source", self.source, "a string")

    def with_overrides(self, **overrides) -> "Recipe":
        """A copy with the given fields replaced (``None`` values are ignored)."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(overrides) - set(asdict(self)))
        if unknown:
            raise bad_argument("recipe", unknown, "fields of Recipe: " + ", ".join(asdict(self)))
        return replace(self, **overrides)


RECIPES = {
    "lenet": Recipe("sgd", 0.05, 0.9, source="LeCun et al. 1998 used SGD with a decreasing rate; momentum SGD here"),
    "alexnet": Recipe("sgd", 0.01, 0.9, weight_decay=5e-4, schedule="plateau", source="Krizhevsky et al. 2012, Sec. 5"),
    "vgg": Recipe("sgd", 0.01, 0.9, weight_decay=5e-4, schedule="plateau", source="Simonyan & Zisserman 2015, Sec. 3.1"),
    "nin": Recipe("sgd", 0.01, 0.9, weight_decay=1e-5, schedule="plateau", source="Lin et al. 2014, Sec. 4.1 (AlexNet's protocol)"),
    "inception": Recipe("sgd", 0.01, 0.9, schedule="step", gamma=0.96, step_epochs=8, source="Szegedy et al. 2015, Sec. 6: lr -4% every 8 epochs"),
    "inception_v3": Recipe("rmsprop", 0.045, 0.0, schedule="step", gamma=0.94, step_epochs=2, label_smoothing=0.1, clipnorm=2.0, rho=0.9,
                           epsilon=1.0, source="Szegedy et al. 2016, Sec. 8: RMSProp(0.9, eps 1.0), lr 0.045 x0.94 every 2 epochs, clip 2.0"),
    "resnet": Recipe("sgd", 0.1, 0.9, weight_decay=1e-4, schedule="step", milestones=(0.5, 0.75),
                     source="He et al. 2016, Sec. 3.4/4.2: lr 0.1 divided by 10 twice"),
    "densenet": Recipe("sgd", 0.1, 0.9, nesterov=True, weight_decay=1e-4, schedule="step", milestones=(0.5, 0.75),
                       source="Huang et al. 2017, Sec. 4.2: /10 at 50% and 75% of the epochs"),
    "adam": Recipe("adam", 1e-3, 0.0, source="Kingma & Ba 2015"),
    "adamw": Recipe("adamw", 1e-3, 0.0, weight_decay=0.01, schedule="cosine", source="Loshchilov & Hutter 2019"),
    "sgd": Recipe("sgd", 0.01, 0.9, weight_decay=5e-4, schedule="cosine", source="momentum SGD with cosine decay"),
}


def recipe_for(model_name: str, recipe="paper") -> Recipe:
    """The :class:`Recipe` named ``recipe``; ``"paper"`` is the one of ``model_name``'s paper."""
    if isinstance(recipe, Recipe):
        return recipe
    if recipe == "paper":
        from keras_classics.registry import model_info

        info = model_info(model_name)
        return RECIPES["inception_v3" if info.name.startswith("inception_v3") else info.family]
    check_choice("recipe", recipe, ["paper", *RECIPES])
    return RECIPES[recipe]


def _epoch_milestones(recipe: Recipe, epochs: int) -> list[int]:
    if recipe.step_epochs:
        return list(range(recipe.step_epochs, epochs, recipe.step_epochs))
    return sorted({int(round(m * epochs)) if m < 1 else int(m) for m in recipe.milestones})


def learning_rate_schedule(recipe: Recipe, *, steps_per_epoch: int, epochs: int):
    """``recipe``'s learning rate: a number (``constant``, ``plateau``: the callback lowers it) or a LearningRateSchedule.

    With ``warmup_epochs`` the rate rises linearly from 0 to ``learning_rate``
    over those epochs (at most half the run), then stays (``constant``) or
    decays to 0 by the last step on a cosine (``cosine``).
    """
    warmup_epochs = recipe.warmup_epochs  # checked with the Recipe
    lr = recipe.learning_rate
    total = max(1, steps_per_epoch * epochs)
    warmup = min(int(round(warmup_epochs * steps_per_epoch)), total // 2)
    if warmup:
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0, decay_steps=max(1, total - warmup),
            alpha=1.0 if recipe.schedule == "constant" else 0.0,  # alpha=1: the decay ends where it starts, a constant
            warmup_target=lr, warmup_steps=warmup,
        )
    if recipe.schedule == "step":
        boundaries = [m * steps_per_epoch for m in _epoch_milestones(recipe, epochs) if 0 < m]
        lr = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, [recipe.learning_rate * recipe.gamma**i for i in range(len(boundaries) + 1)]) if boundaries else lr
    elif recipe.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, decay_steps=total)
    elif recipe.schedule == "exponential":
        lr = keras.optimizers.schedules.ExponentialDecay(recipe.learning_rate, decay_steps=steps_per_epoch, decay_rate=recipe.gamma)
    return lr


def make_optimizer(recipe: Recipe, *, steps_per_epoch: int, epochs: int):
    """A Keras optimizer for ``recipe``, its learning rate from :func:`learning_rate_schedule`."""
    lr = learning_rate_schedule(recipe, steps_per_epoch=steps_per_epoch, epochs=epochs)
    common = {"learning_rate": lr, "clipnorm": recipe.clipnorm}
    decay = {"weight_decay": recipe.weight_decay} if recipe.weight_decay else {}
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(momentum=recipe.momentum, nesterov=recipe.nesterov, **common, **decay)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(**common, **decay)
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(weight_decay=recipe.weight_decay or 0.004, **common)
    return keras.optimizers.RMSprop(rho=recipe.rho, momentum=recipe.momentum, epsilon=recipe.epsilon, **common, **decay)


def loss_weights(model, weight: float = AUX_LOSS_WEIGHT) -> list[float]:
    """1 for the main output, ``weight`` for each auxiliary one (GoogLeNet's 0.3), in output order."""
    try:
        from keras_classics.models.inception import aux_loss_weights
    except ImportError:  # the helper lives with the Inception family; same rule by output order
        aux_loss_weights = None
    if aux_loss_weights is not None:
        by_name = aux_loss_weights(model, weight)
        return [float(by_name[name]) for name in model.output_names]
    return [1.0] + [float(weight)] * (len(model.outputs) - 1)


def compile_model(model, recipe: Recipe, *, steps_per_epoch: int, epochs: int, label_mode: str = "int", num_classes: int = 10):
    """Compile ``model`` for classification with ``recipe`` (losses per output, aux weights, metrics)."""
    if recipe.label_smoothing and label_mode != "categorical":
        raise bad_argument("label_smoothing", recipe.label_smoothing, "0 unless the dataset gives one-hot labels (load_dataset(..., one_hot=True))")
    if label_mode == "categorical":
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
    metrics = ["accuracy"]
    if num_classes > 5:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5") if label_mode == "int" else keras.metrics.TopKCategoricalAccuracy(5, name="top5"))
    outputs = len(model.outputs)
    model.compile(
        optimizer=make_optimizer(recipe, steps_per_epoch=steps_per_epoch, epochs=epochs),
        loss=[loss] * outputs if outputs > 1 else loss,
        loss_weights=loss_weights(model, recipe.aux_weight) if outputs > 1 else None,
        # weighted: the same figures without sample weights; with them, padding (weight 0) counts in no metric
        weighted_metrics=[metrics] + [[]] * (outputs - 1) if outputs > 1 else metrics,
    )
    return model
