"""Names a package imports on first use (PEP 562), so importing it loads no backend."""

from __future__ import annotations

import importlib


def lazy_names(package: str, modules: dict, namespace: dict):
    """``(__getattr__, __dir__, __all__)`` for ``package``: ``modules`` maps each submodule to the names it defines.

    A name is imported from ``package.submodule`` on first use and kept in ``namespace`` (the package's globals)."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str):
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where, *modules})

    return __getattr__, __dir__, sorted(where)
