"""From one test item's run to what the controller needs: the payload a report travels with.

Runs on the machine that ran the test (an xdist worker, or the only process): the payload
goes in `report.user_properties` as plain JSON data, so xdist ships it to the controller.
Everything in it comes from what the suite declared (report/interface.py), from the
exceptions the test raised, and from pytest's own report: never from test names or ids.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from report import interface

USER_PROPERTY = interface.USER_PROPERTY
# The traceback kept with a failure: enough to read the assertion, small enough for a report.
TRACEBACK_CHARS = 4000


def find_conformance_error(error: BaseException | None) -> interface.ConformanceError | None:
    """The first ConformanceError in `error`: itself, an exception group's member, a cause."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, interface.ConformanceError):
            return current
        pending += list(getattr(current, "exceptions", ()) or ())
        pending += [current.__cause__, current.__context__]
    return None


def payload(
    item: pytest.Item, call: pytest.CallInfo[None], examples: int | None
) -> dict[str, Any] | None:
    """What the controller needs about this phase of `item`, or None for a non-cell test."""
    declared = interface.declared(item)
    if declared.cell is None and not declared.claims:
        return None
    data: dict[str, Any] = {}
    if declared.cell is not None:
        data["cell"] = declared.cell.as_dict()
    if examples is not None:
        data["examples"] = examples
    not_run = declared.not_run
    if call.excinfo is not None and isinstance(call.excinfo.value, interface.NotRun):
        not_run = call.excinfo.value
    if not_run is not None:
        data["not_run"] = {"outcome": not_run.outcome, "reason": not_run.reason}
    raised = call.excinfo.value if call.excinfo is not None else None
    violation = find_conformance_error(raised)
    if violation is not None:
        data["failure"] = interface.failure_dict(violation.failure)
        if isinstance(violation, interface.KnownFailureFixedError):
            data["known_failure_fixed"] = True
    elif isinstance(raised, interface.ExpectedFailure | interface.NotRun) and raised.failure:
        data["failure"] = interface.failure_dict(raised.failure)
    elif isinstance(raised, Exception) and declared.last_repro:
        # An exception with no diagnosis: the example that raised it, as the suite
        # announced it, so that the report still replays it (pytest gives the message).
        last = interface.Failure("", example=declared.last_example, repro=declared.last_repro)
        data["failure"] = interface.failure_dict(last)
    if "failure" in data and declared.not_minimal and not data["failure"].get("not_minimal"):
        data["failure"]["not_minimal"] = declared.not_minimal
    if declared.claims:
        data["claims"] = list(declared.claims)
    if declared.coverage and call.when == "call":
        data["coverage"] = sorted(declared.coverage)
    if declared.pairs_possible and call.when == "call":
        # Possible among the dimensions the test drew at all (a property that does not
        # draw the mode has no pairs with it to meet).
        drawn = {label.split("=", 1)[0] for label in declared.coverage}
        possible = [
            pair
            for pair in declared.pairs_possible
            if all(part.split("=", 1)[0] in drawn for part in pair.split(" × "))
        ]
        data["pairs"] = sorted(declared.pairs)
        data["pairs_possible"] = len(possible)
    if declared.interactions_possible and call.when == "call":
        data["interactions"] = sorted(declared.interactions)
        data["interactions_possible"] = len(declared.interactions_possible)
    if declared.unreached and call.when == "call":
        data["corners_unreached"] = list(declared.unreached)
    if declared.contract and call.when == "call":
        data["contract"] = dict(declared.contract)
    if declared.rejected and call.when == "call":
        data["rejected_draws"] = dict(declared.rejected)
    if declared.statistical_assertions and call.when == "call":
        data["statistical_assertions"] = declared.statistical_assertions
    return data


# ---- outcome of one phase report (setup, call or teardown) -------------------------------

# pytest's own words for a strict expected failure that passed (its marker's way of saying
# the recorded bug is gone); the suite's known failures say it with known_failure_fixed.
_STRICT_XPASS = "[XPASS(strict)]"


