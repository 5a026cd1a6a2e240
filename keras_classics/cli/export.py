"""``keras-classics export MODEL_OR_FILE --format FORMAT[,FORMAT...]``: verified deployment artifacts from any backend.

``--out`` and ``--representative`` are checked before the model is built or loaded;
an existing artifact is replaced only with ``--overwrite``.
"""

from __future__ import annotations

import sys


def add_parser(subparsers):
    from keras_classics.export.formats import FORMATS, QUANTIZABLE, QUANTIZATIONS  # the records only: no Keras

    parser = subparsers.add_parser(
        "export",
        help="export a registry model or a .keras file to .keras, SavedModel, TFLite and/or ONNX, each verified against Keras",
    )
    parser.add_argument("model", metavar="MODEL_OR_FILE", help="a registry name (a freshly built model) or a .keras file")
    parser.add_argument("--format", dest="formats", default="saved_model,tflite", help=f"comma-separated: {', '.join(FORMATS)} (default: saved_model,tflite)")
    parser.add_argument("--out", default=None, help="destination folder (default: saved_models/<model name>/)")
    parser.add_argument("--quantize", choices=[q for q in QUANTIZATIONS if q], default=None, help=f"quantize the {' and '.join(QUANTIZABLE)} artifacts")
    parser.add_argument("--representative", default=None, metavar="FILE.npy", help="typical inputs (N, H, W, C) to calibrate int8; also the verification inputs")
    parser.add_argument("--overwrite", action="store_true", help="replace existing artifacts")
    parser.add_argument("--via", choices=("auto", "subprocess"), default="auto", help="'subprocess': always export through a TensorFlow-backend subprocess")
    parser.add_argument("--samples", type=int, default=4, help="inputs the verification runs (default 4)")
    return parser


def run(args) -> int:
    import numpy as np

    from keras_classics._validate import bad_argument, check_output_folder
    from keras_classics.export import ExportError, export

    if args.out is not None:
        check_output_folder("--out", args.out)
    representative = None
    if args.representative is not None:
        try:
            representative = np.load(args.representative, allow_pickle=False)
        except (OSError, ValueError, EOFError) as err:
            reason = " ".join(str(err).split()) or type(err).__name__
            raise bad_argument("--representative", args.representative, f"a .npy file of inputs (N, H, W, C); reading it failed: {reason}") from None
    try:
        report = export(
            args.model,
            formats=args.formats,
            out_dir=args.out,
            quantize=args.quantize,
            representative_data=representative,
            overwrite=args.overwrite,
            via=args.via,
            samples=args.samples,
        )
    except ImportError as err:  # a missing optional dependency: one line naming the extra
        print(f"keras-classics export: error: {err}", file=sys.stderr)
        return 2
    except ExportError as err:
        print(f"keras-classics export: verification failed: {err}", file=sys.stderr)
        return 1
    print(report)
    return 0
