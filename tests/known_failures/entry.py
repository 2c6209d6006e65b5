"""A known failure: one reproduced disagreement between torch and the mathematics, as data.

An entry says which checks it breaks (`Check`), which drawn configurations it covers
(`covers`, a predicate on a `Where`), where it applies (dtypes, devices, CPU kernel
sets, torch releases, execution paths), where it was actually seen failing (`Observed`),
and its repro: a function that fails while torch is wrong, runnable in a child process
and printable as plain torch code.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from spec.dtypes import DTYPES
from spec.registry import layer_named
from tests import backend_switches, kernel_sets
from tests.paths import by_name as path_named
from tests.paths.routing import current as current_path

# The kernel sets of the machines this project's findings were made on (AMD EPYC with
# AVX-512, an AVX2 machine, an Intel Xeon with AMX, each capped down to `default`): an
# entry scoped to every set was seen on these. The Xeon joined on 2026-12-05, when
# `python -m tests.known_failures.observe` saw every such entry's repro fail at `amx`
# (torch 2.13.0, 2.6.0 and 2.1.2), save the one that says otherwise.
PROJECT_KERNEL_SETS = ("default", "avx2", "avx512", "amx")


class Check(enum.Enum):
    """What a property asserts, as far as a known failure can break it."""

    SHAPE = "the output has the closed-form shape (the call returns at all)"
    VALUES = "values agree with the reference"
    GRADIENTS = "gradients agree with the reference"
    SECOND_ORDER = "gradients of gradients agree with differences of the gradient"
    EXACT = "exact cases give the exact answer"
    RAISES = "an invalid configuration raises"
    UNCHANGED_STATE = "a rejected call leaves the module unchanged"
    META_DEVICE = "the meta device computes the output shape"
    SURVIVES = "the process survives the call"
    DISTRIBUTION = "random values follow their law"
    OPTIMIZER_STEP = "an optimizer step follows the update law, state included"


# The property that judges a check's cases, unless an entry names another (its found_by).
PROPERTY_OF = {
    Check.SHAPE: "shape",
    Check.VALUES: "forward",
    Check.GRADIENTS: "gradients",
    Check.SECOND_ORDER: "gradcheck",
    Check.EXACT: "exact",
    Check.RAISES: "errors",
    Check.UNCHANGED_STATE: "errors",
    Check.META_DEVICE: "devices",
    Check.SURVIVES: "gradients",
    Check.DISTRIBUTION: "init",
    Check.OPTIMIZER_STEP: "optimizer_steps",
}


@dataclass(frozen=True)
class Where:
    """A drawn configuration, as far as known failures scope themselves by it."""

    layer: str
    dtype: str
    device: str
    hp: Mapping[str, Any]
    training: bool | None = None
    layout: str = "contiguous"
    # The execution path under test unless said otherwise (tests/paths/).
    path: str = field(default_factory=lambda: current_path().name)
    x: np.ndarray | None = None  # the input values, for failures that depend on them
    grad_layout: str = "contiguous"  # the layout of grad_output (tests/test_layouts.py)
    # The gradient reaching the output, where a property knows it before judging the
    # gradients (a model's child: tests/model_checks.py), for failures that depend on it.
    grad_y: np.ndarray | None = None
    # The layer's parameter values, where the property passes them with grad_y.
    params: Mapping[str, np.ndarray] | None = None
    # The call's further arguments (a loss's target), as the spec draws them.
    call_arguments: tuple[np.ndarray, ...] = ()
    # The backend switch the cell runs under (tests/backend_switches.py).
    switch: str = field(default_factory=backend_switches.current)

    @property
    def arguments(self) -> dict[str, Any]:
        """Every constructor argument: the drawn ones over the spec's documented defaults."""
        return {**layer_named(self.layer).defaults, **self.hp}

    @property
    def classes(self) -> dict[str, str]:
        """The spec's classes of this configuration (those the input decides need `x`)."""
        shape = () if self.x is None else self.x.shape
        return layer_named(self.layer).classify(dict(self.arguments), shape)


def _all(where: Where) -> bool:
    return True


