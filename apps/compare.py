"""Train, measure and compare the classic CNNs side by side; write a results CSV and plots.

    python apps/compare.py                      # the default set on digits, current backend
    python apps/compare.py --models 'resnet*' --backends jax,torch --epochs 3

The flags are :mod:`keras_classics.cli.compare`'s (also ``keras-classics compare``);
the run is :mod:`keras_classics.compare`. See docs/compare.md.
"""

import sys

from keras_classics.cli.compare import main

if __name__ == "__main__":
    sys.exit(main())
