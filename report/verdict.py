"""The verdict of a report: conforming or not, and every reason, decided in one place.

A run conforms when something was judged, no judged cell or chapter claim failed, and its
statistical checks stayed within the false-alarm budget the run declared. The Markdown
and HTML pages print it and the plugin sets the exit status from it: a run that judged
nothing is never green.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from report import outcomes

# Outcomes that mean a cell was judged against the mathematics (a recorded bug included).
JUDGED = frozenset({"passed", "xfailed", "xpassed"}) | outcomes.BAD


@dataclass(frozen=True)
class Verdict:
    conforming: bool
    reasons: tuple[str, ...]  # why not, one clause each
    # The reasons no failing test stands for (nothing judged, the budget overspent): the
    # plugin fails the run's exit status for them itself.
    beyond_tests: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        if self.conforming:
            return "CONFORMING: every cell that ran passed"
        return "NOT CONFORMING: " + "; ".join(self.reasons)


def false_alarm_line(summary: dict[str, Any]) -> str | None:
    """`5,120 statistical assertions x 1e-12 = 5.1e-09 of the run's 1e-06 budget`, if any."""
    spent = summary.get("false_alarm")
    if not spent:
        return None
    return (
        f"{spent['assertions']:,} statistical assertions x {spent['alpha']:.3g} = "
        f"{spent['bound']:.2g} run false-alarm probability, of a {spent['budget']:.3g} budget"
    )


def decide(document: dict[str, Any]) -> Verdict:
    summary = document["summary"]
    by_outcome = summary["by_outcome"]
    reasons, beyond_tests = [], []
    bad = sum(by_outcome[o] for o in outcomes.BAD)
    if bad:
        reasons.append(f"{bad} cells failed")
    claims_bad = sum(summary["claims"].get(o, 0) for o in outcomes.BAD)
    if claims_bad:
        reasons.append(f"{claims_bad} chapter claims failed")
    if not any(by_outcome[o] for o in JUDGED) and not any(summary["claims"].values()):
        beyond_tests.append("nothing was judged (every cell was left out or did not run)")
    spent = summary.get("false_alarm")
    if spent and spent["bound"] > spent["budget"]:
        beyond_tests.append(
            f"the statistical checks spent {spent['bound']:.2g} of false-alarm probability, "
            f"over the run's budget of {spent['budget']:.3g}"
        )
    reasons += beyond_tests
    return Verdict(not reasons, tuple(reasons), tuple(beyond_tests))
