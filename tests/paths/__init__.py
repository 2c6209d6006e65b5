"""Execution paths: how a built module is run under test (eager, compiled, exported, ONNX).

Each plugin module in this package declares `PATHS`, a tuple of `ExecutionPath`s; a path
turns a built module into the callable under test (`runner`; tests/paths/routing.py
applies it) and says which `Need`s of a property it provides. A property file declares
what it needs as module-level data, `NEEDS = frozenset({Need.AUTOGRAD, ...})`;
tests/plugin/cells.py reports a cell whose needs a path lacks as "not applicable", and the harness
(tests/cases.py, tests/checks.py) applies only what the running path provides. No
property file names a path. This module loads no torch (its plugins do).
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from hypothesis import currently_in_test_context

from report.interface import not_run
from spec.dtypes import DTYPES


class Need(enum.Enum):
    """What a property may need from the way a module is run."""

    AUTOGRAD = "gradients flow back through the call to the input and the parameters"
    PARAMETERS = "the call uses the module's own Parameters as they are now (grads land in them)"
    TRAIN_MODE = "train() changes what the call computes (batch statistics, dropout, buffers)"
    IN_PLACE = "inplace=True writes the result into the input tensor"
    SECOND_ORDER = "gradients of gradients (gradgradcheck) through the call"
    FUNCTIONAL_CALL = "torch.func.functional_call: the call runs on substituted parameters"
    EXCEPTIONS = "an invalid call raises the layer's own documented exception, unwrapped"
    OPTIMIZER_STEP = (
        "optimizer.step() as torch.optim runs it: the paths transform a module's calls, "
        "and no path runs an optimizer otherwise"
    )
    UNCHANGED_MODULE = (
        "modules as constructed: the property inspects the module object (registration, "
        "init, .to) or calls modules the harness does not route (containers, models)"
    )


class PathCannotRun(BaseException):
    """The execution path cannot run this configuration (the exporter or the runtime
    refuses it). Raised inside a property's example; the property run leaves the example
    out and counts why (tests/plugin/property_run.py). A BaseException, so that a
    property's own `except Exception` (a call that must not raise) does not take it for
    the layer's answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cannot_run(reason: str) -> NoReturn:
    """Leave this configuration out (inside a property's example: PathCannotRun);
    elsewhere (a known failure's repro, with nothing to draw instead) end the call
    "unsupported"."""
    if currently_in_test_context():
        raise PathCannotRun(reason)
    not_run("unsupported", reason)


def describe(needs: frozenset[Need]) -> str:
    """The needs, by name, in a stable order (for not-applicable reasons)."""
    return ", ".join(sorted(need.name.lower() for need in needs))


