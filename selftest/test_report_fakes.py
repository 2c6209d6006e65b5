"""Not tests: the fake conformance suite that the report selftests run under pytester.

It declares its run and cells through report/interface.py, as the real conftest.py does,
and covers the outcomes the report knows: passed, failed (with and without a recorded
failure, and from Hypothesis), a known failure still present and one fixed, a setup
error, a plain skip, a release lacking a feature, a device that is not present, plus
tests that are not matrix cells.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# HTML and Markdown both have to show this exactly as written.
REPRO = 'm = torch.nn.Conv2d(3, 4, 3)\nassert (m(x) - ref) < 1e-6  # <b>&"quoted"</b> ```'

# Why the failing forward cell's example is not shrunk; the report says it.
NOT_MINIMAL = "the fake test has no shrink phase <b>"

CONFTEST = """
import pytest

from report import interface


def pytest_configure(config):
    config.addinivalue_line("markers", "row(name): report row")
    interface.declare_run(
        config,
        devices=["cpu", "cuda:0"], dtypes=["float32", "float64"],
        impl="torch.nn", profile="ci", seed=1234, tolerance_c=4,
    )


@pytest.fixture
def chapter_claim_record(request):
    return lambda *claim, **outcome: interface.record_claim(request.node, *claim, **outcome)


def pytest_collection_modifyitems(items):
    # The fake suite's own declaration of its cells, as the real conftest.py does.
    for item in items:
        if not item.nodeid.startswith("tests/"):
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        marker = item.get_closest_marker("row")
        row = params.get("layer") or (marker.args[0] if marker else None)
        if row is None:
            continue
        prop = item.module.__name__.rpartition(".")[2].removeprefix("test_")
        device = params.get("device", interface.NONE)
        absent = None
        if device.startswith("cuda") and not __import__("os").environ.get("FAKE_GPU"):
            absent = interface.NotRun("not-present", f"{device} is not on this machine")
        if device == "cpu" and __import__("os").environ.get("FAKE_GPU"):
            absent = interface.NotRun("not-present", "this job tests the GPU only")
        cell = interface.Cell(row, prop, device, str(params.get("dtype", interface.NONE)))
        interface.declare_cell(item, cell, absent)
        if absent is not None:
            item.add_marker(pytest.mark.skip(reason=str(absent)))
"""

TEST_FORWARD = f"""
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from report.interface import ConformanceError, Failure, cover, example_not_minimal

