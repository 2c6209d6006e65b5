"""The suite's command-line options, and how each is read and checked.

A bad option of ours ends the run with one line (OptionError, a pytest.UsageError)."""

from __future__ import annotations

import os
from types import ModuleType

import pytest

from spec.dtypes import DTYPES
from tests import backend_switches, impl, kernel_sets
from tests.paths import all_paths, by_name as path_named, resolve_paths
from tests.shrink_budget import DEFAULT_BUDGET_S as DEFAULT_SHRINK_BUDGET_S

# The environment's way to give --example-db (a CI job sets it once for every command).
EXAMPLE_DB_VARIABLE = "NNCONFORM_EXAMPLE_DB"
DEFAULT_IMPL = "torch.nn"
DEVICE_KINDS = ("cpu", "cuda", "meta")


class OptionError(pytest.UsageError):
    """A bad option of ours: pytest prints its one line and stops."""


def _path_choices() -> str:
    paths = all_paths().values()
    families = sorted({p.family for p in paths if ":" in p.name})
    return ", ".join(p.name for p in paths) + f"; a family name ({', '.join(families)})"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nnconform")
    group.addoption(
        "--device",
        dest="nnconform_device",
        default="all",
        help=f"comma-separated devices ({', '.join(DEVICE_KINDS)}, cuda:N) or 'all' (default: "
        "every device present; absent CUDA is reported as not present)",
    )
    group.addoption(
        "--dtype",
        dest="nnconform_dtype",
        default="all",
        help=f"comma-separated dtypes from {', '.join(DTYPES)}, or 'all' (the default)",
    )
    group.addoption(
        "--impl",
        dest="nnconform_impl",
        default=DEFAULT_IMPL,
        help="the implementation under test: a module name or a Python file exposing the "
        f"torch.nn classes it provides (default {DEFAULT_IMPL}; docs/impl-contract.md)",
    )
    group.addoption(
        "--path",
        dest="nnconform_path",
        default="eager",
        help=f"comma-separated execution paths: {_path_choices()} for all its paths, or "
        "'all' (default eager)",
    )
    group.addoption(
        "--switch",
        dest="nnconform_switch",
        default=backend_switches.DEFAULT,
        help="comma-separated backend switches to judge each cell under: "
        f"{', '.join(backend_switches.CHOICES)} (default: {backend_switches.DEFAULT})",
    )
    group.addoption(
        "--cpu-isa",
        dest="nnconform_cpu_isa",
        default=kernel_sets.NATIVE,
        help="comma-separated CPU kernel sets to run under, one worker process each: "
        f"{', '.join(kernel_sets.CHOICES)} (default native: whatever torch picks)",
    )
    group.addoption(
        # Used as --example-db=DIR (one word): pytest reads paths out of the arguments
        # before this option exists, and a separate folder argument would move its rootdir.
        "--example-db",
        dest="nnconform_example_db",
        default=os.environ.get(EXAMPLE_DB_VARIABLE) or None,
        help="a Hypothesis example database folder shared between machines: failures found "
        f"by one replay first on all; the run is then unseeded (default ${EXAMPLE_DB_VARIABLE})",
    )
    group.addoption(
        "--impl-known",
        dest="nnconform_impl_known",
        default=None,
        metavar="FILE",
        help="the implementation's own known failures: a Python file with a tuple ENTRIES "
        "of tests.known_failures.KnownFailure (docs/impl-contract.md); they judge its run "
        "as torch's judge torch's",
    )
    group.addoption(
        "--compare-torch",
        dest="nnconform_compare_torch",
        action="store_true",
        help="with --impl: a failing cell runs again through torch.nn on the same draws, and "
        "says whether torch passes it (you differ from torch) or not (torch differs too)",
    )
    group.addoption(
        "--ignore-known-failures",
        dest="nnconform_ignore_known_failures",
        action="store_true",
        help="judge every case as if no torch failure were known: nothing is carved out and "
        "no strict xfail runs (a raw verdict, e.g. against an unpatched baseline)",
    )
    group.addoption(
        "--forget-known-failure",
        dest="nnconform_forget_known_failures",
        default="",
        metavar="ID[,ID...]",
        help="judge these entries' cases as if they were never recorded, while every other "
        "known failure still carves out its own: is this bug found again from scratch, and "
        "by nothing else (bench/rediscovery.py)",
    )
    group.addoption(
        "--shrink-budget",
        dest="nnconform_shrink_budget",
        default=str(DEFAULT_SHRINK_BUDGET_S),
        metavar="SECONDS",
        help="stop shrinking a failure this many seconds after it was first found and report "
        f"the smallest found so far, saying it is not minimal (default {DEFAULT_SHRINK_BUDGET_S:g};"
        " 0 reports the first failure; 'none' shrinks as long as Hypothesis does)",
    )


# The parsed --shrink-budget, set once at configure time (tests/plugin/run.py) and read by
# every test item.
SHRINK_BUDGET_S: pytest.StashKey[float | None] = pytest.StashKey()


def shrink_budget(config: pytest.Config) -> float | None:
    """--shrink-budget in seconds, or None for no budget of ours."""
    given = str(config.getoption("nnconform_shrink_budget")).strip()
    if given.lower() == "none":
        return None
    try:
        seconds = float(given)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise OptionError(
            f"--shrink-budget must be a number of seconds >= 0 or 'none', not {given!r}"
        )
    return seconds


def listed(config: pytest.Config, option: str) -> list[str]:
    return [v.strip() for v in config.getoption(option).split(",") if v.strip()]


def devices(config: pytest.Config) -> list[str]:
    import torch

    asked = listed(config, "nnconform_device")
    if asked == ["all"]:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return ["cpu"] + ([f"cuda:{i}" for i in range(count)] if count else ["cuda"])
    for device in asked:
        kind, _, index = device.partition(":")
        if kind not in DEVICE_KINDS or (index and not index.isdigit()):
            raise OptionError(
                f"unknown device {device!r}; use {', '.join(DEVICE_KINDS)}, cuda:N or all"
            )
    return asked


def dtypes(config: pytest.Config) -> list[str]:
    asked = listed(config, "nnconform_dtype")
    if asked == ["all"]:
        return list(DTYPES)
    for dtype in asked:
        if dtype not in DTYPES:
            raise OptionError(f"unknown dtype {dtype!r}; choose from {', '.join(DTYPES)} or all")
    return asked


def paths(config: pytest.Config) -> list[str]:
    asked = listed(config, "nnconform_path")
    try:
        names = resolve_paths(asked)
    except ValueError as error:
        raise OptionError(f"--path: {error}") from None
    # Named on purpose: a path that cannot run here is a setup error, said at once. A path
    # a family or `all` brings in is reported not applicable instead (compile without the
    # openvino extra: compile:openvino's cells say what to install).
    for name in (n for n in names if n in asked):
        missing = path_named(name).missing()
        if missing:
            raise OptionError(f"--path {name}: {missing}")
    return names


def switches(config: pytest.Config) -> list[str]:
    try:
        return backend_switches.resolve(listed(config, "nnconform_switch"))
    except ValueError as error:
        raise OptionError(f"--switch: {error}") from None


def chosen_kernel_sets(config: pytest.Config) -> list[str]:
    try:
        return kernel_sets.resolve(listed(config, "nnconform_cpu_isa"))
    except ValueError as error:
        raise OptionError(f"--cpu-isa: {error}") from None


def import_impl(name: str) -> ModuleType:
    """`--impl`: a module name or a file path; whatever its import raises is one line."""
    try:
        return impl.load(name)
    except impl.ImplError as error:
        raise OptionError(str(error)) from None
