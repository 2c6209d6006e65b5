"""The corner pass after a property's random examples (tests/corners.py): every pair of
classes of a layer (or an optimizer and its training plan), or every kind of invalid
configuration, once each."""

from __future__ import annotations

import pytest

from report import interface
from tests import corners


def run_corners(item: pytest.Item) -> None:
    """Run the item's property once per corner of its subject; unreachable corners are noted."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    subject = corners.cornered(params, getattr(item, "module", None))
    test = getattr(item, "obj", None)
    if subject is None or not hasattr(test, "hypothesis"):
        return
    run = interface.declared_run(item.config)
    if run.get("profile") == "smoke":
        return  # one example per cell is what a smoke run asks for; corners are for full runs
    spec, kind = subject
    arguments = {name: item.funcargs[name] for name in item.funcargs if name != "data"}
    inner = test.hypothesis.inner_test
    corner_list = corners.CORNER_KINDS[kind](spec)
    shrinks = corners.CORNER_SHRINKS.get(kind)
    unreached_corners = corners.run(
        inner,
        arguments,
        corner_list,
        int(run["seed"] or 0),
        shrinks=shrinks(spec) if shrinks else None,
    )
    for unreached in unreached_corners:
        item.add_report_section("call", "corners", f"not reachable here: {unreached}")
        interface.record_unreached(item, unreached)
