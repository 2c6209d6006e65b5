"""The layer x property x device x dtype matrix that the Markdown and HTML pages draw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from report import outcomes
from report.record import MISSING

Pair = tuple[str, str]  # (device, dtype)


def _ordered(seen: set[str], preferred: list[str]) -> list[str]:
    """The run's own order first (as --device/--dtype gave it), then the rest, '-' last."""
    first = [v for v in preferred if v in seen]
    rest = sorted(v for v in seen if v not in first and v != MISSING)
    return first + rest + ([MISSING] if MISSING in seen else [])


def failure_key(result: dict[str, Any]) -> tuple[str, str]:
    return result["shard"], result["nodeid"]


@dataclass
class SubCell:
    """One device/dtype of one layer/property: usually one result, more after a merge."""

    results: list[dict[str, Any]]

    @property
    def outcome(self) -> str:
        return outcomes.worst([r["outcome"] for r in self.results])


@dataclass
class Matrix:
    layers: list[str]
    properties: list[str]
    pairs: dict[str, list[Pair]]  # per property: the device/dtype pairs it ran, in order
    cells: dict[tuple[str, str], dict[Pair, SubCell]]
    failures: list[dict[str, Any]] = field(default_factory=list)
    anchors: dict[tuple[str, str], str] = field(default_factory=dict)

    def sub(self, layer: str, prop: str, pair: Pair) -> SubCell | None:
        return self.cells.get((layer, prop), {}).get(pair)


def pair_label(pair: Pair) -> str:
    return "/".join(pair)


def build(document: dict[str, Any]) -> Matrix:
    results = document["results"]
    run = document["run"]
    devices = _ordered({r["device"] for r in results}, run.get("devices") or [])
    dtypes = _ordered({r["dtype"] for r in results}, run.get("dtypes") or [])
    pair_order = [(d, t) for d in devices for t in dtypes]

    cells: dict[tuple[str, str], dict[Pair, SubCell]] = {}
    seen_pairs: dict[str, set[Pair]] = {}
    for result in results:
        pair = (result["device"], result["dtype"])
        row = cells.setdefault((result["layer"], result["property"]), {})
        row.setdefault(pair, SubCell([])).results.append(result)
        seen_pairs.setdefault(result["property"], set()).add(pair)

    failures = [r for r in results if r["outcome"] in outcomes.BAD]
    return Matrix(
        layers=sorted({r["layer"] for r in results}),
        properties=sorted(seen_pairs),
        pairs={p: [q for q in pair_order if q in s] for p, s in sorted(seen_pairs.items())},
        cells=cells,
        failures=failures,
        anchors={failure_key(r): f"failure-{i}" for i, r in enumerate(failures, 1)},
    )
