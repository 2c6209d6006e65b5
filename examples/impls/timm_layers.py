"""timm's layer and loss modules, importable without torchvision.

`import timm` imports timm.models and timm.data, and those import torchvision throughout
(transforms, datasets); timm.layers itself needs torchvision for one name only,
`torchvision.ops.misc.FrozenBatchNorm2d`. torchvision's PyPI wheel for torch 2.13 is a
CUDA build whose operators do not load against the CPU torch (`import torchvision`
raises "operator torchvision::nms does not exist"), so on a CPU-only machine:

- the `timm` package is entered without running its __init__ (only timm.layers and
  timm.loss are loaded, as they are written; nothing of timm's is patched), and
- while they load, a stand-in `torchvision.ops.misc` offers examples/impls/
  frozen_batch_norm.py's FrozenBatchNorm2d; it leaves sys.modules once they are loaded.

Where torchvision imports, timm is imported as its users import it. Installed from PyPI
beside a CPU torch, torchvision is present but raises on import: the attempt is undone
(its modules and timm's leave sys.modules) and the stand-in serves.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import sys
import types
from collections.abc import Iterator

from examples.impls.frozen_batch_norm import FrozenBatchNorm2d

STAND_IN_NAMES = ("torchvision", "torchvision.ops", "torchvision.ops.misc")


@contextlib.contextmanager
def torchvision_stand_in() -> Iterator[None]:
    """`torchvision.ops.misc.FrozenBatchNorm2d` importable for the duration, then gone."""
    modules = {name: types.ModuleType(name) for name in STAND_IN_NAMES}
    modules["torchvision"].ops = modules["torchvision.ops"]
    modules["torchvision.ops"].misc = modules["torchvision.ops.misc"]
    modules["torchvision.ops.misc"].FrozenBatchNorm2d = FrozenBatchNorm2d
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name in STAND_IN_NAMES:
            sys.modules.pop(name, None)


def _forget(package: str) -> None:
    """Drop a package and its submodules from sys.modules (after a failed import)."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


def _enter_timm_package() -> None:
    """Put the `timm` package in sys.modules without running its __init__."""
    if "timm" in sys.modules:
        return
    spec = importlib.util.find_spec("timm")
    if spec is None:
        raise ImportError("timm is not installed: pip install 'nnconform[timm]'")
    sys.modules["timm"] = importlib.util.module_from_spec(spec)


@functools.cache
def load() -> tuple[types.ModuleType, types.ModuleType, str]:
    """timm.layers, timm.loss and timm's version."""
    try:
        import timm
        import timm.layers
        import timm.loss

        return timm.layers, timm.loss, importlib.import_module("timm.version").__version__
    except (ImportError, RuntimeError):
        # No torchvision, or one whose operators do not load against this torch.
        _forget("timm")
        _forget("torchvision")
    _enter_timm_package()
    with torchvision_stand_in():
        layers = importlib.import_module("timm.layers")
        loss = importlib.import_module("timm.loss")
    version = importlib.import_module("timm.version").__version__
    return layers, loss, version
