"""known_failures: each recorded torch bug (tests/known_failures/) still reproduces.

Every entry's repro runs as a strict expected failure where the bug was observed: while
torch is wrong the test is reported "xfailed" with the entry's summary; the day torch is
fixed the repro passes, the test fails ("fixed: remove the entry"), and the carve-out it
makes goes with it. Inside the entry's scope but outside where it was observed (a kernel
set, device or older release nobody here could run), a repro that passes is reported
"not-reproduced", with the scope it was recorded for: it cannot turn a run red there.
An entry scoped to other releases, kernel sets or paths is "not applicable" here. An
entry runs once per execution path it lists, as that path's cell, when the run tests
that path (--path) and one of its dtypes (--dtype). Repros that crash, or that need a
CPU kernel set of their own, run in a child process started with that set's variables
(tests/known_failures/judge.py).
"""

import pytest

from report.interface import declared_run
from tests.known_failures import KnownFailure
from tests.known_failures.judge import judge
from tests.known_failures.register import active

# Not a property: a register of torch bugs. Each strict xfail is its own proof (it
# fails the run the day torch is fixed), so the mutant zoo does not ask for a mutant.
IS_PROPERTY = False
# The repros call torch themselves, on their own path: nothing is needed of the run's.
NEEDS: frozenset = frozenset()


def _param(known: KnownFailure, path: str) -> object:
    # One id per entry on eager (as before paths existed), entry-path elsewhere.
    name = known.id if path == "eager" else f"{known.id}-{path}"
    return pytest.param(known, path, id=name, marks=pytest.mark.row(known.layer))


@pytest.mark.parametrize(("known", "path"), [_param(k, path) for k in active() for path in k.paths])
def test_known_failures(known, path, pytestconfig):
    run = declared_run(pytestconfig)
    tested = run.get("paths") or ["eager"]
    judge(
        known,
        path,
        tested,
        dtypes=run.get("dtypes"),
        devices=run.get("devices"),
        switches=run.get("switches"),
    )
