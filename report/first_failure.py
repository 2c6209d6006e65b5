"""A cell's first failure, on the terminal the moment it is raised.

The report gives a failing cell once Hypothesis has shrunk its example: up to
--shrink-budget seconds later (a minute by default, minutes under `none`), and on a
compiling path every shrink step compiles anew. So the first failure is said at once, on
stderr past pytest's capture (an xdist worker writes to the terminal the controller
writes to): the test, what was raised, the example as drawn and the line that replays the
cell. The report then gives the shrunk example. The suite reaches it through
`interface.first_failure_announcer`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import pytest

from report import interface, replay
from report.record import find_conformance_error

# The first words of the announcement (the rediscovery bench looks for them).
HEADLINE = "nnconform: first failure of"
# The raised message's first line, cut to this many characters.
MESSAGE_CHARS = 300


def announcer(item: pytest.Item, budget_s: float | None) -> Callable[[BaseException], None] | None:
    """What tells the terminal of `item`'s first failure, or None where the failure is
    reported at once anyway (a budget of 0 s: no shrinking)."""
    if budget_s == 0:
        return None

    def announce(error: BaseException) -> None:
        try:
            text = announcement(item, error, budget_s)
        except Exception as broken:  # saying it early must never change what is reported
            text = f"{HEADLINE} {item.nodeid}: {type(error).__name__} ({broken!r} saying more)"
        # A terminal that cannot take it is no failure of the layer either.
        with contextlib.suppress(Exception):
            _write(item.config, text)

    return announce


def announcement(item: pytest.Item, error: BaseException, budget_s: float | None) -> str:
    """The lines said of `item`'s first failure `error`, shrinking for up to `budget_s`."""
    declared = interface.declared(item)
    violation = find_conformance_error(error)
    example = violation.failure.example if violation is not None else ""
    message = (str(error).strip().splitlines() or [""])[0][:MESSAGE_CHARS]
    lines = [f"{HEADLINE} {item.nodeid}: {type(error).__name__}: {message}"]
    example = example or declared.last_example
    if example and example not in message:
        lines.append(f"  example, not shrunk: {example}")
    if declared.cell is not None:
        result = {"nodeid": item.nodeid, **declared.cell.as_dict()}
        run = {**interface.declared_run(item.config), "args": item.config.invocation_params.args}
        lines.append(f"  replay: {replay.command(result, run)}")
    budget = "its end" if budget_s is None else f"up to {budget_s:g} s (--shrink-budget)"
    lines.append(f"  shrinking it for {budget}; the report gives the shrunk example")
    return "\n".join(lines)


def _write(config: pytest.Config, text: str) -> None:
    # Past the capture of the running test, as pytest's own live logging writes.
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        sys.stderr.write(f"\n{text}\n")
        return
    with capture.global_and_fixture_disabled():
        sys.stderr.write(f"\n{text}\n")
        sys.stderr.flush()
