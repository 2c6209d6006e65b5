"""The path under test now, and routing a built module's calls through it.

The `path` fixture (tests/plugin/parametrize.py) makes its path the active one for the
test; the harness (`tests.cases.build`) routes every module it builds. Routing swaps the
module's class for a subclass whose `forward` calls the path's runner: everything else
(parameters, buffers, train(), .to(), deepcopy, the class name in messages) stays the
module's own, so property code runs unchanged on any path. A deepcopy gets a runner of
its own; `copy_sharing_runner` (the forward's probe, tests.cases.run_with_probe) shares
the original's.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import weakref
from collections.abc import Callable, Iterator

import torch

from tests.paths import ExecutionPath, Need, by_name

EAGER = "eager"
_ACTIVE: list[ExecutionPath] = []
# One runner per routed module, made at its first call; weak, so examples do not pile up.
_RUNNERS: weakref.WeakKeyDictionary[torch.nn.Module, Callable] = weakref.WeakKeyDictionary()


def current() -> ExecutionPath:
    """The path under test in this process (eager outside any test)."""
    return _ACTIVE[-1] if _ACTIVE else by_name(EAGER)


@contextlib.contextmanager
def active(path: ExecutionPath) -> Iterator[ExecutionPath]:
    """Make `path` the one under test, with its process-wide settings, until the block ends."""
    with path.settings():
        _ACTIVE.append(path)
        try:
            yield path
        finally:
            _ACTIVE.pop()


def route(module: torch.nn.Module) -> torch.nn.Module:
    """`module`, its calls now going through the active path's runner (eager: untouched)."""
    return _route_through(current(), module)


def _route_through(path: ExecutionPath, module: torch.nn.Module) -> torch.nn.Module:
    if not path.transforms or isinstance(module, _Routed):
        return module
    path.fresh_example()
    module.__class__ = _routed_class(type(module), path)
    return module


def on_path(name: str, module: torch.nn.Module) -> torch.nn.Module:
    """`module`, its calls going through path `name` as the suite runs it there.

    A known failure's repro calls it to reproduce on any path; printed, the repro carries
    the path's plain-torch `on_path` instead (ExecutionPath.plain). A path without train
    mode runs the module in eval, as the harness does.
    """
    path = by_name(name)
    if Need.TRAIN_MODE not in path.provides:
        module.eval()
    return _route_through(path, module)


def copy_sharing_runner(module: torch.nn.Module) -> torch.nn.Module:
    """A deepcopy of `module` whose calls go through the original's runner.

    The copy's parameters and buffers are its own, so a call of the copy leaves the
    original's untouched. What the runner built (a compiled graph, an exported program,
    an onnxruntime session) serves both, as it serves the original's later calls: a
    compiled graph takes the module's tensors as inputs under guards, an exported program
    takes them through functional_call, and a runtime that baked the parameters in baked
    the same values, which the copy holds. With a runner of its own, each judgement's
    probe exported or compiled again: on onnxruntime four exports (0.7 s each) more an
    example, on inductor four compiles.
    """
    duplicate = copy.deepcopy(module)
    if isinstance(module, _Routed):
        _RUNNERS[duplicate] = _runner_of(module)
    return duplicate


def _runner_of(module: torch.nn.Module) -> Callable:
    runner = _RUNNERS.get(module)
    if runner is None:
        routed = type(module)
        runner = _RUNNERS[module] = routed._path.runner(routed._base)
    return runner


class _Routed:
    """Marks a routed class; its `forward` is the path's."""

    _path: ExecutionPath
    _base: type


@functools.cache
def _routed_class(base: type, path: ExecutionPath) -> type:
    def forward(self: torch.nn.Module, *args: object) -> object:
        return _runner_of(self)(self, *args)

    namespace = {
        "forward": forward,
        "_path": path,
        "_base": base,
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "__doc__": base.__doc__,
    }
    return type(base.__name__, (base, _Routed), namespace)


@contextlib.contextmanager
def as_built(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """The module with its own class back for the block (a tracer must see its forward)."""
    routed = type(module)
    module.__class__ = getattr(routed, "_base", routed)
    try:
        yield module
    finally:
        module.__class__ = routed
