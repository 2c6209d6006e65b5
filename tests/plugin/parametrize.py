"""The matrix's parameters: layer (or model), device, dtype and execution path per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from report import interface
from spec.models import MODELS
from spec.registry import LAYERS, OPTIMIZERS
from tests import backend_switches
from tests.paths import by_name as path_named


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = interface.declared_run(metafunc.config)
    if "layer" in metafunc.fixturenames:
        specs = getattr(metafunc.module, "SPECS", LAYERS)
        metafunc.parametrize("layer", list(specs), ids=[s.name for s in specs])
    if "model" in metafunc.fixturenames:
        metafunc.parametrize("model", list(MODELS), ids=[m.name for m in MODELS])
    if "optimizer" in metafunc.fixturenames:
        metafunc.parametrize("optimizer", list(OPTIMIZERS), ids=[o.name for o in OPTIMIZERS])
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", run["devices"])
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", run["dtypes"])
    if "path" in metafunc.fixturenames and not _parametrized_by_test(metafunc, "path"):
        # Indirect: the `path` fixture makes the path the active one for the test.
        metafunc.parametrize("path", run["paths"], indirect=True)
        # Every cell under each backend switch asked for (the default one only, usually).
        if run["switches"] != [backend_switches.DEFAULT]:
            metafunc.parametrize("switch", run["switches"], indirect=True)


def _parametrized_by_test(metafunc: pytest.Metafunc, name: str) -> bool:
    """Whether the test's own parametrize marks already give `name` (known failures do)."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        listed = names.split(",") if isinstance(names, str) else list(names)
        if name in (n.strip() for n in listed):
            return True
    return False


@pytest.fixture(autouse=True)
def switch(request: pytest.FixtureRequest) -> Iterator[str]:
    """The backend switch the test runs under (tests/backend_switches.py), set around it."""
    name = getattr(request, "param", backend_switches.DEFAULT)
    chosen = backend_switches.SWITCHES[name]
    missing = chosen.missing()
    if missing:
        interface.not_run("not-in-release", f"--switch {name} needs {missing}")
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    with chosen.active(reached=chosen.reaches_test(params)):
        yield name


@pytest.fixture
def path(request: pytest.FixtureRequest) -> Iterator[object]:
    """The execution path under test (tests/paths/), active for the test's duration."""
    from tests.paths.routing import active

    with active(path_named(request.param)) as chosen:
        yield chosen