@dataclass(frozen=True)
class Observed:
    """Where a bug was seen failing. A strict xfail holds only there: elsewhere in the
    entry's scope (a kernel set, device or older release nobody here could run) a repro
    that passes is "not reproduced here", not a red run. Releases after `since` count as
    observed: a bug persists until a release fixes it, and that release must say so.
    A scope is a measurement: `python -m tests.known_failures.observe` runs each repro
    under every kernel set the CPU supports and names any claim the repro contradicts."""

    since: str  # the oldest torch release the bug was seen on
    kernel_sets: tuple[str, ...] = PROJECT_KERNEL_SETS
    devices: tuple[str, ...] = ("cpu", "meta")
    by: str = "this project's runs"  # who saw it, where not this project's machines
    # CPU features the machines it was seen on had beyond their kernel set's own: a kernel
    # set admits the best instructions a CPU has (oneDNN's avx512_core_bf16 kernels run
    # only where the CPU has avx512_bf16), so a CPU without them was not observed.
    cpu_flags: tuple[str, ...] = ()

    def covers(self, release: str, kernel_set: str | None, device: str) -> bool:
        """Whether this release, kernel set (None: the process's own), device and CPU were
        seen."""
        kernel_set = kernel_set or kernel_sets.current()
        on_cpu = device.partition(":")[0] == "cpu"
        return (
            base_release(release) >= Version(self.since)
            and device.partition(":")[0] in self.devices
            # A CPU's kernel set and flags decide nothing on an accelerator.
            and (not on_cpu or kernel_set in self.kernel_sets)
            and (not on_cpu or set(self.cpu_flags) <= kernel_sets.cpu_flags())
        )

    def describe(self) -> str:
        flags = f" (CPUs with {', '.join(self.cpu_flags)})" if self.cpu_flags else ""
        return (
            f"observed from torch {self.since} on kernel sets {', '.join(self.kernel_sets)}"
            f"{flags}, devices {', '.join(self.devices)} ({self.by})"
        )


# The first CUDA run (docs/cuda.md): an entry seen on CUDA alone was seen there, and its
# repro runs on CUDA (tests/known_failures/judge.py).
FIRST_CUDA_RUN = Observed(
    since="2.11.0",
    devices=("cuda",),
    by=(
        "this project's first CUDA run: one NVIDIA H200, torch 2.11.0+cu130, CUDA 13.0, cuDNN 9.19"
    ),
)


# The second CUDA run (docs/cuda.md), on another GPU: entries it found first.
SECOND_CUDA_RUN = Observed(
    since="2.11.0",
    devices=("cuda",),
    by=(
        "this project's second CUDA run: one NVIDIA H100 80GB HBM3, torch 2.11.0+cu130, "
        "CUDA 13.0, cuDNN 9.19"
    ),
)


def base_release(version: str) -> Version:
    """The release a version string names, local labels (+cpu, +cu121) dropped."""
    return Version(Version(version).base_version)


@functools.cache
def release_in(version: str, releases: str) -> bool:
    """Whether `version` is in the specifier `releases` ("": every release). Cached: every
    drawn case asks it of every entry of its layer, and parsing costs more than the rest of
    the question."""
    return not releases or base_release(version) in SpecifierSet(releases)


