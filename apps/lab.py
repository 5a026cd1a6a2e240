"""Test the lecture notes' claims: ``python apps/lab.py list``, ``python apps/lab.py run --all --quick`` (docs/lab.md)."""
from keras_classics.cli import main
if __name__ == "__main__":
    raise SystemExit(main(["lab", *__import__("sys").argv[1:]]))
