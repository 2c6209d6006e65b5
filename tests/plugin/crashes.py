"""A crash is an outcome: the flight recorder names the example a dead worker was running,
and the controller replays it in a child process and reports the cell "crashed"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from report import interface
from tests import flight_recorder, kernel_sets

ROOT = Path(__file__).resolve().parents[2]


def pytest_runtest_setup(item: pytest.Item) -> None:
    cell = interface.declared(item).cell
    kernel_set = kernel_sets.KERNEL_SETS.get(kernel_sets.current())
    environment = kernel_set.environment() if os.environ.get(kernel_sets.SET_VARIABLE) else {}
    flight_recorder.start_test(item.nodeid, cell.as_dict() if cell else None, environment)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    flight_recorder.end_test()


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report: pytest.TestReport, sched: object) -> None:
    """A worker died running `crashitem`: report its cell as crashed, with the example."""
    worker = getattr(getattr(getattr(report, "node", None), "gateway", None), "id", None)
    recorded = flight_recorder.last_recorded(worker) if worker else None
    if not recorded or recorded.get("nodeid") != crashitem or not recorded.get("cell"):
        return  # nothing recorded for this test: xdist's own "worker crashed" stands
    repro = recorded.get("repro") or ""
    hung = flight_recorder.hung(worker)
    # A repro of a hang waits no longer than the worker did, nor than a crash's replay.
    limit = flight_recorder.hang_limit()
    timeout_s = flight_recorder.REPLAY_TIMEOUT_S
    if hung:
        timeout_s = min(limit, timeout_s)
    replayed = (
        flight_recorder.replay(repro, recorded.get("environment") or {}, ROOT, timeout_s)
        if repro
        else "no repro recorded"
    )
    if hung:
        how = f"the process hung running this example and was stopped after {limit:g} s"
    else:
        how = f"the process died running this example ({report.longreprtext})"
    message = f"{how}; {replayed}"
    failure = interface.Failure(
        message=message,
        example=recorded.get("example", ""),
        repro=repro,
        not_minimal="the process died on it, and a crash is reported as found",
    )
    interface.mark_crashed(report, interface.Cell(**recorded["cell"]), message, failure)
