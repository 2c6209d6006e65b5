"""The layer x property matrix that the Markdown and HTML pages draw; each cell holds one
sub-cell per device x dtype x path x CPU kernel set the run covered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from report import interface, outcomes
from report.interface import NONE

__all__ = ["NONE", "Matrix", "SubCell", "build", "failure_key", "sub_key"]

# The dimensions inside a cell, in the order a sub-cell's label lists them.
SUB_DIMENSIONS = tuple(dim.name for dim in interface.SUB_DIMENSIONS)
# Run fields that give each dimension's own order (as the options listed them).
RUN_ORDER = {dim.name: dim.run_key for dim in interface.SUB_DIMENSIONS}

Pair = tuple[str, ...]  # one value per SUB_DIMENSIONS


def _ordered(seen: set[str], preferred: list[str]) -> list[str]:
    """The run's own order first (as its options gave it), then the rest, '-' last."""
    first = [v for v in preferred if v in seen]
    rest = sorted(v for v in seen if v not in first and v != NONE)
    return first + rest + ([NONE] if NONE in seen else [])


def failure_key(result: dict[str, Any]) -> tuple[str, str, str]:
    return result["shard"], result["nodeid"], result.get("isa", NONE)


def sub_key(result: dict[str, Any]) -> Pair:
    return tuple(result.get(dim, NONE) for dim in SUB_DIMENSIONS)


@dataclass
class SubCell:
    """One device/dtype/path/ISA of one layer/property: one result, more after a merge."""

    results: list[dict[str, Any]]

    @property
    def outcome(self) -> str:
        return outcomes.worst([r["outcome"] for r in self.results])

    @property
    def examples(self) -> int:
        return sum(r.get("examples", 0) for r in self.results)

    @property
    def classes(self) -> frozenset[str]:
        """The hyperparameter classes its examples covered, over every shard."""
        return frozenset(c for r in self.results for c in r.get("coverage") or ())

    @property
    def pairs(self) -> tuple[int, int] | None:
        """(pairs of classes met, pairs possible) over every shard; None if not recorded."""
        possible = max((r.get("pairs_possible", 0) for r in self.results), default=0)
        if not possible:
            return None
        return len({p for r in self.results for p in r.get("pairs") or ()}), possible


@dataclass
class Matrix:
    layers: list[str]
    properties: list[str]
    pairs: dict[str, list[Pair]]  # per property: the sub-cells it ran, in order
    cells: dict[tuple[str, str], dict[Pair, SubCell]]
    varying: tuple[int, ...]  # indices of SUB_DIMENSIONS that take more than one value
    failures: list[dict[str, Any]] = field(default_factory=list)
    anchors: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # Sub-cells left out of the drawing because every result in them is "not-present" (a
    # device this machine lacks): how many results each such device had.
    absent: dict[str, int] = field(default_factory=dict)

    def sub(self, layer: str, prop: str, pair: Pair) -> SubCell | None:
        return self.cells.get((layer, prop), {}).get(pair)

    def row(self, layer: str, prop: str) -> list[SubCell]:
        """The sub-cells of one matrix cell, in the column's order."""
        found = self.cells.get((layer, prop), {})
        return [found[p] for p in self.pairs[prop] if p in found]

    def label(self, pair: Pair) -> str:
        """A sub-cell's name: the values of the dimensions that vary in this report."""
        shown = [pair[i] for i in self.varying] or [pair[0], pair[1]]
        return "/".join(shown)


def _absent_devices(results: list[dict[str, Any]]) -> dict[str, int]:
    """Devices every result of which is "not-present": columns with nothing to show."""
    by_device: dict[str, list[str]] = {}
    for result in results:
        by_device.setdefault(result.get("device", NONE), []).append(result["outcome"])
    return {
        device: len(found)
        for device, found in by_device.items()
        if device != NONE and all(o == "not-present" for o in found)
    }


def build(document: dict[str, Any]) -> Matrix:
    absent = _absent_devices(document["results"])
    results = [r for r in document["results"] if r.get("device", NONE) not in absent]
    run = document["run"]
    orders = [
        _ordered({r.get(dim, NONE) for r in results}, run.get(RUN_ORDER[dim]) or [])
        for dim in SUB_DIMENSIONS
    ]
    rank = [{v: i for i, v in enumerate(order)} for order in orders]

    cells: dict[tuple[str, str], dict[Pair, SubCell]] = {}
    seen_pairs: dict[str, set[Pair]] = {}
    for result in results:
        pair = sub_key(result)
        row = cells.setdefault((result["layer"], result["property"]), {})
        row.setdefault(pair, SubCell([])).results.append(result)
        seen_pairs.setdefault(result["property"], set()).add(pair)

    def order(pair: Pair) -> tuple[int, ...]:
        return tuple(rank[i][v] for i, v in enumerate(pair))

    varying = tuple(
        i for i in range(len(SUB_DIMENSIONS)) if len({v for v in orders[i] if v != NONE}) > 1
    )
    failures = [r for r in results if r["outcome"] in outcomes.BAD]
    return Matrix(
        layers=sorted({r["layer"] for r in results}),
        properties=sorted(seen_pairs),
        pairs={p: sorted(s, key=order) for p, s in sorted(seen_pairs.items())},
        cells=cells,
        varying=varying,
        failures=failures,
        anchors={failure_key(r): f"failure-{i}" for i, r in enumerate(failures, 1)},
        absent=absent,
    )


def absent_line(m: Matrix) -> str:
    """`Not drawn: cuda (296 cells), not present on this machine.`, or ''."""
    if not m.absent:
        return ""
    devices = ", ".join(f"{device} ({n:,} cells)" for device, n in m.absent.items())
    return f"Not drawn: {devices}, not present on this machine."
