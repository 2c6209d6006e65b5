"""The corner pass after a property's random examples (tests/corners.py): every class of
every hyperparameter (or every kind of invalid configuration), once each."""

from __future__ import annotations

import pytest

from report import interface
from spec.layerspec import LayerSpec
from tests import corners


def run_corners(item: pytest.Item) -> None:
    """Run the item's property once per corner of its layer; unreachable corners are noted."""
    spec = getattr(getattr(item, "callspec", None), "params", {}).get("layer")
    test = getattr(item, "obj", None)
    kind = getattr(getattr(item, "module", None), "CORNERS", "classes")
    if not isinstance(spec, LayerSpec) or not hasattr(test, "hypothesis") or not kind:
        return
    run = interface.declared_run(item.config)
    if run.get("profile") == "smoke":
        return  # one example per cell is what a smoke run asks for; corners are for full runs
    arguments = {name: item.funcargs[name] for name in item.funcargs if name != "data"}
    inner = test.hypothesis.inner_test
    corner_list = corners.CORNER_KINDS[kind](spec)
    for unreached in corners.run(inner, arguments, corner_list, int(run["seed"] or 0)):
        item.add_report_section("call", "corners", f"not reachable here: {unreached}")
        interface.record_unreached(item, unreached)