@dataclass(frozen=True)
class ExecutionPath:
    """One way of running a module. Subclasses override `runner` (and `settings`)."""

    # Only the name is in the repr, which failing examples print: a frozenset's order
    # follows string hashing, which differs per process, and an example must read the
    # same in every run (the report and a diff of two reports compare them).
    name: str
    provides: frozenset[Need] = field(repr=False)
    device_types: tuple[str, ...] = field(default=("cpu", "cuda", "meta"), repr=False)
    dtypes: tuple[str, ...] = field(default=DTYPES, repr=False)
    # Extra Python packages the path imports, by import name (an optional dependency),
    # and the project's extra that installs them (pyproject.toml).
    requires: tuple[str, ...] = field(default=(), repr=False)
    extra: str = field(default="", repr=False)
    # Whose kernels compute the result: ATen's own ("aten": eager, and the paths that
    # trace into graphs of ATen calls), or generated/foreign ones ("inductor",
    # "onnxruntime"). A kernel bug of eager torch shows on every "aten" path.
    kernels: str = field(default="aten", repr=False)
    # `on_path(path, module)` in plain torch, for printed repros: the module run as this
    # path runs it, with no suite code (a repro must run with torch alone).
    plain: str = field(default="", repr=False)
    # How many drawn values one built module is judged on: where building (compiling,
    # exporting) is the cost, a configuration is built once and judged several times.
    judgements: int = field(default=1, repr=False)
    # Whether one build serves inputs of several shapes (each judgement draws its own).
    dynamic_shapes: bool = field(default=False, repr=False)
    # Whether each grad mode and train/eval mode runs a graph compiled for it (dynamo
    # guards on both): two such graphs may lay out and order a sum differently, so calls in
    # two modes agree within rounding, not bit for bit (tests/test_modes.py).
    graph_per_mode: bool = field(default=False, repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # The pretty-printing protocol (IPython's), which Hypothesis' example printer
        # follows before its own field-by-field layout of a dataclass.
        printer.text(repr(self))

    @property
    def family(self) -> str:
        """The name before the colon ("compile" for "compile:inductor")."""
        return self.name.partition(":")[0]

    @property
    def transforms(self) -> bool:
        """Whether modules are routed through a runner at all (eager runs them as built)."""
        return True

    def missing(self) -> str | None:
        """Why this path cannot run in this environment, or None."""
        absent = [name for name in self.requires if importlib.util.find_spec(name) is None]
        if absent:
            return f"{', '.join(absent)} not installed (pip install 'nnconform[{self.extra}]')"
        return None

    def lacks_needs(self, property_module: object) -> frozenset[Need]:
        """What a property needs (its module's `NEEDS`) that this path does not provide.
        A property whose file does not say needs everything, so a new property runs on
        the paths that leave modules alone until it declares less."""
        return frozenset(getattr(property_module, "NEEDS", frozenset(Need))) - self.provides

    def lacks_device(self, device: str) -> str | None:
        """Why this path cannot run on `device`, or None."""
        if device.partition(":")[0] not in self.device_types:
            return f"{self.name} runs on {', '.join(self.device_types)}, not {device}"
        return None

    def lacks_dtype(self, dtype: str) -> str | None:
        """Why this path cannot carry `dtype` tensors, or None."""
        if dtype not in self.dtypes:
            return f"{self.name} cannot carry {dtype} tensors"
        return None

    @contextlib.contextmanager
    def settings(self) -> Iterator[None]:
        """Process-wide settings while this path is under test (none by default)."""
        yield

    def fresh_example(self) -> None:
        """A new module is being built: drop what earlier examples left (compile caches)."""

    def runner(self, base: type) -> Callable[..., object]:
        """The call under test, `runner(module, *args)`, for modules of class `base`.

        Made once per module, at its first call; it must hold no reference to the module
        (routing keeps runners in a weak dictionary keyed by their module).
        """
        raise NotImplementedError


# Modules of this package that are harness, not plugins.
NOT_PLUGINS = frozenset({"routing"})


def plugin_names() -> list[str]:
    """Every plugin module of this package, by module name."""
    found = (info.name for info in pkgutil.iter_modules(__path__) if not info.ispkg)
    return sorted(name for name in found if name not in NOT_PLUGINS)


def all_paths() -> dict[str, ExecutionPath]:
    """Every path the plugins declare, by name, in plugin order."""
    found: dict[str, ExecutionPath] = {}
    for plugin in plugin_names():
        for path in importlib.import_module(f"{__name__}.{plugin}").PATHS:
            if path.name in found:
                raise ValueError(f"two execution paths are named {path.name!r}")
            found[path.name] = path
    return dict(sorted(found.items(), key=lambda item: _ORDER.get(item[1].family, 99)))


# The order the report lists paths in: eager first, then from least to most transformed.
_ORDER = {"eager": 0, "compile": 1, "export": 2, "onnxruntime": 3}


def by_name(name: str) -> ExecutionPath:
    """The path called `name` (KeyError naming the choices when there is none)."""
    paths = all_paths()
    if name not in paths:
        raise KeyError(f"unknown execution path {name!r}; choose from {', '.join(paths)}")
    return paths[name]


def running_kernels(*kinds: str) -> tuple[str, ...]:
    """The paths whose results come from kernels of these kinds ("aten", "inductor", ...)."""
    return tuple(path.name for path in all_paths().values() if path.kernels in kinds)


def resolve_paths(asked: list[str]) -> list[str]:
    """Path names for an option value: names, family names ("compile"), or "all"."""
    paths = all_paths()
    if asked == ["all"]:
        return list(paths)
    chosen: list[str] = []
    for name in asked:
        family = [p.name for p in paths.values() if p.family == name and ":" in p.name]
        matched = [name] if name in paths else family
        if not matched:
            choices = ", ".join([*paths, *sorted({p.family for p in paths.values()}), "all"])
            raise ValueError(f"unknown execution path {name!r}; choose from {choices}")
        chosen += [m for m in matched if m not in chosen]
    return chosen
