"""A worker that loses its CUDA context to a device-side assert reports that one failure;
its later CUDA cells say they did not run, and why; its CPU cells still run. A failure
that only mentions a device-side assert (a child's, in the errors property) loses
nothing. (A CPU machine cannot lose a CUDA context: the probe of it is stubbed.)"""

import pytest

from tests.plugin import lost_devices

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]

TESTS = """
import pytest

@pytest.mark.parametrize("layer", ["Linear", "Conv2d", "Tanh"])
@pytest.mark.parametrize("device", ["cuda:0", "cpu"])
def test_forward(device, layer):
    if device == "cuda:0" and layer == "Linear":
        raise RuntimeError("CUDA error: device-side assert triggered")
"""


def run(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makepyfile(test_cells=TESTS)
    pytester.syspathinsert(REPO)
    return pytester.runpytest("-p", "tests.plugin.lost_devices", "-p", "no:cacheprovider", "-rs")


def test_later_cells_of_a_lost_device_say_why_they_did_not_run(pytester, monkeypatch):
    monkeypatch.setattr(lost_devices, "context_lost", lambda device_type: True)
    result = run(pytester)
    result.assert_outcomes(failed=1, skipped=2, passed=3)
    result.stdout.fnmatch_lines(
        ["*not-present: this worker's cuda context was lost to a device-side assert during "
         "test_cells.py::test_forward[[]cuda:0-Linear[]]*"]
    )  # fmt: skip


def test_a_usable_context_is_not_lost(pytester, monkeypatch):
    monkeypatch.setattr(lost_devices, "context_lost", lambda device_type: False)
    run(pytester).assert_outcomes(failed=1, passed=5)
