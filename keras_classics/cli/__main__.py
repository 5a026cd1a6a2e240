import sys

from keras_classics.cli import main

sys.exit(main())
