"""The outcomes a conformance cell can have: the one table of how bad each is, what it
means, and how it is drawn. Every other list of outcomes (the interface's not-run
reasons, the HTML colours, the schema's enum, checked by a selftest) derives from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    name: str
    symbol: str  # a plain-text mark: the report reads the same without emoji fonts
    meaning: str
    colour: str  # the HTML status box's background
    # Did not run, for a reason that says nothing about torch (ranked lowest).
    not_run: bool = False
    # torch (or the suite) did not do what the chapter says.
    bad: bool = False


_NOT_RUN_COLOUR = "#cfd8dc"

# Ordered from least to most alarming. When several results land on one matrix cell
# (a merged report: the same cell run on two machines) the cell shows the worst.
# The not-run outcomes rank lowest because they say nothing about torch: the device was
# absent, the check does not apply, the release or the implementation lacks the feature,
# or a recorded bug did not reproduce where nobody ever saw it.
# "skipped" outranks "passed" so a cell that one machine could not run stays visible;
# "crashed" is the worst: the process died, and whatever else it would have checked.
TABLE: tuple[Outcome, ...] = (
    Outcome("not-present", "--", "device not present on this machine", _NOT_RUN_COLOUR, True),
    Outcome(
        "not-applicable",
        "n/a",
        "not applicable here (path, CPU or release lacks what it checks)",
        _NOT_RUN_COLOUR,
        True,
    ),
    Outcome(
        "not-in-release",
        "rel",
        "not in this release: the torch under test predates the feature",
        _NOT_RUN_COLOUR,
        True,
    ),
    Outcome(
        "not-provided",
        "np",
        "not provided by the implementation under test",
        _NOT_RUN_COLOUR,
        True,
    ),
    Outcome(
        "not-reproduced",
        "nr",
        "not reproduced here: a recorded bug, never observed in this release, kernel set or "
        "device, did not reproduce (its repro is listed with the scope it was recorded for)",
        _NOT_RUN_COLOUR,
        True,
    ),
    Outcome(
        "unsupported",
        "uns",
        "unsupported: torch has no kernel for this dtype here",
        "#b0bec5",
        True,
    ),
    Outcome("passed", "ok", "passed", "#2e7d32"),
    Outcome("skipped", "skip", "skipped (see the reason)", "#78909c"),
    Outcome("xfailed", "xf", "known failure: a recorded torch bug, still present", "#ef6c00"),
    Outcome("xpassed", "XP", "a known torch bug did not reproduce (non-strict xfail)", "#f9a825"),
    Outcome(
        "error",
        "ERR",
        "error: the test could not run (setup or teardown failed)",
        "#6a1b9a",
        bad=True,
    ),
    Outcome("failed", "FAIL", "failed: torch disagrees with the reference", "#c62828", bad=True),
    Outcome(
        "crashed",
        "CRASH",
        "crashed: the process died running an example (its repro is listed)",
        "#4a148c",
        bad=True,
    ),
)

SEVERITY = tuple(outcome.name for outcome in TABLE)
OUTCOMES = frozenset(SEVERITY)
BAD = frozenset(outcome.name for outcome in TABLE if outcome.bad)
NOT_RUN = frozenset(outcome.name for outcome in TABLE if outcome.not_run)
SYMBOL = {outcome.name: outcome.symbol for outcome in TABLE}
MEANING = {outcome.name: outcome.meaning for outcome in TABLE}
COLOUR = {outcome.name: outcome.colour for outcome in TABLE}
# The mark of a matrix position with no result at all.
NOT_RUN_SYMBOL = "."


def worst(outcomes: list[str]) -> str:
    """The most alarming of several outcomes of one cell."""
    return max(outcomes, key=SEVERITY.index)


def counts(outcomes: list[str]) -> dict[str, int]:
    """A count for every outcome, zeros included, in severity order (worst first)."""
    tally = dict.fromkeys(reversed(SEVERITY), 0)
    for outcome in outcomes:
        tally[outcome] += 1
    return tally


def rollup(tally: dict[str, int]) -> str:
    """`3 passed, 1 failed`: the non-zero counts, worst first."""
    parts = [f"{n} {outcome}" for outcome, n in tally.items() if n]
    return ", ".join(parts) if parts else "nothing ran"