def strict_xpass(report: pytest.TestReport | None) -> bool:
    """The phase failed because a strict xfail marker's test passed."""
    return report is not None and report.failed and str(report.longrepr).startswith(_STRICT_XPASS)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple | list) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr or "")
    return text.removeprefix("Skipped: ").strip()


def phase_outcome(report: pytest.TestReport, data: dict[str, Any] | None) -> tuple[str, str | None]:
    """(outcome, reason) of one phase, in the report's vocabulary."""
    wasxfail = getattr(report, "wasxfail", None)
    crashed = (data or {}).get("crashed")
    if crashed:
        return "crashed", crashed
    if report.skipped:
        if wasxfail is not None:
            return "xfailed", wasxfail.removeprefix("reason: ")
        not_run = (data or {}).get("not_run")
        if not_run:
            return not_run["outcome"], not_run["reason"]
        return "skipped", _skip_reason(report)
    if report.failed:
        return ("failed" if report.when == "call" else "error"), None
    if wasxfail is not None:
        return "xpassed", wasxfail.removeprefix("reason: ")
    return "passed", None


def combine(phases: dict[str, tuple[str, str | None]]) -> tuple[str, str | None, str]:
    """(outcome, reason, deciding phase) of an item from its phases' outcomes."""
    for phase, (outcome, reason) in phases.items():
        if outcome == "crashed":  # xdist's report for a dead worker: no phase of its own
            return outcome, reason, phase
    setup = phases.get("setup", ("passed", None))
    if setup[0] != "passed":
        return (*setup, "setup")
    call = phases.get("call", ("error", "the test body never ran"))
    teardown = phases.get("teardown", ("passed", None))
    if teardown[0] == "error" and call[0] in ("passed", "xpassed", "skipped"):
        return (*teardown, "teardown")
    return (*call, "call")


# ---- failure details ---------------------------------------------------------------------

# How Hypothesis introduces the shrunk example in its failure note (wording varies by version).
_FALSIFYING = re.compile(r"^(E\s+)?((?:Falsifying (?:explicit )?example|Failing test case):.*)$")


def crash_message(report: pytest.TestReport) -> str:
    """The one-line exception message pytest shows for a failure."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return str(crash.message)
    text = report.longreprtext.strip()
    return text.splitlines()[-1] if text else "failed"


def hypothesis_example(text: str) -> str:
    """The shrunk example Hypothesis printed (`Falsifying example: test(...)`), if any."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _FALSIFYING.match(line)
        if not match:
            continue
        margin = len(match.group(1) or "")  # pytest's "E   " in front of every line
        found = [match.group(2)]
        for follow in lines[i + 1 :]:
            body = follow[margin:].rstrip() if follow.startswith(line[:margin]) else ""
            if not body.strip():
                break
            found.append(body)
            if body == ")":
                break
        return "\n".join(found)
    return ""


def failure(given: dict[str, Any] | None, report: pytest.TestReport | None) -> dict[str, Any]:
    """The failure details: what the ConformanceError carried, completed from pytest."""
    given = dict(given or {})
    text = report.longreprtext if report is not None else ""
    shrunk = hypothesis_example(text)
    message = crash_message(report) if report else "failed"
    if shrunk and shrunk in message:  # Hypothesis appends its example to the exception
        message = message.replace(shrunk, "").strip()
    details = {
        "message": str(given.get("message") or message),
        "example": str(given.get("example") or shrunk),
        "max_abs_error": given.get("max_abs_error"),
        "max_rel_error": given.get("max_rel_error"),
        "index": given.get("index"),
        "repro": str(given.get("repro") or ""),
    }
    if given.get("not_minimal"):
        details["not_minimal"] = str(given["not_minimal"])
    if text:
        details["traceback"] = text[-TRACEBACK_CHARS:]
    return interface.jsonable(details)
