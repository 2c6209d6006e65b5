"""The outcomes a conformance cell can have, how bad each is, and how each is drawn."""

# Ordered from least to most alarming. When several results land on one matrix cell
# (a merged report: the same cell run on two machines) the cell shows the worst.
# "not-present" ranks lowest because it says nothing about torch: the device was absent.
# "skipped" outranks "passed" so a cell that one machine could not run stays visible.
SEVERITY = ("not-present", "passed", "skipped", "xfailed", "xpassed", "error", "failed")

OUTCOMES = frozenset(SEVERITY)

# Outcomes that mean torch (or the suite) did not do what the chapter says.
BAD = frozenset({"failed", "error"})

SYMBOL = {
    "passed": "✅",
    "failed": "❌",
    "error": "💥",
    "xfailed": "⚠",
    "xpassed": "⁉",
    "skipped": "⏭",
    "not-present": "—",
}
NOT_RUN_SYMBOL = "·"

MEANING = {
    "passed": "passed",
    "failed": "failed: torch disagrees with the reference",
    "error": "error: the test could not run (setup or teardown failed)",
    "xfailed": "expected failure: a known torch bug, still present",
    "xpassed": "a known torch bug did not reproduce (non-strict xfail)",
    "skipped": "skipped (see the reason)",
    "not-present": "device not present on this machine",
}


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
