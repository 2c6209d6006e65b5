"""Not tests: the fake conformance suite that the report selftests run under pytester.

It covers every outcome the report knows: passed, failed (with and without a recorded
failure, and from Hypothesis), an XPASS(strict), a setup error, a skip, a device that is
not present, an expected failure, plus tests that are not matrix cells.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# HTML and Markdown both have to show this exactly as written.
REPRO = 'm = torch.nn.Conv2d(3, 4, 3)\nassert (m(x) - ref) < 1e-6  # <b>&"quoted"</b> ```'

CONFTEST = """
def pytest_configure(config):
    config.nnconform_run = {
        "devices": ["cpu", "cuda:0"], "dtypes": ["float32", "float64"],
        "impl": "torch.nn", "profile": "ci", "seed": 1234, "tolerance_c": 4,
    }
"""

LAYERS = """
class Layer:
    def __init__(self, name):
        self.name = name

LAYERS = [Layer("Linear"), Layer("Conv2d")]
IDS = [layer.name for layer in LAYERS]
"""

TEST_FORWARD = (
    LAYERS
    + f"""
import os

import pytest

REPRO = {REPRO!r}

class Float64:
    # Prints like torch.float64, without importing torch into every xdist worker.
    def __str__(self):
        return "torch.float64"

@pytest.mark.parametrize("dtype", ["float32", Float64()], ids=["float32", "float64"])
@pytest.mark.parametrize("device", ["cpu", "cuda:0"])
@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_forward(layer, device, dtype, conformance_record):
    # FAKE_GPU=1 plays the GPU machine of a sharded CI run: CUDA present, CPU not tested.
    if device.startswith("cuda") != (os.environ.get("FAKE_GPU") == "1"):
        pytest.skip(f"not present: {{device}} is not on this machine")
    conformance_record["examples"] += 5
    if layer.name == "Conv2d" and str(dtype) == "torch.float64" and device == "cpu":
        conformance_record["failure"] = {{
            "message": "forward differs from the reference",
            "example": "Conv2d(3, 4, kernel_size=3, padding='same'), input (1, 3, 5, 5)",
            "max_abs_error": 0.5, "max_rel_error": float("inf"), "index": (0, 1, 2, 3),
            "repro": REPRO,
        }}
        raise AssertionError("forward differs from the reference")
"""
)

TEST_SHAPE = """
import pytest

@pytest.mark.parametrize("device", ["cpu"])
@pytest.mark.parametrize("layer", ["Linear", "Conv2d"])
def test_shape(layer, device, conformance_record):
    conformance_record["examples"] = 7
    if layer == "Conv2d":
        pytest.skip("padding_mode='circular' needs a newer torch")
"""

TEST_INIT = """
import pytest

@pytest.mark.parametrize("layer", ["Linear", "Conv2d"])
@pytest.mark.xfail(strict=True, reason="known torch bug 12345")
def test_init(layer):
    assert layer == "Conv2d", "bug reproduced"
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
def test_gradients(layer, width, conformance_record):
    conformance_record["examples"] += 1
    assert width < 10, "gradient differs from the VJP"
"""

TEST_CLAIMS = """
import pytest

@pytest.mark.parametrize("layer", ["LeNet5"])
def test_models(layer, conformance_record, chapter_claim_record):
    conformance_record["property"] = "chapter-models"
    chapter_claim_record("lenet5-params", "LeNet5 has 61,706 parameters")
    chapter_claim_record("lenet5-layers", "LeNet5 has 5 layers with weights", outcome="failed")

def test_claim_without_layer(conformance_record):
    conformance_record["claims"] = [{"id": "sequential-index", "claim": "Sequential supports [i]"}]
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
    ("Conv2d", "shape", "cpu", "-"): "skipped",
    ("Linear", "init", "-", "-"): "xfailed",
    ("Conv2d", "init", "-", "-"): "failed",
    ("Linear", "errors", "-", "-"): "failed",
    # test_errors_setup lives in test_errors.py: one file per property, so it is "errors".
    ("Conv2d", "errors", "-", "-"): "error",
    ("Linear", "gradients", "-", "-"): "failed",
    ("LeNet5", "chapter-models", "-", "-"): "passed",
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
