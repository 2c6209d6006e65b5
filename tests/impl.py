"""The implementation under test (`--impl`): torch.nn, or a module or file of someone else's.

A partial implementation is judged on what it has. Whatever a test asks of it that it
lacks, a class, a container, an `init` function, ends that cell "not provided", worded
in the implementation's own terms (`timm_nn has no Conv2d`); for torch.nn itself a name
missing from the release under test is "not in release".
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from report.interface import NotRun

TORCH_NN = "torch.nn"
# torch's factory keyword arguments: where a module is built, not what it computes.
FACTORY_KWARGS = frozenset({"device", "dtype"})


class NotProvidedError(NotRun, AttributeError):
    """A name the implementation lacks: the cell ends "not provided" (or "not in release"
    for torch.nn); an AttributeError too, so hasattr() and getattr(..., default) still
    answer as they do for any module."""


class Provided:
    """The implementation's module, with a missing name ending the cell instead of raising
    an AttributeError deep inside a test (a namespace such as `init` is wrapped too)."""

    def __init__(self, module: ModuleType, label: str | None = None) -> None:
        self._module = module
        self._label = label or module.__name__
        self.__name__ = module.__name__

    def __getattr__(self, name: str) -> Any:
        try:
            value = getattr(self._module, name)
        except AttributeError:
            if self._module.__name__.startswith(TORCH_NN):
                outcome = "not-in-release"
                reason = f"torch {torch.__version__} has no {self._label}.{name}"
            else:
                outcome, reason = "not-provided", f"{self._label} has no {name}"
            raise NotProvidedError(outcome, reason) from None
        if isinstance(value, ModuleType):
            return Provided(value, f"{self._label}.{name}")
        return value

    def __repr__(self) -> str:
        return f"<implementation {self._label}>"


def unwrapped(nn: Any) -> ModuleType:
    """The module itself, whether given plain or as Provided."""
    return nn._module if isinstance(nn, Provided) else nn


def is_torch(nn: Any) -> bool:
    return unwrapped(nn) is torch.nn


class ImplError(Exception):
    """The implementation cannot be loaded; the message is one line."""


def load(name: str) -> ModuleType:
    """`--impl`'s module: a dotted module name, or the path of a Python file."""
    try:
        if name.endswith(".py") or Path(name).is_file():
            path = Path(name).resolve()
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if spec is None or spec.loader is None:
                raise ImplError(f"--impl {name!r}: not a Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)
            return module
        return importlib.import_module(name)
    except ImplError:
        raise
    except BaseException as error:  # any failure of the implementation's own import
        if isinstance(error, KeyboardInterrupt):
            raise
        text = str(error).strip()
        first = text.splitlines()[0] if text else ""
        raise ImplError(
            f"--impl {name!r} cannot be imported: {type(error).__name__}: {first}"
        ) from None


@dataclass(frozen=True)
class Described:
    """What a report says of the implementation: where it was loaded from, its version, and
    the sys.path entry its import needed (a replay line sets PYTHONPATH to it)."""

    name: str
    file: str | None
    version: str | None
    path_entry: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "file": self.file,
            "version": self.version,
            "pythonpath": self.path_entry,
        }


def describe(name: str, module: ModuleType, root: Path) -> Described:
    file = getattr(module, "__file__", None)
    top = module.__name__.partition(".")[0]
    try:
        version = importlib.metadata.version(top)
    except importlib.metadata.PackageNotFoundError:
        version = getattr(sys.modules.get(top), "__version__", None)
    entry = None
    if file and (name.endswith(".py") or Path(name).is_file()):
        # A file: its folder lets a repro snippet import it by name.
        entry = str(Path(file).resolve().parent)
    elif file:
        # The folder holding the top-level package: PYTHONPATH for a replay, unless it is
        # the checkout (pytest's pythonpath) or an installed location.
        depth = module.__name__.count(".") + (1 if Path(file).name == "__init__.py" else 0)
        folder = Path(file).resolve().parents[depth]
        installed = any(part in ("site-packages", "dist-packages") for part in folder.parts)
        entry = None if installed or folder == root.resolve() else str(folder)
    return Described(name, file, version if isinstance(version, str) else None, entry)
