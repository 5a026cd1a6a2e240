"""``keras-classics train MODEL --dataset digits --epochs N --out DIR``: train a registry model.

Runs :func:`keras_classics.training.train`. Killed and started again with the
same command, it resumes from its last epoch backup in ``--out``; ``--resume``
continues a finished run to a larger ``--epochs``. ``--backend`` (before the
subcommand) picks the Keras backend.
"""

from __future__ import annotations


def add_parser(subparsers):
    p = subparsers.add_parser("train", help="train a registry model on a dataset (resumable)")
    p.add_argument("model", help="registry name, e.g. lenet5 (see `keras-classics list`)")
    p.add_argument("--dataset", default="digits", help="digits (default, embedded), mnist, fashion_mnist, cifar10, cifar100, or an image folder")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", required=True, help="run folder (new, empty, or an earlier run's): run.json, backup/, best.keras, model.keras, log.csv, results.json")
    p.add_argument("--batch-size", type=int, default=64, help="global batch size (split across replicas)")
    p.add_argument("--input-size", type=int, help="height and width fed to the model (default: the model's default size)")
    p.add_argument("--channels", type=int, choices=(1, 3), help="input channels (default: the model's)")
    p.add_argument("--validation-split", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue the finished run in --out up to --epochs")
    p.add_argument("--augment", default=None, help="comma-separated: crop, flip, pca, randaugment, mixup, cutmix, cv_randaugment, ...")
    recipe = p.add_argument_group("recipe (defaults: the model's paper; see docs/training.md)")
    recipe.add_argument("--recipe", default="paper", help="paper (default), adam, adamw, sgd, or a family: lenet, alexnet, vgg, nin, inception, inception_v3, resnet, densenet")
    recipe.add_argument("--optimizer", choices=("sgd", "adam", "adamw", "rmsprop"))
    recipe.add_argument("--learning-rate", type=float)
    recipe.add_argument("--momentum", type=float)
    recipe.add_argument("--weight-decay", type=float)
    recipe.add_argument("--schedule", choices=("constant", "step", "cosine", "plateau", "exponential"))
    recipe.add_argument("--warmup-epochs", type=float, help="linear warm-up from zero over the first epochs (constant and cosine schedules)")
    recipe.add_argument("--label-smoothing", type=float)
    recipe.add_argument("--aux-weight", type=float, help="loss weight of each auxiliary classifier (GoogLeNet: 0.3)")
    transfer = p.add_argument_group("fine-tuning (see docs/transfer.md)")
    transfer.add_argument("--weights", help="start from these weights, with a new head for the dataset: a run folder, a .keras file, "
                          "'imagenet', a named checkpoint (see `keras-classics weights`) or a weights file")
    transfer.add_argument("--freeze", default="none", help="none (default), backbone, or stages:N: layers held fixed for the first --epochs")
    transfer.add_argument("--fine-tune-epochs", type=int, default=0, help="then train every layer for this many more epochs")
    transfer.add_argument("--fine-tune-lr", type=float, help="learning rate of those epochs (default: the recipe's / 10)")
    p.add_argument("--precision", default="float32", choices=("float32", "mixed_float16", "mixed_bfloat16"), help="mixed-precision switch")
    p.add_argument("--distribute", choices=("auto", "mirrored", "multiworker", "data_parallel"),
                   help="several devices: mirrored/multiworker (TensorFlow), data_parallel (JAX), auto")
    p.add_argument("--no-deterministic", dest="deterministic", action="store_false",
                   help="let TensorFlow pick faster order-dependent kernels (default: op determinism on; docs/performance.md)")
    p.add_argument("--early-stopping", type=int, metavar="PATIENCE", help="stop after this many epochs without improvement")
    p.add_argument("--tensorboard", action="store_true", help="write TensorBoard logs to OUT/tensorboard")
    p.add_argument("--backup-every", type=int, metavar="BATCHES", help="also back up every so many batches (default: every epoch)")
    p.add_argument("--data-dir", help="Keras's cache folder for downloaded datasets")
    p.add_argument("--quiet", action="store_true", help="one line per epoch instead of progress bars")
    return p


def run(args) -> int:
    from keras_classics.training import train

    overrides = {
        "optimizer": args.optimizer, "learning_rate": args.learning_rate, "momentum": args.momentum,
        "weight_decay": args.weight_decay, "schedule": args.schedule, "label_smoothing": args.label_smoothing,
        "aux_weight": args.aux_weight, "warmup_epochs": args.warmup_epochs,
    }
    result = train(
        args.model, dataset=args.dataset, epochs=args.epochs, out_dir=args.out, batch_size=args.batch_size,
        input_size=args.input_size, channels=args.channels, validation_split=args.validation_split, augment=args.augment,
        recipe=args.recipe, recipe_overrides=overrides, seed=args.seed, resume=args.resume, distribute=args.distribute,
        precision=args.precision, deterministic=args.deterministic, early_stopping=args.early_stopping, tensorboard=args.tensorboard,
        backup_freq="epoch" if args.backup_every is None else args.backup_every, data_dir=args.data_dir, verbose=2 if args.quiet else "auto",
        weights=args.weights, freeze=args.freeze, fine_tune_epochs=args.fine_tune_epochs, fine_tune_lr=args.fine_tune_lr,
    )
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in result.test.items())
    done = result.initial_epoch + result.epochs_run
    total = args.epochs + args.fine_tune_epochs
    if result.reinitialised:
        print(f"{args.model}: from {args.weights}; new layers for this dataset: {', '.join(result.reinitialised)}")
    ran = f"epochs {result.initial_epoch + 1}-{done} in {result.seconds:.1f} s" if result.epochs_run else f"no epoch left to run ({done} done)"
    stopped = {"completed": "", "early_stopping": f"; stopped early by --early-stopping after {done} of {total} epochs",
               "nan": f"; stopped after {done} of {total} epochs: the loss became NaN or infinite"}
    why = stopped.get(result.stop_reason, f"; stopped after {done} of {total} epochs ({result.stop_reason})")
    print(f"{args.model}: {ran}{why}; test {metrics}; {result.replicas} replica(s); saved in {result.out_dir}")
    return 0
