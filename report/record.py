"""From pytest items and reports to conformance results: identity, outcome, failure details.

Runs on the machine that ran the test (an xdist worker, or the only process): what the
controller needs travels in `report.user_properties` as plain JSON-able data.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath
from typing import Any

import pytest

USER_PROPERTY = "nnconform"
MISSING = "-"  # a property test with no device or no dtype parameter
NOT_PRESENT_PREFIX = "not present"
FAILURE_FIELDS = ("message", "example", "max_abs_error", "max_rel_error", "index", "repro")
# The traceback kept with a failure: enough to read the assertion, small enough for a report.
TRACEBACK_CHARS = 4000

RECORD_KEY = pytest.StashKey[dict]()


def new_record() -> dict[str, Any]:
    """The dict a test fills through the `conformance_record` fixture."""
    return {"examples": 0}


def param_text(value: object) -> str:
    """A callspec value as report text: a layer's .name, torch.float32 -> 'float32'."""
    name = getattr(value, "name", None)
    text = name if isinstance(name, str) else str(value)
    return text.removeprefix("torch.")


def property_name(file_name: str, test_name: str) -> str:
    """The property a test checks: its file's (test_modes.py::test_modes_reach_...) -> modes.

    One file per property: every test_<property>_* function of tests/test_<property>.py
    reports under <property>; other names keep their own (test_x -> x).
    """
    from_file = file_name.removesuffix(".py").removeprefix("test_")
    from_test = test_name.removeprefix("test_")
    if from_test == from_file or from_test.startswith(from_file + "_"):
        return from_file
    return from_test


def identity(item: pytest.Item) -> dict[str, Any]:
    """What the controller needs to place this item's result: its cell, if it is one."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    path_parts = PurePosixPath(item.nodeid.split("::", 1)[0]).parts
    name = getattr(item, "originalname", None) or item.name.split("[", 1)[0]
    return {
        "layer": param_text(params["layer"]) if "layer" in params else None,
        "property": property_name(path_parts[-1] if path_parts else "", name),
        "device": param_text(params["device"]) if "device" in params else MISSING,
        "dtype": param_text(params["dtype"]) if "dtype" in params else MISSING,
        "in_selftest": "selftest" in path_parts,
    }


def payload(item: pytest.Item) -> dict[str, Any]:
    """The user_properties value for this item: its identity and its record so far."""
    record = item.stash.get(RECORD_KEY, None)
    return {"identity": identity(item), "record": jsonable(record) if record else None}


def cell(ident: dict[str, Any], record: dict[str, Any] | None) -> dict[str, str] | None:
    """layer/property/device/dtype of a matrix cell, or None for an 'other' test."""
    record = record or {}
    layer = record.get("layer") or ident["layer"]
    if layer is None or ident["in_selftest"]:
        return None
    return {
        "layer": str(layer),
        "property": str(record.get("property") or ident["property"]),
        "device": ident["device"],
        "dtype": ident["dtype"],
    }


def jsonable(value: Any) -> Any:
    """Plain JSON data: NumPy scalars unwrapped, tuples as lists, non-finite floats as text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity, and a NaN output is exactly what a report must show.
        return value if math.isfinite(value) else str(value)
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    return repr(value)


# ---- outcome of one phase report (setup, call or teardown) -------------------------------


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple | list) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr or "")
    return text.removeprefix("Skipped: ").strip()


def phase_outcome(report: pytest.TestReport) -> tuple[str, str | None]:
    """(outcome, reason) of one phase, in the report's vocabulary."""
    wasxfail = getattr(report, "wasxfail", None)
    if report.skipped:
        if wasxfail is not None:
            return "xfailed", wasxfail.removeprefix("reason: ")
        reason = _skip_reason(report)
        if reason.lower().startswith(NOT_PRESENT_PREFIX):
            return "not-present", reason
        return "skipped", reason
    if report.failed:
        text = str(report.longrepr) if isinstance(report.longrepr, str) else ""
        if text.startswith("[XPASS(strict)]"):
            return "failed", text.removeprefix("[XPASS(strict)]").strip()
        return ("failed" if report.when == "call" else "error"), None
    if wasxfail is not None:
        return "xpassed", wasxfail.removeprefix("reason: ")
    return "passed", None


def combine(phases: dict[str, tuple[str, str | None]]) -> tuple[str, str | None, str]:
    """(outcome, reason, deciding phase) of an item from its phases' outcomes."""
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


def failure(record: dict[str, Any] | None, report: pytest.TestReport | None) -> dict[str, Any]:
    """The failure details: what the test recorded, completed from pytest's own report."""
    given = dict((record or {}).get("failure") or {})
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
    if text:
        details["traceback"] = text[-TRACEBACK_CHARS:]
    return jsonable(details)
