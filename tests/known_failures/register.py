"""The register: every known failure, found in known_failures/layers/ like spec/layers/.

Adding a known failure is adding an entry to its layer's module (or the module, with an
`ENTRIES` tuple): nothing else. A property leaves out exactly the drawn cases an
applicable entry covers, with one call, `carve_out(check, where)`.

Entries are facts about torch. They judge a run of torch.nn only, and only while the run
honours them: under `--ignore-known-failures` (a raw verdict) or another implementation
(`--impl`), none of torch's entries carves anything out and none of their strict xfails
runs, except that under `--impl` they still carve on the layers the implementation
answers with torch.nn's own class (Honoured.torch_layers). Another implementation may
keep its own, in the same typed form, in a file of its own (`--impl-known FILE`, a Python
file with a tuple ENTRIES): those then judge its run.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

from tests import corners, kernel_sets, left_out
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


# The variable naming an implementation's own entries file, so that a child process (a
# repro run in isolation) finds them too.
IMPL_KNOWN_VARIABLE = "NNCONFORM_IMPL_KNOWN"


def load_entries(path: str) -> tuple[KnownFailure, ...]:
    """ENTRIES of an implementation's known-failures file (ValueError when it has none)."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entries = tuple(getattr(module, "ENTRIES", ()))
    if not all(isinstance(entry, KnownFailure) for entry in entries) or not entries:
        raise ValueError(f"{path}: ENTRIES must be a non-empty tuple of KnownFailure")
    return entries


@dataclass
class Honoured:
    """Which entries this run's judgement honours (torch's, an implementation's own, or
    none), and why not torch's."""

    honoured: bool = True
    because: str = ""
    entries: tuple[KnownFailure, ...] = field(default=KNOWN_FAILURES)
    # Layers an implementation answers with torch.nn's own class (a name it leaves to
    # torch): torch's entries are facts about that very class, so they carve its cases
    # out there too (their repros are torch's run's to run, not the implementation's).
    torch_layers: frozenset[str] = frozenset()


HONOURED = Honoured()


def honour(
    honoured: bool,
    because: str = "",
    entries: tuple[KnownFailure, ...] | None = None,
    torch_layers: frozenset[str] = frozenset(),
) -> None:
    """Set, for this process, which known failures carve cases out and xfail (the plugin):
    torch's, or (`entries`) an implementation's own, plus torch's on `torch_layers`."""
    HONOURED.honoured, HONOURED.because = honoured, because
    HONOURED.entries = KNOWN_FAILURES if entries is None else entries
    HONOURED.torch_layers = torch_layers


def active() -> tuple[KnownFailure, ...]:
    """The entries whose strict xfails this run runs: torch's, an implementation's own
    (which run even where torch's are not honoured), or none."""
    if HONOURED.entries is not KNOWN_FAILURES:
        return HONOURED.entries
    return KNOWN_FAILURES


def entry_named(entry_id: str) -> KnownFailure:
    """An entry by id, torch's or (in a child process too) the implementation's own."""
    if entry_id in BY_ID:
        return BY_ID[entry_id]
    own = os.environ.get(IMPL_KNOWN_VARIABLE)
    for entry in load_entries(own) if own else ():
        if entry.id == entry_id:
            return entry
    raise KeyError(entry_id)


def covering(check: Check, where: Where) -> list[KnownFailure]:
    """Every known failure that breaks `check` for `where` in this process."""
    entries = HONOURED.entries if HONOURED.honoured else ()
    found = _of_layer(entries, where.layer)
    if where.layer in HONOURED.torch_layers and entries is not KNOWN_FAILURES:
        found = [*found, *_of_layer(KNOWN_FAILURES, where.layer)]
    candidates = [k for k in found if check in k.checks]
    if not candidates:
        return []
    kernel_set = kernel_sets.current()  # read once for all of them
    return [known for known in candidates if known.applies(where, kernel_set)]


# Each tuple of entries by layer, built once: most entries are another layer's, and every
# drawn case asks (scanning them all was two percent of a run's time). The key is the
# tuple's id; the value holds the tuple, so the id stays its own.
_BY_LAYER: dict[int, tuple[tuple[KnownFailure, ...], dict[str, list[KnownFailure]]]] = {}


def _of_layer(entries: tuple[KnownFailure, ...], layer: str) -> list[KnownFailure]:
    held = _BY_LAYER.get(id(entries))
    if held is None or held[0] is not entries:
        index: dict[str, list[KnownFailure]] = {}
        for known in entries:
            index.setdefault(known.layer, []).append(known)
        held = _BY_LAYER[id(entries)] = (entries, index)
    return held[1].get(layer, [])


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
    # A recorded crash ends the process whatever the property asks of the call.
    for asked in dict.fromkeys((Check.SURVIVES, check)):
        known = known_failure(asked, where)
        if known is not None:
            _leave_out(known, asked)


def carve_out_quantities(check: Check, where: Where) -> frozenset[str]:
    """`carve_out` for a property that compares several quantities of one case (the
    output, each gradient): an entry that names the quantities it breaks
    (KnownFailure.quantities) leaves only those unjudged, and they are returned; an entry
    that names none leaves the whole case out. So one recorded bug of a case does not
    hide another in the same case (a wrong forward and a NaN gradient of constant rows).
    """
    carve_out(Check.SURVIVES, where)  # a recorded crash: no quantity survives it
    found = covering(check, where)
    for known in found:
        if not known.quantities:
            _leave_out(known, check)
    return frozenset(quantity for known in found for quantity in known.quantities)


def _leave_out(known: KnownFailure, check: Check) -> None:
    left_out.running().known_failures[known.id] += 1
    corners.leave_out(f"known torch failure {known.id} ({check.value})")