@dataclass(frozen=True)
class KnownFailure:
    """One reproduced disagreement between torch and the mathematics."""

    id: str
    layer: str
    breaks: Check | frozenset[Check]
    summary: str
    upstream: str  # the upstream issue, or "not filed" with the search that found none
    # Raises (or crashes) while torch is wrong. An entry on several execution paths takes
    # the path's name ("compile:inductor") and reproduces on that path alone, through
    # tests.paths.routing.on_path.
    repro: Callable[..., None]
    observed: Observed
    covers: Callable[[Where], bool] = _all
    dtypes: tuple[str, ...] = DTYPES
    devices: tuple[str, ...] = ("cpu",)
    # CPU kernel sets (tests/kernel_sets.py) whose kernels fail; None: every set.
    kernel_sets: tuple[str, ...] | None = None
    # Backend switches (tests/backend_switches.py) under which it fails, where it fails
    # under some alone; None: under every switch.
    switches: tuple[str, ...] | None = None
    # The torch releases it applies to, as a version specifier ("" : every release).
    releases: str = ""
    paths: tuple[str, ...] = ("eager",)
    # Run the repro in a child process: it crashes, or needs a kernel set of its own.
    isolate: bool = False
    # The property (tests/test_<property>.py) that finds it, where not the one its first
    # check names (PROPERTY_OF): bench/rediscovery.py makes that property find it again.
    # It may be a sharper one than first met the bug (the summary tells that history).
    found_by: str | None = None
    # The quantities it breaks where a property compares several in one case ("output",
    # "input", a parameter's or an argument's name: tests/checks.py), so the others stay
    # judged there: the exact cases for values and exact answers, every property that
    # backpropagates for gradients. Empty: the whole case.
    quantities: tuple[str, ...] = ()
    # The path refuses its cases (tests/paths: PathCannotRun, an exported model the
    # runtime cannot load): forgotten, they are left out and counted in the cell's
    # rejected draws, never a red run, so bench/rediscovery.py does not look for it.
    refused_by_path: bool = False

    @property
    def takes_path(self) -> bool:
        return bool(inspect.signature(self.repro).parameters)

    def run(self, path: str) -> None:
        """Run the repro (for `path`, when it reproduces path by path)."""
        if self.takes_path:
            self.repro(path)
        else:
            self.repro()

    def source(self, path: str | None = None) -> str:
        """The repro as the report prints it: runnable with torch alone."""
        lines = inspect.getsource(self.repro).splitlines()
        body = textwrap.dedent("\n".join(lines[1:])).strip()
        path = path or self.paths[0]
        if self.takes_path:
            name = next(iter(inspect.signature(self.repro).parameters))
            body = f"{name} = {path!r}\n" + body
        header = "import torch\n"
        if "on_path(" in body:
            # The path's plain-torch runner travels with the repro instead of the suite's.
            header += path_named(path).plain + "\n"
        return header + "\n" + body + "\n"

    @property
    def finding_property(self) -> str:
        """The property whose cells judge the cases this entry covers."""
        if self.found_by:
            return self.found_by
        return PROPERTY_OF[sorted(self.checks, key=lambda c: list(Check).index(c))[0]]

    @functools.cached_property
    def checks(self) -> frozenset[Check]:
        """The checks this failure breaks (cached: every drawn case asks it of every entry)."""
        return self.breaks if isinstance(self.breaks, frozenset) else frozenset({self.breaks})

    def in_release(self, version: str) -> bool:
        return release_in(version, self.releases)

    def applies(self, where: Where, kernel_set: str | None = None) -> bool:
        """Whether this entry covers `where` in this process (release, kernel set, path);
        `kernel_set`, where the caller has read this process's set once for many entries."""
        device_type = where.device.partition(":")[0]
        return (
            where.layer == self.layer
            and where.dtype in self.dtypes
            and device_type in self.devices
            and where.path in self.paths
            and self.in_release(torch.__version__)
            and (
                self.kernel_sets is None
                or (kernel_set or kernel_sets.current()) in self.kernel_sets
            )
            and (self.switches is None or where.switch in self.switches)
            and self.covers(where)
        )


def seen_on_cuda(
    cpu: KnownFailure,
    repro: Callable[..., None],
    summary: str,
    observed: Observed = FIRST_CUDA_RUN,
) -> KnownFailure:
    """The CUDA twin of the CPU entry `cpu`, met by a CUDA run: the same scope on CUDA,
    eager alone, with a repro that runs there; its id puts "cuda" after the layer."""
    layer, _, rest = cpu.id.partition("-")
    return dataclasses.replace(
        cpu,
        id=f"{layer}-cuda-{rest}",
        devices=("cuda",),
        paths=("eager",),
        repro=repro,
        observed=observed,
        summary=summary,
    )


def reached_under_switch(
    narrower: KnownFailure,
    switch: str,
    repro: Callable[..., None],
    summary: str,
    observed: Observed,
) -> KnownFailure:
    """The float32 twin of `narrower`, an entry of the dtype a backend switch lets float32
    products take (fp32-bf16: bfloat16), met under that switch: the same kernels, reached
    from float32 code. Its id puts the switch where the narrower dtype was; its repro sets
    the switch itself (it runs in a child process: tests/known_failures/judge.py)."""
    (dtype,) = narrower.dtypes  # an entry of the one dtype the switch narrows to
    return dataclasses.replace(
        narrower,
        id=narrower.id.replace(dtype, switch, 1),
        dtypes=("float32",),
        switches=(switch,),
        repro=repro,
        observed=observed,
        summary=summary,
    )


def constant_over(x: np.ndarray | None, axes: tuple[int, ...]) -> bool:
    """Whether some group of x over `axes` (a row, a channel) holds one value only."""
    if x is None or x.size == 0:
        return False
    spread = x.max(axis=axes) - x.min(axis=axes)
    return bool((spread == 0).any())
