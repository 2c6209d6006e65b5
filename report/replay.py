"""The one-line command that replays one cell of a run alone.

Hypothesis draws a test's examples from the run's seed and the profile's example budget
alone (every test gets its own Random(seed)), so the test by itself, under the same seed,
profile and options, draws the same examples the whole run drew for it. Everything here
comes from the run's declared settings and the result's own cell; nothing is parsed out of
test names.
"""

from __future__ import annotations

import shlex
from typing import Any

from report.interface import NONE

DEFAULT_IMPL = "torch.nn"
# Option that narrows each dimension of a cell, and the run field that lists its values.
OPTIONS = (("device", "--device", "devices"), ("dtype", "--dtype", "dtypes"))
ISA_OPTION = "--cpu-isa"
EXAMPLE_DB_OPTION = "--example-db"


def _asked(run: dict[str, Any], option: str) -> bool:
    """Whether the run's command line gave `option` (as `--opt v` or `--opt=v`)."""
    return any(a == option or a.startswith(option + "=") for a in run.get("args") or [])


def command(result: dict[str, Any], run: dict[str, Any]) -> str:
    """`pytest '<nodeid>' --hypothesis-profile=ci --hypothesis-seed=N ...` for this cell."""
    words = ["pytest", result["nodeid"]]
    if run.get("profile"):
        words.append(f"--hypothesis-profile={run['profile']}")
    if run.get("seed") is not None:
        words.append(f"--hypothesis-seed={run['seed']}")
    impl = run.get("impl")
    if impl and impl not in (DEFAULT_IMPL, "(not declared)"):
        words += ["--impl", str(impl)]
    for dim, option, _ in OPTIONS:
        value = result.get(dim, NONE)
        if value != NONE:
            words += [option, value]
    isa = result.get("isa", NONE)
    # The kernel set is a property of the process: name it when the run chose one, so the
    # replay caps torch's CPU kernels the same way (native needs no option).
    if isa != NONE and (_asked(run, ISA_OPTION) or len(run.get("isas") or []) > 1):
        words += [ISA_OPTION, isa]
    if run.get("example_db"):
        # The failing example may have come from the shared database, not from the seed.
        # One word: a separate folder argument could be taken for a test path by pytest
        # before conftest.py declares the option.
        words.append(f"{EXAMPLE_DB_OPTION}={run['example_db']}")
    # A replay must not overwrite the run's own report.
    words.append("--no-report")
    return shlex.join(words)
