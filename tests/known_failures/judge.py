"""Judging one known failure: run its repro where it applies, and say what that shows.

A repro that fails is the bug, still there (an expected failure). One that passes where the
bug was observed means torch is fixed: the entry must go (a failure that says so). One
that passes where nobody observed the bug (a kernel set, device or older release the
project's machines lack) is "not-reproduced": reported with its scope, never red.
"""

from __future__ import annotations

import subprocess

import torch

from report.interface import Failure, known_failure, known_failure_fixed, not_run
from tests import kernel_sets
from tests.assertions import violated
from tests.cases import UNSUPPORTED_DTYPE, unsupported_if_no_kernel
from tests.child import CHILD_TIMEOUT_S, run_python
from tests.known_failures.entry import Check, KnownFailure
from tests.known_failures.register import HONOURED
from tests.paths import by_name

# Heap corruption crashes by chance: a crash repro that once ran clean inside a busy
# tox run (30 of 30 standalone runs crashed) must run clean this many times in a row
# before the entry is called fixed. On an Intel Xeon with AMX the AVX2 1x1 repro ran clean
# in 4 of 23 fresh processes on compile:aot_eager (the heap's layout, not the call count,
# decides: 3000 calls missed as often as 300), so three clean runs in a row would still
# happen about once in 200 judgements; five, about once in 7,000.
CLEAN_RUNS_TO_CALL_A_CRASH_FIXED = 5

# A crash repro loops a call a few hundred times and ends in seconds. A corrupted heap can
# leave a lock taken, and then the process never ends: one of 36 fresh processes of the
# bfloat16 1x1 repro hung on 2.14.1. That hang is the bug, seen; the wait is kept short.
CRASH_REPRO_TIMEOUT_S = 90


