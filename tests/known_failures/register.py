"""The register: every known failure, found in known_failures/layers/ like spec/layers/.

Adding a known failure is adding an entry to its layer's module (or the module, with an
`ENTRIES` tuple): nothing else. A property leaves out exactly the drawn cases an
applicable entry covers, with one call, `carve_out(check, where)`.

Entries are facts about torch. They judge a run of torch.nn only, and only while the run
honours them: under `--ignore-known-failures` (a raw verdict) or another implementation
(`--impl`), no entry carves anything out and no strict xfail runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from tests import corners, left_out
from tests.known_failures import layers
from tests.known_failures.entry import Check, KnownFailure, Where


def _discover() -> tuple[KnownFailure, ...]:
    found: list[KnownFailure] = []
    for info in sorted(pkgutil.iter_modules(layers.__path__), key=lambda i: i.name):
        found += importlib.import_module(f"{layers.__name__}.{info.name}").ENTRIES
    return tuple(found)


KNOWN_FAILURES: tuple[KnownFailure, ...] = _discover()
BY_ID: dict[str, KnownFailure] = {known.id: known for known in KNOWN_FAILURES}
if len(BY_ID) != len(KNOWN_FAILURES):
    raise ValueError("two known failures share an id")


@dataclass
class Honoured:
    """Whether this run's judgement honours the register, and why not."""

    honoured: bool = True
    because: str = ""


HONOURED = Honoured()


def honour(honoured: bool, because: str = "") -> None:
    """Set, for this process, whether known failures carve cases out and xfail (the plugin)."""
    HONOURED.honoured, HONOURED.because = honoured, because


def covering(check: Check, where: Where) -> list[KnownFailure]:
    """Every known failure that breaks `check` for `where` in this process."""
    if not HONOURED.honoured:
        return []
    return [known for known in KNOWN_FAILURES if check in known.checks and known.applies(where)]


def known_failure(check: Check, where: Where) -> KnownFailure | None:
    """The known failure that breaks `check` for `where` in this process, if any."""
    found = covering(check, where)
    return found[0] if found else None


def carve_out(check: Check, where: Where) -> None:
    """Leave out a drawn case a known failure covers: the one way a property skips a case.

    The case is rejected (Hypothesis draws another), so the rest of the domain stays under
    test; the bug itself stays visible through its strict xfail and the report. A cell
    whose every case is left out ends as a known failure (tests/plugin/left_out_cells.py).
    """
    known = known_failure(check, where)
    if known is not None:
        left_out.running().known_failures[known.id] += 1
        corners.leave_out(f"known torch failure {known.id} ({check.value})")
