"""A named checkpoint into the local cache, its hash checked; a file that fails the check is deleted.

torchvision's files come from their published URLs through ``keras.utils.get_file``
(into ``<cache>/models``, as keras.applications' files). torchvision publishes the
first hex digits of each file's SHA-256 in its name (``resnet18-f37072fd.pth``), as
``torch.hub`` checks them: the downloaded file must hash to that prefix, or it is
removed and the load refused (a cached file is checked again at every load).
An interrupted download leaves nothing behind (``get_file`` removes it).

timm's safetensors come from the Hugging Face Hub through ``huggingface_hub``,
which stores a large file under its SHA-256 (the LFS object id the Hub reports):
the file must hash to that name, or it is removed and the load refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.parse

from keras_classics.weights.applications import cache_dir

HUB_FILE = "model.safetensors"


def sha256(path, chunk=1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _refuse(row, detail):
    return ValueError(
        f"`weights`: received {row.key!r} but {detail}; allowed: {row.key!r} where {row.location} can be downloaded "
        "intact, None, or a path to a weights file."
    )


def fetch_checkpoint(row) -> str:
    """The local path of checkpoint ``row`` (a :class:`~keras_classics.weights.catalogue.Checkpoint`), downloading it if needed."""
    if row.location.startswith("hf-hub:"):
        return _from_hub(row)
    return _from_url(row)


def _from_url(row) -> str:
    import keras

    fname = os.path.basename(urllib.parse.urlsplit(row.location).path)
    if cache_dir() is not None:  # get_file falls back to /tmp/.keras for a folder that does not exist yet
        os.makedirs(cache_dir(), exist_ok=True)
    for attempt in (False, True):
        try:
            path = keras.utils.get_file(fname, row.location, cache_subdir="models", cache_dir=cache_dir(), force_download=attempt)
        except Exception as err:  # no network, HTTP error: get_file has removed the partial file
            raise _refuse(row, f"{fname} could not be fetched ({str(err).splitlines()[0][:200]})") from err
        digest = sha256(path)
        if digest.startswith(row.sha256):
            return path
        os.remove(path)
        if attempt:  # a fresh download fails the check too
            raise _refuse(row, f"{fname} has SHA-256 {digest[:16]}..., not the published {row.sha256}... (the file was deleted)")
    raise AssertionError("unreachable")


def _from_hub(row) -> str:
    try:
        import huggingface_hub
    except ImportError as err:
        raise _refuse(row, "huggingface_hub is not installed (pip install 'keras-classics[weights]')") from err
    repo = row.location.removeprefix("hf-hub:")
    folder = None if cache_dir() is None else os.path.join(cache_dir(), "huggingface")
    try:
        path = huggingface_hub.hf_hub_download(repo_id=repo, filename=HUB_FILE, cache_dir=folder)
    except Exception as err:
        raise _refuse(row, f"{repo}/{HUB_FILE} could not be fetched ({str(err).splitlines()[0][:200]})") from err
    blob = os.path.realpath(path)
    expected = row.sha256 or os.path.basename(blob)
    if re.fullmatch(r"[0-9a-f]{64}", expected):
        digest = sha256(blob)
        if digest != expected:
            for stale in {path, blob}:
                if os.path.lexists(stale):
                    os.remove(stale)
            raise _refuse(row, f"{repo}/{HUB_FILE} has SHA-256 {digest[:16]}..., not {expected[:16]}... (the file was deleted)")
    return path
