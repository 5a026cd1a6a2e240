"""Time the classic CNNs on each backend against native PyTorch and keras.applications; write a CSV and a chart.

    python apps/benchmark.py                                   # ResNet-18 at 32 px, ResNet-50 at 224 px, every backend
    python apps/benchmark.py --models resnet50:224:16 vgg16:224:8 --backends tensorflow --references applications
    python apps/benchmark.py --gpu-suite                       # on a GPU machine: ResNet-50, batch 256, mixed precision

The flags are :mod:`keras_classics.cli.benchmark`'s (also ``keras-classics benchmark``);
the run is :mod:`keras_classics.benchmark`. See docs/performance.md.
"""

import sys

from keras_classics.cli.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
