"""No test that cannot fail: every property is shown to catch a deliberately broken layer.

For each mutant in selftest/zoo/ and each property it declares in CAUGHT_BY, the
property's tests run in-process against the mutant and must fail with a genuine
violation; the same tests on torch.nn, with the same settings and seed, must pass.

A mutant broken on an execution path only (`PATH = "compile:inductor"`, or a tuple of
paths) is run on each of its paths, and must pass on eager: it proves that the path,
not eager, is what ran. Every path has such a mutant.
"""

from __future__ import annotations

import pytest
import torch

from selftest import zoo
from selftest.zoo_runner import (
    EAGER,
    SPEC_FIXTURES,
    applies_on,
    fixtures_of,
    not_a_violation,
    path_examples,
    property_names,
    property_of,
    property_specs,
    property_tests,
    run_property,
)
from tests import backend_switches
from tests.paths import all_paths, by_name


def _load_all() -> tuple[dict, dict]:
    """The zoo's mutants; one that cannot even be imported fails its own test, not collection."""
    loaded, broken = {}, {}
    for name in zoo.mutant_names():
        try:
            loaded[name] = zoo.load(name)
        except Exception as error:
            broken[name] = f"{type(error).__name__}: {error}"
    return loaded, broken


MUTANTS, UNIMPORTABLE = _load_all()


def dtype_of(mutant) -> str:
    return getattr(mutant, "DTYPE", "float32")


def paths_of(mutant) -> tuple[str, ...]:
    """The execution paths a mutant is broken on (eager, unless it says otherwise)."""
    declared = getattr(mutant, "PATH", EAGER)
    return (declared,) if isinstance(declared, str) else tuple(declared)


def examples_of(mutant, path: str = EAGER) -> int:
    return getattr(mutant, "EXAMPLES", None) or path_examples(path)


def switch_of(mutant) -> str:
    """The backend switch a mutant is broken under (the default one, unless it says)."""
    return getattr(mutant, "SWITCH", backend_switches.DEFAULT)


def spec_of(mutant, prop: str) -> str:
    """The spec the property runs the mutant on: LAYER, unless RUN_ON names another."""
    run_on = getattr(mutant, "RUN_ON", {})
    return run_on.get(prop, run_on.get(property_of(prop), mutant.LAYER))


def _needs_spec(prop: str, spec_name: str) -> None:
    if spec_name not in property_specs(prop):
        pytest.skip(f"tests/test_{property_of(prop)}.py has no spec named {spec_name} (yet)")


def _caught_id(name: str, prop: str, path: str) -> str:
    on = "" if path == EAGER else f"-{path}"
    return f"{name}-{prop.replace('::', '.')}{on}"


CAUGHT = [
    pytest.param(name, prop, path, id=_caught_id(name, prop, path))
    for name, mutant in MUTANTS.items()
    for prop in mutant.CAUGHT_BY
    for path in paths_of(mutant)
]


def _tests_or_none(selector: str) -> list:
    # A CAUGHT_BY entry naming no test fails test_mutant_declares_itself, not collection.
    try:
        return property_tests(selector)
    except (LookupError, ImportError):
        return []


def _controls() -> list:
    """One control per property test, spec, dtype and example count some mutant runs.

    The count is part of the key: Hypothesis' generation depends on max_examples, so
    only the very same settings replay the very same examples. A test that takes no
    `layer` (e.g. test_init_kaiming) gets one control, not one per mutant LAYER.
    """
    keys = set()
    for mutant in MUTANTS.values():
        for selector, path in ((s, p) for s in mutant.CAUGHT_BY for p in paths_of(mutant)):
            for test in _tests_or_none(selector):
                if path not in all_paths() or not applies_on(test, by_name(path)):
                    continue  # a wrong PATH fails test_mutant_declares_itself
                takes_spec = any(f in fixtures_of(test) for f in SPEC_FIXTURES)
                spec_name = spec_of(mutant, selector) if takes_spec else "-"
                test_name = f"{property_of(selector)}::{test.__name__}"
                key = (test_name, spec_name, dtype_of(mutant), examples_of(mutant, path), path)
                keys.add(key)
    return [
        pytest.param(*key, id="-".join(map(str, key)).replace("::", ".")) for key in sorted(keys)
    ]


@pytest.mark.parametrize(("name", "prop", "on_path"), CAUGHT)
def test_property_catches_mutant(name, prop, on_path):
    # Not `path`: conftest parametrizes that name over the run's paths.
    mutant = MUTANTS[name]
    spec_name = spec_of(mutant, prop)
    if any(f in fixtures_of(test) for test in property_tests(prop) for f in SPEC_FIXTURES):
        _needs_spec(prop, spec_name)
    _path_available(on_path)
    examples = examples_of(mutant, on_path)
    raised = run_property(
        prop,
        spec_name,
        mutant,
        dtype_of(mutant),
        examples,
        first_failure_only=True,
        path=on_path,
        switch=switch_of(mutant),
    )
    where = "" if on_path == EAGER else f" on path {on_path}"
    assert raised, (
        f"test_{prop} passed {examples} examples of mutant {name}{where}: {mutant.__doc__}"
    )
    crashes = not_a_violation(raised, prop, mutant)
    assert not crashes, f"test_{prop} on mutant {name} failed, but not by a violation: {crashes}"


def _path_available(path: str) -> None:
    missing = by_name(path).missing()
    if missing:
        pytest.skip(f"{path}: {missing}")


