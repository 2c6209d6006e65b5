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

from report.interface import NONE, SUB_DIMENSIONS

DEFAULT_IMPL = "torch.nn"
EXAMPLE_DB_OPTION = "--example-db"


def _asked(run: dict[str, Any], option: str) -> bool:
    """Whether the run's command line gave `option` (as `--opt v` or `--opt=v`)."""
    return any(a == option or a.startswith(option + "=") for a in run.get("args") or [])


def command(result: dict[str, Any], run: dict[str, Any]) -> str:
    """`pytest '<nodeid>' --hypothesis-profile=ci --hypothesis-seed=N ...` for this cell."""
    words = ["pytest", result["nodeid"]]
    if run.get("profile"):
        words.append(f"--hypothesis-profile={run['profile']}")
    if run.get("seed") is not None and not run.get("example_db"):
        words.append(f"--hypothesis-seed={run['seed']}")
    impl = run.get("impl")
    if impl and impl not in (DEFAULT_IMPL, "(not declared)"):
        words += ["--impl", str(impl)]
    # Which known failures carve out cases decides what the cell judges: a run that judged
    # everything, or forgot an entry, replays as such, or its replay passes.
    if run.get("known_failures_ignored"):
        words.append("--ignore-known-failures")
    if run.get("known_failures_forgotten"):
        words.append(f"--forget-known-failure={','.join(run['known_failures_forgotten'])}")
    if run.get("impl_known"):
        words += ["--impl-known", str(run["impl_known"])]
    for dim in SUB_DIMENSIONS:
        value = result.get(dim.name, NONE)
        if value == NONE:
            continue
        # The device and dtype are always named: the test id holds them, so the replay's
        # run must offer them (a run's default lists may differ on the replaying machine).
        # A path or kernel set is named when the run chose it (its option, several values,
        # or not the usual one): both are set per process; native and eager need no option.
        chosen = _asked(run, dim.option) or len(run.get(dim.run_key) or []) > 1
        unusual = dim.usual is not None and value != dim.usual
        if dim.always_named or chosen or unusual:
            words += [dim.option, value]
    if run.get("example_db"):
        # The failing example comes from the shared database (the run was not seeded:
        # Hypothesis consults no database under a fixed seed). One word: a separate folder
        # argument could be taken for a test path before conftest.py declares the option.
        words.append(f"{EXAMPLE_DB_OPTION}={run['example_db']}")
    # A replay must not overwrite the run's own report.
    words.append("--no-report")
    # An implementation that imported only with a folder on the path needs it again.
    pythonpath = (run.get("impl_details") or {}).get("pythonpath")
    prefix = f"PYTHONPATH={shlex.quote(pythonpath)} " if pythonpath else ""
    return prefix + shlex.join(words)
