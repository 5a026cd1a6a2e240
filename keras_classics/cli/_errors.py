"""The one ``main`` wrapper and the one error rule of the command line (``keras-classics`` and ``apps/compare.py``).

An *expected* failure is one line on stderr and exit status 2: bad input
(``ValueError``, the library's ``bad_argument``), a file that cannot be read or
written (``OSError``: missing, a folder where a file is expected, no permission),
a corrupt file (``zipfile.BadZipFile``, ``EOFError``; h5py's are ``OSError``s).
Anything else is a bug and keeps its traceback. The library names its keyword
arguments (``learning_rate``); the line shows the flag as the user typed it
(``--learning-rate``).
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile

EXPECTED = (ValueError, OSError, zipfile.BadZipFile, EOFError)

# Library keywords spelled differently from the flag's dest (train(out_dir=...) is --out, and so on).
ALIASES = {
    "out_dir": "out", "model_name": "model", "model_or_path": "model", "representative_data": "representative",
    "backup_freq": "backup_every", "save_freq": "backup_every", "recipe_overrides": "recipe", "input_shape": "input_size",
}
_NAMED = re.compile(r"^`([^`]+)`")


def run_main(argv, parse) -> int:
    """``parse(argv)`` -> ``(prog, parser, args, call)``, or an exit status (help printed); then ``call()`` under the error rule.

    Quiets TensorFlow's C++ start-up lines before any backend import (:mod:`keras_classics.utils.quiet`).
    Argparse's own errors exit with status 2 (``SystemExit``), as ever.
    """
    from keras_classics.utils.quiet import filtered_stderr, quiet_logs

    quiet_logs()
    with filtered_stderr():
        parsed = parse(argv)
        if isinstance(parsed, int):
            return parsed
        prog, parser, args, call = parsed
        try:
            return int(call() or 0)
        except EXPECTED as err:  # expected: one clear line, no traceback
            print(f"{prog}: error: {describe(err, parser, args)}", file=sys.stderr)
            return 2


def describe(err: BaseException, parser: argparse.ArgumentParser | None = None, args=None) -> str:
    """``err`` as one line naming the flag (the library's keyword mapped to ``parser``'s option) or the file."""
    if isinstance(err, OSError) and err.filename is not None:
        files = f"{err.filename} -> {err.filename2}" if err.filename2 is not None else f"{err.filename}"
        text = f"{files}: {err.strerror or err}"
    elif isinstance(err, (zipfile.BadZipFile, EOFError)):
        text = f"a file is truncated or corrupt ({type(err).__name__}: {err})"
    elif isinstance(err, OSError):  # h5py's errors name no file: "Unable to open file (truncated file ...)"
        text = f"{type(err).__name__}: {err}"
    else:
        text = str(err)
    text = " ".join(text.split())  # one line
    return _NAMED.sub(lambda m: f"`{flag_for(m.group(1), parser, args, text)}`", text, count=1) if parser is not None else text


def flag_for(name: str, parser: argparse.ArgumentParser, args, text: str = "") -> str:
    """The option of ``parser`` that library keyword ``name`` comes from, as typed (``--learning-rate``), or
    the positional argument as its usage shows it (``model``, ``MODEL_OR_FILE``); else ``name``.

    A keyword shared by two functions (``name``: the registry's model, the datasets' dataset)
    is told apart by the value the message says it received.
    """
    actions = {a.dest: a for a in parser._actions if a.dest not in (argparse.SUPPRESS, "help")}
    action = actions.get(name) or actions.get(ALIASES.get(name, ""))
    if action is None and args is not None and name.isidentifier() and name.islower():  # not a flag or metavar already
        received = [a for dest, a in actions.items() if getattr(args, dest, None) is not None
                    and f"received {getattr(args, dest)!r}" in text and isinstance(getattr(args, dest), str)]
        action = received[0] if len(received) == 1 else None
    if action is None:
        return name
    if action.option_strings:
        return max(action.option_strings, key=len)
    return action.metavar or action.dest
