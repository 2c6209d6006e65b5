"""A flight recorder: the example each worker is running, on disk, so a crash can name it.

A segfault inside torch ends the process at once: no exception, no Hypothesis report.
Before each example runs, the harness writes what it is about to run (the test, its
cell, the drawn configuration and a self-contained repro script) to a small file, one
per worker process, with a plain write() that survives the process dying. When xdist
reports a crashed worker, the controller (tests/plugin/crashes.py) reads that worker's file, replays
the repro in a child process to confirm the crash, and reports the cell as "crashed"
with its example and repro: the run goes on with a fresh worker.
"""

from __future__ import annotations

import faulthandler
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from report import interface

# The directory of the recorder's files, set by the controller before workers start.
DIRECTORY_VARIABLE = "NNCONFORM_FLIGHT_DIR"
# A crash repro loops until it crashes; a hung child is reported, not waited for.
REPLAY_TIMEOUT_S = 120
# A worker that records no new example for this long is hung, and is stopped so the run
# goes on: a corrupted heap can leave glibc's arena lock taken, and the next free() then
# waits forever while holding the GIL (MaxPool1d's empty-window backward, seen by the
# rediscovery bench), so no Python thread could notice. faulthandler's watchdog is a C
# thread: it writes every thread's traceback to the worker's .hang file and ends the
# process, which xdist reports as a crash. Every record() restarts the clock; the longest
# legitimate stretch between two (a compile, a sweep configuration at the lowest kernel
# set) is well under a minute on 2 cores. The variable sets another limit, in seconds.
HANG_LIMIT_VARIABLE = "NNCONFORM_HANG_LIMIT_S"
DEFAULT_HANG_LIMIT_S = 600.0
_hang_file: list[Any] = []

_current: dict[str, Any] = {}
# The directories this process created, each with the variable's value before it: a run
# started inside another (a selftest running the suite) records apart from its parent's
# workers, whose names (gw0, gw1, ...) its own workers share, and hands the value back.
_created: list[tuple[Path, str | None]] = []


def open_recorder() -> Path:
    """A new directory for this run's recordings (made by the controller, before workers)."""
    directory = Path(tempfile.mkdtemp(prefix="nnconform-flight-"))
    _created.append((directory, os.environ.get(DIRECTORY_VARIABLE)))
    os.environ[DIRECTORY_VARIABLE] = str(directory)
    return directory


def close_recorder() -> None:
    """Remove the directories open_recorder() made (the run is over: nothing to replay)."""
    while _created:
        directory, before = _created.pop()
        shutil.rmtree(directory, ignore_errors=True)
        if before is None:
            os.environ.pop(DIRECTORY_VARIABLE, None)
        else:
            os.environ[DIRECTORY_VARIABLE] = before


def _path(worker: str, suffix: str = ".json") -> Path | None:
    directory = os.environ.get(DIRECTORY_VARIABLE)
    return Path(directory) / f"{worker}{suffix}" if directory else None


def hang_limit() -> float:
    """Seconds without a new example after which a worker counts as hung."""
    return float(os.environ.get(HANG_LIMIT_VARIABLE) or DEFAULT_HANG_LIMIT_S)


def _restart_hang_clock(worker: str) -> None:
    if not _hang_file:
        path = _path(worker, ".hang")
        if path is None:
            return
        # Opened once and kept: the watchdog writes to it from C, after Python is stuck.
        _hang_file.append(open(path, "w", encoding="utf-8"))  # noqa: SIM115
    faulthandler.dump_traceback_later(hang_limit(), exit=True, file=_hang_file[0])


def end_test() -> None:
    """The test is over: no example is running, so nothing can hang."""
    faulthandler.cancel_dump_traceback_later()


def hung(worker: str) -> bool:
    """Whether `worker` was stopped by the hang watchdog (its traceback is on disk)."""
    path = _path(worker, ".hang")
    return path is not None and path.exists() and path.stat().st_size > 0


def start_test(nodeid: str, cell: dict[str, str] | None, environment: dict[str, str]) -> None:
    """The test this process starts: every example it records belongs to it."""
    _current.clear()
    _current.update(nodeid=nodeid, cell=cell, environment=environment)
    record("(before the first example)", "")


def record(example: str, repro: str) -> None:
    """What the process is about to run: overwritten by every example."""
    interface.record_example(example, repro)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    path = _path(worker) if worker else None
    if path is None or not _current:
        return
    data = json.dumps({**_current, "example": example, "repro": repro}).encode()
    # One write(2) of the whole record, no Python buffering: it is on disk (in the page
    # cache) the moment this returns, whatever happens to the process next.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except FileNotFoundError:
        # The directory is gone (removed under a running run): a crash then goes
        # unattributed, which is no reason to fail the example itself.
        return
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)
    _restart_hang_clock(worker)


def last_recorded(worker: str) -> dict[str, Any] | None:
    """What `worker` recorded last, if anything."""
    path = _path(worker)
    if path is None or not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def replay(
    repro: str, environment: dict[str, str], cwd: Path, timeout_s: float = REPLAY_TIMEOUT_S
) -> str:
    """Run a repro in a child process; how it ended, in words."""
    env = {**os.environ, **environment}
    env.pop("PYTEST_XDIST_WORKER", None)
    try:
        child = subprocess.run(
            [sys.executable, "-c", repro],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return f"the replay hung for {timeout_s:g} s"
    if child.returncode < 0:
        return f"the replay crashed too (signal {-child.returncode}): the example alone crashes"
    if child.returncode != 0:
        last = (child.stderr.strip().splitlines() or [""])[-1]
        return f"the replay exited with status {child.returncode}: {last}"
    return "the replay ran to the end: the crash needs what ran before it in the worker"
