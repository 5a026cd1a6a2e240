"""Train, measure and compare the classic CNNs side by side; write a results CSV and plots.

    python apps/compare.py                      # the default set on digits, current backend
    python apps/compare.py --models 'resnet*' --backends jax,torch --epochs 3

Everything lives in :mod:`keras_classics.compare`; see docs/compare.md.
"""

import sys

from keras_classics.compare import main

if __name__ == "__main__":
    sys.exit(main())
