"""Run a property's tests in-process against any implementation, deterministically.

The property tests are Hypothesis tests taking pytest fixtures (layer or model, device,
dtype, path, nn) and one Hypothesis argument, `data` (a convention
selftest/test_architecture.py enforces). The execution path (tests/paths/) is made the
active one around the run, as the `path` fixture does; tests whose NEEDS the path lacks
are left out, as tests/plugin/cells.py reports them "not applicable".

Here they are called as plain functions: the fixtures are supplied by keyword,
and the inner test (public: `test.hypothesis.inner_test`) is wrapped afresh with fixed
settings and a fixed seed, so the suite's own profile and per-run seed never change the
outcome and the original test objects are left untouched.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from hypothesis.errors import Flaky

from spec.fusion import PAIRS
from spec.models import MODELS
from spec.registry import LAYERS, OPTIMIZERS
from tests import backend_switches, corners
from tests.paths import ExecutionPath, Need, by_name
from tests.paths.routing import active
from tests.plugin.property_run import leaving_out_what_the_path_cannot_run
from tests.tensors import seed_torch

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"

# Fixed seeds: the Hypothesis choice sequence and torch's global RNG (init, dropout
# masks, gradcheck's random projections) are the same on every run and machine.
HYPOTHESIS_SEED = 20240611
TORCH_SEED = 0


# A mutant must be caught within the examples a CI run gives each property (the `ci`
# profile's count, 30), so the zoo proves what CI actually does. A mutant whose
# violation is rare per example (e.g. one invalid kind among many) declares a larger
# EXAMPLES with its reason. Each control on torch.nn runs with exactly its mutant's
# settings: Hypothesis' choice of examples depends on max_examples, not only the seed.
def ci_examples() -> int:
    return settings.get_profile("ci").max_examples


# The paths that compile or export each example run the `compile` profile's count.
EAGER = "eager"


def path_examples(path: str) -> int:
    """The examples a CI run gives each property on `path`."""
    return ci_examples() if path == EAGER else settings.get_profile("compile").max_examples


ZOO_SETTINGS = settings(
    # No example database: a failure stored by one run must not steer the next.
    database=None,
    deadline=None,
    # No shrinking: the zoo needs a failure, not the smallest one, and the generate
    # phase alone stops at the first failure. Replay of that failure still happens.
    phases=(Phase.explicit, Phase.generate),
    report_multiple_bugs=False,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)

DEVICE = "cpu"

# Exceptions by which a property test reports a violation: assertions (ConformanceError
# and the directional gradient check's mismatch among them) and pytest's Failed.
VIOLATIONS = (AssertionError, pytest.fail.Exception)
# The one argument Hypothesis draws in every property test.
DRAWN = "data"


def property_names() -> list[str]:
    """Every property: the tests/test_<property>.py files that exist now.

    A file declaring IS_PROPERTY = False (the register of known torch failures, whose
    strict xfails prove themselves) is not a property and needs no mutant.
    """
    names = (path.stem.removeprefix("test_") for path in TESTS_DIR.glob("test_*.py"))
    return sorted(n for n in names if getattr(property_module(n), "IS_PROPERTY", True))


def property_of(selector: str) -> str:
    """The property a CAUGHT_BY entry names: "init", or "init::test_init_kaiming"."""
    return selector.partition("::")[0]


def property_module(selector: str) -> ModuleType:
    return importlib.import_module(f"tests.test_{property_of(selector)}")


def property_tests(selector: str) -> list[Callable]:
    """The test functions of a property's file; only the one named after "::", if any."""
    module = property_module(selector)
    only = selector.partition("::")[2]
    tests = [
        obj
        for name, obj in vars(module).items()
        if name.startswith("test_")
        and callable(obj)
        and obj.__module__ == module.__name__
        and name == (only or name)
    ]
    if not tests:
        raise LookupError(f"tests/test_{property_of(selector)}.py has no test {only!r}")
    return tests


# The specs each spec-taking fixture is parametrized over (tests/plugin/parametrize.py;
# `pair`: tests/test_fusion.py's own parametrize over spec/fusion.py's pairs).
SPEC_FIXTURES = ("layer", "model", "optimizer", "pair")


def specs_for(test: Callable, fixture: str) -> dict[str, object]:
    """The specs a test's `layer`, `model`, `optimizer` or `pair` runs over, by name."""
    if fixture == "model":
        return {model.name: model for model in MODELS}
    if fixture == "optimizer":
        return {optimizer.name: optimizer for optimizer in OPTIMIZERS}
    if fixture == "pair":
        return {pair.name: pair for pair in PAIRS}
    module = importlib.import_module(test.__module__)
    return {spec.name: spec for spec in getattr(module, "SPECS", LAYERS)}


def property_specs(prop: str) -> dict[str, object]:
    """Every spec some test of the property runs over, by name."""
    found: dict[str, object] = {}
    for test in property_tests(prop):
        for fixture in SPEC_FIXTURES:
            if fixture in fixtures_of(test):
                found |= specs_for(test, fixture)
    return found


def _seeded_torch(function: Callable) -> Callable:
    @functools.wraps(function)
    def with_fixed_torch_rng(*args: object, **kwargs: object) -> object:
        with torch.random.fork_rng(devices=[]):
            seed_torch(TORCH_SEED)
            return function(*args, **kwargs)

    return with_fixed_torch_rng