@pytest.mark.parametrize(
    ("test_name", "spec_name", "dtype_name", "examples", "on_path"), _controls()
)
def test_property_passes_on_torch(test_name, spec_name, dtype_name, examples, on_path):
    # Not `layer`/`dtype`/`path`: conftest parametrizes those names over the whole matrix.
    spec = None if spec_name == "-" else spec_name
    if spec is not None:
        _needs_spec(test_name, spec)
    _path_available(on_path)
    raised = run_property(test_name, spec, torch.nn, dtype_name, examples, path=on_path)
    assert not raised, f"{test_name} fails on torch.nn {spec_name} on {on_path} itself: {raised}"


PATH_MUTANTS = [name for name, mutant in MUTANTS.items() if paths_of(mutant) != (EAGER,)]


@pytest.mark.parametrize("name", PATH_MUTANTS)
def test_path_mutant_is_invisible_to_eager(name):
    """Broken on its paths only: eager, with the same examples, passes every CAUGHT_BY."""
    mutant = MUTANTS[name]
    examples = max(examples_of(mutant, path) for path in paths_of(mutant))
    for prop in mutant.CAUGHT_BY:
        raised = run_property(prop, spec_of(mutant, prop), mutant, dtype_of(mutant), examples)
        assert not raised, f"{name} fails test_{prop} on eager too: {raised}"


SWITCH_MUTANTS = [
    name for name, mutant in MUTANTS.items() if switch_of(mutant) != backend_switches.DEFAULT
]


@pytest.mark.parametrize("name", SWITCH_MUTANTS)
def test_switch_mutant_is_invisible_without_its_switch(name):
    """Broken under its switch only: without it, with the same examples, it passes."""
    mutant = MUTANTS[name]
    for prop in mutant.CAUGHT_BY:
        raised = run_property(prop, spec_of(mutant, prop), mutant, dtype_of(mutant), 30)
        assert not raised, f"{name} fails test_{prop} without its switch: {raised}"


@pytest.mark.parametrize(
    "switch", [name for name in backend_switches.SWITCHES if name != backend_switches.DEFAULT]
)
def test_every_backend_switch_has_a_mutant(switch):
    catchers = [name for name in SWITCH_MUTANTS if switch_of(MUTANTS[name]) == switch]
    assert catchers, f"no mutant in selftest/zoo/ is broken under backend switch {switch} alone"


@pytest.mark.parametrize("on_path", [name for name in all_paths() if name != EAGER])
def test_every_path_has_a_mutant(on_path):
    catchers = [name for name in PATH_MUTANTS if on_path in paths_of(MUTANTS[name])]
    assert catchers, (
        f"no mutant in selftest/zoo/ is broken on path {on_path} alone: add one that only "
        "that path sees (PATH = ...; see selftest/zoo/__init__.py)"
    )


@pytest.mark.parametrize("prop", property_names())
def test_every_property_has_a_mutant(prop):
    catchers = [
        name
        for name, mutant in MUTANTS.items()
        if prop in {property_of(selector) for selector in mutant.CAUGHT_BY}
    ]
    assert catchers, (
        f"tests/test_{prop}.py has no mutant in selftest/zoo/ that it must catch: "
        "add one (see selftest/zoo/__init__.py)"
    )


@pytest.mark.parametrize("name", zoo.mutant_names())
def test_mutant_declares_itself(name):
    assert name not in UNIMPORTABLE, f"{name} cannot be imported: {UNIMPORTABLE.get(name)}"
    mutant = MUTANTS[name]
    doc = (mutant.__doc__ or "").strip()
    assert doc, f"{name}: the docstring must say what is broken"
    assert "\n" not in doc, f"{name}: the docstring is one line"
    assert isinstance(mutant.LAYER, str)
    assert isinstance(mutant.CAUGHT_BY, tuple), f"{name}: CAUGHT_BY is a tuple"
    assert mutant.CAUGHT_BY, f"{name}: CAUGHT_BY names at least one property"
    unknown = {property_of(s) for s in mutant.CAUGHT_BY} - set(property_names())
    assert not unknown, f"{name}: CAUGHT_BY names no tests/test_<property>.py: {unknown}"
    for selector in mutant.CAUGHT_BY:
        property_tests(selector)  # a "property::test_name" entry names a test that exists
    run_on = set(getattr(mutant, "RUN_ON", {}))
    assert run_on <= set(mutant.CAUGHT_BY) | {property_of(s) for s in mutant.CAUGHT_BY}
    for path in paths_of(mutant):
        assert path in all_paths(), f"{name}: PATH names no execution path: {path!r}"
        assert examples_of(mutant, path) >= path_examples(path), (
            f"{name}: EXAMPLES below what a CI run gives each property on {path}"
        )
        for selector in mutant.CAUGHT_BY:
            for test in property_tests(selector):
                assert applies_on(test, by_name(path)), (
                    f"{name}: test_{property_of(selector)} is not applicable on {path}"
                )
    # An implementation per the --impl contract: every torch.nn name resolves...
    # (a name no mutant replaces stands for "everything else comes from torch.nn").
    assert mutant.init is not None and mutant.Identity is torch.nn.Identity
    # ...and something of its own replaces torch's: a torch.nn name, or an optimizer in
    # its `optim` namespace (the optimizers' seam: tests/optimizers.py optim_namespace).
    own = {
        key
        for key, value in vars(mutant).items()
        if hasattr(torch.nn, key) and value is not getattr(torch.nn, key)
    }
    optim = vars(mutant).get("optim")
    if optim is not None:
        own |= {
            f"optim.{key}"
            for key, value in vars(optim).items()
            if value is not getattr(torch.optim, key, None)
        }
    assert own, f"{name} overrides nothing of torch.nn or torch.optim"
