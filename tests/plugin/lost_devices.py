"""A device whose context this worker lost: the test that lost it fails, and the later
cells of that device on this worker say why they did not run.

A device-side assertion on CUDA (an index out of range inside a kernel) leaves the
process's CUDA context unusable: every later CUDA call raises. The second CUDA run lost
one worker that way and reported 76 later failures that said nothing about torch. The
suite now reports the one failure, and each later CUDA cell of that worker as not run,
naming the test during which the context was lost (rerun to judge them).
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
import torch

from report import interface
from tests.device_assert import DEVICE_ASSERT, asserts_on_device

# Device type -> the test during which this process lost that device's context.
_lost: dict[str, str] = {}


def _device_type(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    device = params.get("device")
    return device.partition(":")[0] if isinstance(device, str) else None


def context_lost(device_type: str) -> bool:
    """Whether this process can no longer compute on `device_type` (a tiny call raises)."""
    try:
        torch.ones(1, device=device_type).add_(1).item()
    except RuntimeError:
        return True
    return False


def pytest_sessionstart(session: pytest.Session) -> None:
    _lost.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    lost_during = _lost.get(_device_type(item) or "")
    if lost_during:
        interface.not_run(
            "not-present",
            f"this worker's {_device_type(item)} context was lost to a device-side assert "
            f"during {lost_during} (reported there); rerun to judge this cell",
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    device = _device_type(item)
    # The whole report text: the assert may surface as the cause of another exception.
    # A child's assert (the errors property's) leaves this process's context alone, so
    # only a context that a tiny call now finds unusable counts as lost.
    if device is None or not report.failed or device in _lost or not asserts_on_device(device):
        return report
    if DEVICE_ASSERT in report.longreprtext and context_lost(device):
        _lost[device] = item.nodeid
    return report