def reproduce_in_child(known: KnownFailure, kernel_set: str | None, path: str) -> str | None:
    """Run the repro in a fresh interpreter; what went wrong, or None if it passed."""
    environment = {}
    if kernel_set is not None:
        environment = kernel_sets.KERNEL_SETS[kernel_set].environment()
    code = (
        "from tests.known_failures.register import entry_named; "
        f"entry_named({known.id!r}).run({path!r})"
    )
    crash = Check.SURVIVES in known.checks
    try:
        child = run_python(code, environment, CRASH_REPRO_TIMEOUT_S if crash else CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired as hang:
        if crash:
            return f"the process hung for {hang.timeout:g} s"
        raise violated(f"{known.id}: the repro hung for {hang.timeout:g} s") from hang
    if child.returncode == 0:
        return None
    if child.returncode < 0:
        return f"the process died with signal {-child.returncode}"
    lines = child.stderr.strip().splitlines()
    # The exception line of the traceback (its message may span lines after it).
    raised = next((line for line in lines if line.startswith("AssertionError")), None)
    if raised is None:
        last = lines[-1] if lines else f"exit status {child.returncode}"
        if UNSUPPORTED_DTYPE in last:
            # The release has no kernel for the dtype the bug lives in: nothing to judge.
            not_run("unsupported", f"{known.id}: {last}")
        raise violated(f"{known.id}: the repro could not run: {last}")
    return raised


def _in_process(known: KnownFailure, path: str) -> str | None:
    try:
        known.run(path)
    except AssertionError as error:
        return f"AssertionError: {error}"
    except Exception as error:
        unsupported_if_no_kernel(error, known.id)
        raise
    return None


def reproduce(known: KnownFailure, kernel_set: str | None, path: str) -> str | None:
    """What the repro saw go wrong under `kernel_set` (None: this process's), or None; a
    crash repro counts as passing only after it ran clean in fresh processes in a row."""
    # A repro under a backend switch sets process state: a child of its own keeps it.
    isolated = known.isolate or kernel_set is not None or known.switches is not None
    seen = reproduce_in_child(known, kernel_set, path) if isolated else _in_process(known, path)
    if seen is None and Check.SURVIVES in known.checks:
        for _ in range(CLEAN_RUNS_TO_CALL_A_CRASH_FIXED - 1):
            seen = reproduce_in_child(known, kernel_set, path)
            if seen is not None:
                break
    return seen


def _checks(known: KnownFailure) -> str:
    return ", ".join(sorted(check.value for check in known.checks))


def _kernel_sets_to_run(known: KnownFailure) -> list[str | None]:
    """The kernel sets to reproduce under (None: this process's own, for any-set entries)."""
    if known.kernel_sets is None:
        return [None]
    supported = [name for name in known.kernel_sets if name in kernel_sets.supported()]
    if not supported:
        not_run(
            "not-applicable",
            f"{known.id} is in kernel sets {', '.join(known.kernel_sets)}; "
            f"this CPU runs {', '.join(kernel_sets.supported())}",
        )
    return supported


def _repro_device(known: KnownFailure) -> str:
    """Where the repro runs: the CPU for an entry that covers it (its repro is a CPU
    one), else the entry's accelerator (an entry observed on CUDA alone)."""
    return "cpu" if "cpu" in known.devices else known.devices[0]


def judge(
    known: KnownFailure,
    path: str,
    tested: list[str],
    release: str | None = None,
    dtypes: list[str] | None = None,
    devices: list[str] | None = None,
    switches: list[str] | None = None,
) -> None:
    """End the cell of `known` on `path` by what its repro shows (always raises); `tested`,
    `dtypes`, `devices` and `switches` are the run's paths, dtypes, devices and backend
    switches (None: every one)."""
    release = release or torch.__version__
    if not HONOURED.honoured:
        not_run("not-applicable", f"{known.id}: {HONOURED.because}")
    if path not in tested:
        not_run("not-applicable", f"{known.id} is on path {path}; this run tests {tested}")
    if dtypes is not None and not set(known.dtypes) & set(dtypes):
        # A run of other dtypes (CI's float32 smoke of the compiling paths) meets none of
        # the entry's cases: its repro would only spend the run's time.
        not_run(
            "not-applicable",
            f"{known.id} is in {', '.join(known.dtypes)}; this run tests {', '.join(dtypes)}",
        )
    if (
        known.switches is not None
        and switches is not None
        and not set(known.switches) & set(switches)
    ):
        not_run(
            "not-applicable",
            f"{known.id} is under --switch {', '.join(known.switches)}; "
            f"this run tests {', '.join(switches)}",
        )
    device = _repro_device(known)
    if devices is not None and device not in {d.partition(":")[0] for d in devices}:
        not_run("not-applicable", f"{known.id} is on {device}; this run tests {devices}")
    if device == "cuda" and not torch.cuda.is_available():
        not_run("not-present", f"{known.id} is on cuda (torch.cuda.is_available() is False)")
    if by_name(path).missing():
        not_run("not-applicable", f"{path}: {by_name(path).missing()}")
    if not known.in_release(release):
        not_run("not-applicable", f"{known.id} applies to torch {known.releases}")
    repro = known.source(path)
    reproduced, unobserved = [], []
    for kernel_set in _kernel_sets_to_run(known):
        where = f" under kernel set {kernel_set}" if kernel_set else ""
        seen = reproduce(known, kernel_set, path)
        if seen is not None:
            reproduced.append(f"{seen}{where}")
        elif known.observed.covers(release, kernel_set, device):
            known_failure_fixed(
                Failure(
                    message=(
                        f"{known.id} no longer reproduces{where} on torch "
                        f"{release}: torch is fixed, remove the entry (and its "
                        f"carve-out) from tests/known_failures/ ({known.observed.describe()})"
                    ),
                    example=f"upstream: {known.upstream}",
                    repro=repro,
                )
            )
        else:
            unobserved.append(kernel_set or kernel_sets.current())
    if not reproduced:
        reason = (
            f"{known.id} did not reproduce on torch {release}, kernel set "
            f"{', '.join(unobserved)}: it was recorded for {known.observed.describe()}"
        )
        upstream = f"upstream: {known.upstream}"
        not_run("not-reproduced", reason, Failure(reason, upstream, repro=repro))
    also = ""
    if unobserved:
        also = f"; not reproduced (never observed there) on {', '.join(unobserved)}"
    details = Failure(
        message=f"{known.summary}; breaks: {_checks(known)}; seen: {'; '.join(reproduced)}{also}",
        example=f"upstream: {known.upstream}",
        repro=repro,
    )
    known_failure(f"{known.summary} ({known.upstream})", details)