def fixtures_of(test: Callable) -> list[str]:
    """The pytest fixtures a property test takes (every argument but the drawn `data`)."""
    inner = getattr(getattr(test, "hypothesis", None), "inner_test", test)
    return [p for p in inspect.signature(inner).parameters if p != DRAWN]


def _deterministic(test: Callable, examples: int) -> Callable:
    """A fresh copy of `test` under the zoo's settings (the original is left untouched)."""
    handle = getattr(test, "hypothesis", None)
    if handle is None:
        return _seeded_torch(test)
    # As a pytest run has it: an example the path cannot run (an exported model
    # onnxruntime refuses to load) is left out and another drawn, never a kill.
    body = leaving_out_what_the_path_cannot_run(handle.inner_test)
    fresh = given(**{DRAWN: st.data()})(_seeded_torch(body))
    chosen = settings(ZOO_SETTINGS, max_examples=examples)
    return seed(HYPOTHESIS_SEED)(chosen(fresh))


def applies_on(test: Callable, path: ExecutionPath) -> bool:
    """Whether `path` provides everything the test's property file NEEDS."""
    # A file that declares nothing needs everything, as tests/plugin/cells.py reads it.
    needs = getattr(importlib.import_module(test.__module__), "NEEDS", frozenset(Need))
    return needs <= path.provides


def fixture_values(
    test: Callable, spec_name: str | None, nn: ModuleType, dtype: str, path: str = EAGER
) -> dict:
    """How each fixture `test` takes is supplied; None when it needs a spec it lacks."""
    values: dict[str, object] = {
        "device": DEVICE,
        "dtype": dtype,
        "path": by_name(path),
        "nn": nn,
        "chapter_claim_record": lambda *args, **kwargs: None,
    }
    for fixture in SPEC_FIXTURES:
        if fixture in fixtures_of(test):
            specs = specs_for(test, fixture)
            if spec_name not in specs:
                return None
            values[fixture] = specs[spec_name]
    return values


def run_property(
    selector: str,
    spec_name: str | None,
    nn: ModuleType,
    dtype: str,
    examples: int,
    first_failure_only: bool = False,
    path: str = EAGER,
    switch: str = backend_switches.DEFAULT,
) -> list:
    """Run the tests `selector` names for the spec `spec_name` on `nn` on execution path
    `path`, under backend switch `switch`; the exceptions raised.

    `first_failure_only`: stop at the first test that fails (one failure proves a mutant
    caught; the rest of the file would only cost time).
    """
    with active(by_name(path)), backend_switches.SWITCHES[switch].active():
        return _run_tests(selector, spec_name, nn, dtype, examples, first_failure_only, path)


def _run_tests(
    selector: str,
    spec_name: str | None,
    nn: ModuleType,
    dtype: str,
    examples: int,
    first_failure_only: bool,
    path: str,
) -> list:
    raised = []
    for test in property_tests(selector):
        fixtures = fixtures_of(test)
        supplied = fixture_values(test, spec_name, nn, dtype, path)
        if supplied is None:
            continue  # parametrized over specs this mutant is not (test_freezing_models)
        if not applies_on(test, by_name(path)):
            continue  # not applicable on this path
        unknown = [name for name in fixtures if name not in supplied]
        if unknown:
            raise LookupError(
                f"tests/test_{property_of(selector)}.py::{test.__name__} takes fixtures "
                f"{unknown} that selftest/zoo_runner.py cannot supply: add them to fixture_values()"
            )
        try:
            _deterministic(test, examples)(**{name: supplied[name] for name in fixtures})
            _corner_pass(test, {name: supplied[name] for name in fixtures})
        except (Exception, pytest.fail.Exception, pytest.skip.Exception) as error:
            raised.append(error)
            if first_failure_only:
                break
    return raised


def _corner_pass(test: Callable, arguments: dict) -> None:
    """The corner pass a CI run makes after each property's examples (tests/corners.py)."""
    module = property_module(test.__module__.rpartition(".test_")[2])
    subject = corners.cornered(arguments, module)
    if subject is None or not hasattr(test, "hypothesis"):
        return
    spec, kind = subject
    inner = _seeded_torch(leaving_out_what_the_path_cannot_run(test.hypothesis.inner_test))
    corner_list = corners.CORNER_KINDS[kind](spec)
    for _ in corners.run(inner, arguments, corner_list, HYPOTHESIS_SEED, ZOO_SETTINGS):
        pass


def leaves(error: BaseException) -> Iterator[BaseException]:
    """The individual exceptions inside (possibly nested) exception groups."""
    inner = getattr(error, "exceptions", None)
    if isinstance(inner, tuple) and not isinstance(error, Flaky):
        for each in inner:
            yield from leaves(each)
    else:
        yield error


def not_a_violation(errors: list, prop: str, mutant: ModuleType) -> list[str]:
    """The raised exceptions that are not a property violation (a crash, a skip, a flake)."""
    wrong = []
    for error in errors:
        for leaf in leaves(error):
            if isinstance(leaf, VIOLATIONS) and not isinstance(leaf, Flaky):
                continue
            wrong.append(f"{type(leaf).__name__}: {str(leaf)[:500]}")
    return wrong
