"""The outcomes a conformance cell can have, how bad each is, and how each is drawn."""

# Ordered from least to most alarming. When several results land on one matrix cell
# (a merged report: the same cell run on two machines) the cell shows the worst.
# The not-run outcomes rank lowest because they say nothing about torch: the device was
# absent, the check does not apply, the release or the implementation lacks the feature.
# "skipped" outranks "passed" so a cell that one machine could not run stays visible;
# "crashed" is the worst: the process died, and whatever else it would have checked.
SEVERITY = (
    "not-present",
    "not-applicable",
    "not-in-release",
    "not-provided",
    "unsupported",
    "passed",
    "skipped",
    "xfailed",
    "xpassed",
    "error",
    "failed",
    "crashed",
)

OUTCOMES = frozenset(SEVERITY)

# Outcomes that mean torch (or the suite) did not do what the chapter says.
BAD = frozenset({"failed", "error", "crashed"})

# Outcomes of cells that did not run for a reason that says nothing about torch.
NOT_RUN = frozenset(
    {"not-present", "not-applicable", "not-in-release", "not-provided", "unsupported"}
)

# Plain-text marks: the report must read the same on a machine without emoji fonts.
SYMBOL = {
    "passed": "ok",
    "failed": "FAIL",
    "crashed": "CRASH",
    "error": "ERR",
    "xfailed": "xf",
    "xpassed": "XP",
    "skipped": "skip",
    "not-present": "--",
    "not-applicable": "n/a",
    "not-in-release": "rel",
    "not-provided": "np",
    "unsupported": "uns",
}
NOT_RUN_SYMBOL = "."

MEANING = {
    "passed": "passed",
    "failed": "failed: torch disagrees with the reference",
    "crashed": "crashed: the process died running an example (its repro is listed)",
    "error": "error: the test could not run (setup or teardown failed)",
    "xfailed": "known failure: a recorded torch bug, still present",
    "xpassed": "a known torch bug did not reproduce (non-strict xfail)",
    "skipped": "skipped (see the reason)",
    "not-present": "device not present on this machine",
    "not-applicable": "not applicable here (path, CPU or release lacks what it checks)",
    "not-in-release": "not in this release: the torch under test predates the feature",
    "not-provided": "not provided by the implementation under test",
    "unsupported": "unsupported: torch has no kernel for this dtype here",
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
