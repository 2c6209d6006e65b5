"""The report cell each test item fills, and why a cell cannot run here, at collection.

Each conformance test item fills one cell: layer x property x device x dtype x path x CPU
kernel set. The property is the test file's (tests/test_<property>.py), the layer is the
`layer` (or `model`) parameter or a `row` marker, the device, dtype and execution path are
the parameters of those names, and the kernel set is the process's. This module declares
every cell to the report through report/interface.py, and nothing else does.
"""

from __future__ import annotations

from typing import Any

import pytest

from report import interface
from tests import backend_switches, corners, kernel_sets
from tests.paths import by_name as path_named, describe as describe_needs


def _absent(device: str) -> interface.NotRun | None:
    import torch

    kind, _, index = device.partition(":")
    if kind != "cuda":
        return None
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if (int(index) if index else 0) < count:
        return None
    return interface.NotRun("not-present", f"{device} (torch.cuda.device_count() == {count})")


def cell_of(item: pytest.Item) -> interface.Cell | None:
    """The cell a conformance test fills, or None for a test that is not one."""
    module = getattr(item, "module", None)
    stem = (getattr(module, "__name__", "") or "").rpartition(".")[2]
    if not (stem.startswith("test_") and module.__name__.startswith("tests.")):
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    # The report row: a layer, a model or an optimizer (spec/registry.py), else a marker.
    subject = params.get("layer") or params.get("model") or params.get("optimizer")
    path = params.get("path", "eager")
    marker = item.get_closest_marker("row")
    row = subject.name if subject is not None else (marker.args[0] if marker else None)
    if row is None:
        return None
    device = params.get("device", interface.NONE)
    isa = kernel_sets.current() if device in ("cpu", interface.NONE) else interface.NONE
    return interface.Cell(
        layer=row,
        property=stem.removeprefix("test_"),
        device=device,
        dtype=params.get("dtype", interface.NONE),
        path=getattr(path, "name", path),
        isa=isa,
        switch=params.get("switch", backend_switches.DEFAULT),
    )


def _off_path(item: pytest.Item, params: dict) -> interface.NotRun | None:
    """Why the item's execution path cannot run its cell, or None."""
    name = params.get("path")
    if not isinstance(name, str):
        return None
    if name not in interface.declared_run(item.config)["paths"]:
        # An item that carries a path of its own, a known failure off the run's paths, is
        # judged not applicable when it runs (tests/known_failures/judge.py). Asking its
        # path here would load it: `import torch._dynamo` is 1.4 s of every eager run's
        # start, in each worker and each nested selftest run.
        return None
    chosen = path_named(name)
    missing = chosen.missing()
    if missing:
        return interface.NotRun("not-applicable", f"{name}: {missing}")
    # What the property needs first: a cell that cannot apply is not judged by its dtype.
    lacking = chosen.lacks_needs(getattr(item, "module", None))
    if lacking:
        return interface.NotRun(
            "not-applicable", f"{name} does not provide {describe_needs(lacking)}"
        )
    if "device" in params and chosen.lacks_device(params["device"]):
        return interface.NotRun("not-applicable", chosen.lacks_device(params["device"]))
    if "dtype" in params and chosen.lacks_dtype(params["dtype"]):
        return interface.NotRun("unsupported", chosen.lacks_dtype(params["dtype"]))
    return None


def _corner_dimensions(item: pytest.Item, params: dict) -> tuple[Any, str, dict] | None:
    """(spec, corner kind, its dimensions) where the item runs a corner pass, else None."""
    subject = corners.cornered(params, getattr(item, "module", None))
    if subject is None or subject[1] not in corners.CORNER_DIMENSIONS:
        return None
    spec, kind = subject
    return spec, kind, corners.CORNER_DIMENSIONS[kind](spec)


def _pairs_possible(cornered: tuple[Any, str, dict] | None) -> frozenset[str] | None:
    """The pairs of classes the item's corner pass makes its examples meet (tests/corners.py)."""
    if cornered is None:
        return None
    spec, kind, dims = cornered
    possible = corners.possible_pairs(dims, corners.impossible_for(kind, spec))
    return frozenset(interface.pair_label(first, second) for first, second in possible)


def _interactions_possible(
    cornered: tuple[Any, str, dict] | None,
) -> dict[str, frozenset[str]] | None:
    """The interactions the item's corner pass meets whole ({name: its class labels}):
    those of the layer's spec whose every dimension its corners have."""
    if cornered is None:
        return None
    spec, _, dims = cornered
    wanted = {
        interaction.name: frozenset(corners.labels(interaction.classes))
        for interaction in getattr(spec, "interactions", ())
        if set(interaction.classes) <= set(dims)
    }
    return wanted or None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        absent = _absent(params["device"]) if "device" in params else None
        absent = absent or _off_path(item, params)
        cell = cell_of(item)
        if cell is not None:
            cornered = _corner_dimensions(item, params)
            interface.declare_cell(
                item, cell, absent, _pairs_possible(cornered), _interactions_possible(cornered)
            )
        if absent is not None:
            item.add_marker(pytest.mark.skip(reason=str(absent)))