REPRO = {REPRO!r}
NOT_MINIMAL = {NOT_MINIMAL!r}
# FAKE_NEW: the "next release": Linear float32 breaks, Conv2d float64 is fixed.
NEW = bool(os.environ.get("FAKE_NEW"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("device", ["cpu", "cuda:0"])
@pytest.mark.parametrize("layer", ["Linear", "Conv2d"])
@settings(max_examples=5, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_forward(layer, device, dtype, data):
    width = data.draw(st.integers(0, 100))
    cover(f"width={{'small' if width < 50 else 'large'}}", f"layer={{layer}}")
    if NEW and layer == "Linear" and dtype == "float32" and device == "cpu":
        raise ConformanceError(Failure(message="Linear float32 broke"))
    if layer == "Conv2d" and dtype == "float64" and device == "cpu" and not NEW:
        # Its phases have no shrink: the report says the example is not minimal.
        example_not_minimal(NOT_MINIMAL)
        raise ConformanceError(Failure(
            message="forward differs from the reference",
            example="Conv2d(3, 4, kernel_size=3, padding='same'), input (1, 3, 5, 5)",
            max_abs_error=0.5, max_rel_error=float("inf"), index=[0, 1, 2, 3],
            repro=REPRO,
        ))
"""

TEST_SHAPE = """
import pytest

from report.interface import not_run


@pytest.mark.parametrize("device", ["cpu"])
@pytest.mark.parametrize("layer", ["Linear", "Conv2d"])
def test_shape(layer, device):
    if layer == "Conv2d":
        not_run("not-in-release", "padding_mode='circular' needs a newer torch")
"""

TEST_INIT = """
import os

import pytest

from report.interface import Failure, known_failure, known_failure_fixed


@pytest.mark.parametrize("layer", ["Linear", "Conv2d"])
def test_init(layer):
    if layer == "Linear" and not os.environ.get("FAKE_NEW"):
        known_failure("known torch bug 12345", Failure("bug reproduced", repro="print(1)"))
    known_failure_fixed(Failure("known torch bug 12345 no longer reproduces"))
"""

TEST_ERRORS = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture blew up")

@pytest.mark.parametrize("layer", ["Linear"])
def test_errors(layer):
    assert 1 + 1 == 3, "errors: ValueError was not raised"

@pytest.mark.parametrize("layer", ["Conv2d"])
def test_errors_setup(layer, broken):
    pass

@pytest.mark.parametrize("layer", ["ReLU"])
def test_errors_skipped(layer):
    pytest.skip("a plain skip")
"""

TEST_GRADIENTS = """
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

@pytest.mark.parametrize("layer", ["Linear"])
@settings(
    max_examples=20,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(width=st.integers(1, 50))
def test_gradients(layer, width):
    assert width < 10, "gradient differs from the VJP"
"""

TEST_CLAIMS = """
import pytest

@pytest.mark.row("LeNet5")
def test_models(chapter_claim_record):
    chapter_claim_record("lenet5-params", "LeNet5 has 61,706 parameters")
    chapter_claim_record("lenet5-layers", "LeNet5 has 5 layers with weights", outcome="failed")

def test_claim_without_layer(chapter_claim_record):
    chapter_claim_record("sequential-index", "Sequential supports [i]")
"""

TEST_OTHER = """
def test_helper_is_not_a_cell():
    assert True
"""

SELFTEST_INNER = """
import pytest

@pytest.mark.parametrize("layer", ["Linear"])
def test_reference(layer):
    assert True
"""

FILES = {
    "conftest.py": CONFTEST,
    "tests/test_forward.py": TEST_FORWARD,
    "tests/test_shape.py": TEST_SHAPE,
    "tests/test_init.py": TEST_INIT,
    "tests/test_errors.py": TEST_ERRORS,
    "tests/test_gradients.py": TEST_GRADIENTS,
    "tests/test_claims.py": TEST_CLAIMS,
    "tests/test_other.py": TEST_OTHER,
    "selftest/test_inner.py": SELFTEST_INNER,
}

# (layer, property, device, dtype) -> outcome, on the CPU machine (FAKE_GPU unset).
CPU_EXPECTED = {
    ("Linear", "forward", "cpu", "float32"): "passed",
    ("Linear", "forward", "cpu", "float64"): "passed",
    ("Conv2d", "forward", "cpu", "float32"): "passed",
    ("Conv2d", "forward", "cpu", "float64"): "failed",
    ("Linear", "forward", "cuda:0", "float32"): "not-present",
    ("Linear", "forward", "cuda:0", "float64"): "not-present",
    ("Conv2d", "forward", "cuda:0", "float32"): "not-present",
    ("Conv2d", "forward", "cuda:0", "float64"): "not-present",
    ("Linear", "shape", "cpu", "-"): "passed",
    ("Conv2d", "shape", "cpu", "-"): "not-in-release",
    ("Linear", "init", "-", "-"): "xfailed",
    ("Conv2d", "init", "-", "-"): "failed",
    ("Linear", "errors", "-", "-"): "failed",
    # test_errors_setup lives in test_errors.py: one file per property, so it is "errors".
    ("Conv2d", "errors", "-", "-"): "error",
    ("ReLU", "errors", "-", "-"): "skipped",
    ("Linear", "gradients", "-", "-"): "failed",
    ("LeNet5", "claims", "-", "-"): "passed",
}
# test_other, test_claim_without_layer and selftest/test_inner: passed, not cells.
OTHER_TESTS = 3


def write_fake_suite(pytester: pytest.Pytester) -> None:
    for name, text in FILES.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    pytester.syspathinsert(REPO)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def run_fake_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the fake suite in-process with the report plugin, as `pytest -p report.plugin`."""
    return pytester.runpytest("-p", "report.plugin", "-p", "no:cacheprovider", *args)


def cells(document: dict) -> dict[tuple[str, str, str, str], str]:
    """(layer, property, device, dtype) -> outcome, for a single-shard report."""
    return {
        (r["layer"], r["property"], r["device"], r["dtype"]): r["outcome"]
        for r in document["results"]
    }
