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
# The cell's device and dtype are always named: the test id holds them, so the replay's
# run must offer them (a run's default lists may differ on the replaying machine).
ALWAYS = (("device", "--device"), ("dtype", "--dtype"))
# Named when the run chose them (or ran several, or not the default): the path runs the
# test through torch.compile or export, the kernel set caps torch's CPU kernels, and both
# are set per process; native and eager need no option.
CHOSEN = (("path", "--path", "paths", "eager"), ("isa", "--cpu-isa", "isas", None))
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
    for dim, option in ALWAYS:
        value = result.get(dim, NONE)
        if value != NONE:
            words += [option, value]
    for dim, option, field, default in CHOSEN:
        value = result.get(dim, NONE)
        chosen = _asked(run, option) or len(run.get(field) or []) > 1
        if value != NONE and (chosen or (default is not None and value != default)):
            words += [option, value]
    if run.get("example_db"):
        # The failing example comes from the shared database (the run was not seeded:
        # Hypothesis consults no database under a fixed seed). One word: a separate folder
        # argument could be taken for a test path before conftest.py declares the option.
        words.append(f"{EXAMPLE_DB_OPTION}={run['example_db']}")
    # A replay must not overwrite the run's own report.
    words.append("--no-report")
    return shlex.join(words)
