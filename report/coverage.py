"""How much a report covers: the denominator line at its top, and each cell's examples and
hyperparameter classes.

A pass says little without its denominator: 200 passing cells out of 200 possible is a
release, 200 out of 2,000 is a smoke test. The possible cells are every layer and property
the report saw, times the devices, dtypes, paths and CPU kernel sets the run asked for. A
property counts only the dimensions it varies over (init has no dtype parameter, so it
counts one dtype), and the CPU kernel set only splits the CPU (and device-free) cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from report import outcomes
from report.interface import CPU_SIDE, DIMENSIONS as CELL_DIMENSIONS, NONE, SUB_DIMENSIONS

# (result field, run field) of the dimensions inside a layer x property cell.
DIMENSIONS = tuple((dim.name, dim.run_key) for dim in SUB_DIMENSIONS)


def ran(outcome: str) -> bool:
    """The cell's test body ran to a verdict (a skip or a not-run outcome did not)."""
    return outcome not in outcomes.NOT_RUN and outcome != "skipped"


def key(result: dict[str, Any]) -> tuple[str, ...]:
    """A cell across shards: its value in every dimension (layer, property, device, ...)."""
    return tuple(result.get(dim, NONE) for dim in CELL_DIMENSIONS)


def has_coverage(results: Iterable[dict[str, Any]]) -> bool:
    """Whether the suite recorded hyperparameter classes at all (interface.cover)."""
    return any("coverage" in r for r in results)


def cell_text(examples: int, classes: int | None, pairs: tuple[int, int] | None = None) -> str:
    """`30 ex · 52/52 pairs` (pairs of classes met / possible, the fewest of the cell's
    sub-cells), else `30 ex · 4 cl` (classes); the examples alone if neither was recorded."""
    shown = f"{examples:,} ex"
    if pairs is not None:
        return f"{shown} · {pairs[0]:,}/{pairs[1]:,} pairs"
    return shown if classes is None else f"{shown} · {classes:,} cl"


def fewest_pairs(found: list[tuple[int, int] | None]) -> tuple[int, int] | None:
    """The sub-cell that met the smallest share of its possible pairs."""
    recorded = [f for f in found if f is not None]
    return min(recorded, key=lambda f: f[0] / f[1]) if recorded else None


LEGEND = (
    "ex: Hypothesis examples run; pairs: pairs of classes (hyperparameter and input "
    "classes, mode) that met in one example, of those possible (the fewest of the cell's "
    "boxes); cl: classes covered, where pairs were not recorded"
)


@dataclass(frozen=True)
class Denominator:
    """The cells a report could hold, and how many ran or did not."""

    layers: int
    properties: int
    sizes: dict[str, int]  # per run field (devices, dtypes, paths, isas): values asked for
    possible: int
    ran: int
    not_run: dict[str, int]  # outcome -> distinct cells that did not run, for that reason
    examples: int
    classes: int | None  # distinct (layer, property, class); None: none recorded
    # (pairs met, pairs possible) summed over the results that record them; None: none do.
    pairs: tuple[int, int] | None = None
    # (interactions met whole, possible) summed likewise (LayerSpec.interactions).
    interactions: tuple[int, int] | None = None

    @property
    def untested(self) -> int:
        """Possible cells no result speaks of (a layer a property has no test for)."""
        return max(0, self.possible - self.ran - sum(self.not_run.values()))

    def line(self) -> str:
        def many(n: int, word: str, plural: str | None = None) -> str:
            return f"{n:,} {word if n == 1 else plural or word + 's'}"

        dimensions = ", ".join(many(self.sizes[d.run_key], d.noun) for d in SUB_DIMENSIONS)
        shape = (
            f"{many(self.layers, 'layer')} × {many(self.properties, 'property', 'properties')}"
            f" × {dimensions}, where a property varies over them"
        )
        skipped = sum(self.not_run.values())
        reasons = ", ".join(f"{n:,} {o}" for o, n in self.not_run.items() if n)
        parts = [
            f"{self.ran:,} of {self.possible:,} possible cells ran ({shape})",
            f"{skipped:,} did not run" + (f" ({reasons})" if reasons else ""),
            f"{self.untested:,} have no test",
        ]
        totals = f"{self.examples:,} examples"
        if self.classes is not None:
            totals += f", {self.classes:,} hyperparameter classes"
        if self.pairs is not None:
            totals += f", {self.pairs[0]:,} of {self.pairs[1]:,} possible class pairs met"
        if self.interactions is not None:
            met, possible = self.interactions
            totals += f", {met:,} of {possible:,} possible interactions (three classes or more) met"
        return "; ".join(parts) + f". {totals}."


def _varies(results: list[dict[str, Any]]) -> dict[str, dict[str, bool]]:
    """Per property: which dimensions it takes values in (not only '-')."""
    found: dict[str, dict[str, bool]] = {}
    for result in results:
        seen = found.setdefault(result["property"], dict.fromkeys(dict(DIMENSIONS), False))
        for dim, _ in DIMENSIONS:
            seen[dim] = seen[dim] or result.get(dim, NONE) != NONE
    return found


def _values(run: dict[str, Any], results: list[dict[str, Any]], dim: str, field: str) -> list:
    """What the run asked for in one dimension (what its results show, if it did not say)."""
    asked = [str(v) for v in run.get(field) or []]
    return asked or sorted({r.get(dim, NONE) for r in results} - {NONE}) or [NONE]


def _sub_cells(varies: dict[str, bool], values: dict[str, list[str]]) -> int:
    """How many combinations of the sub-dimensions one property spans (a CPU-only
    dimension, the kernel set, splits only the CPU's cells)."""

    def size(dim: str) -> int:
        return len(values[dim]) if varies[dim] else 1

    devices = values["device"] if varies["device"] else [NONE]
    total = 0
    for device in devices:
        combinations = 1
        for dim in SUB_DIMENSIONS:
            if dim.name != "device" and (device in CPU_SIDE or not dim.cpu_only):
                combinations *= size(dim.name)
        total += combinations
    return total


def denominator(document: dict[str, Any]) -> Denominator:
    results = document["results"]
    run = document["run"]
    values = {dim: _values(run, results, dim, field) for dim, field in DIMENSIONS}
    layers = {r["layer"] for r in results}
    per_property = {p: _sub_cells(v, values) for p, v in _varies(results).items()}

    seen: dict[tuple[str, ...], list[str]] = {}
    for result in results:
        seen.setdefault(key(result), []).append(result["outcome"])
    # A cell ran if any shard ran it; otherwise it counts under its gravest reason.
    did_run = sum(1 for found in seen.values() if any(ran(o) for o in found))
    not_run = {o: 0 for o in reversed(outcomes.SEVERITY) if not ran(o)}
    for found in seen.values():
        if not any(ran(o) for o in found):
            not_run[outcomes.worst(found)] += 1
    recorded = has_coverage(results)
    classes = {(r["layer"], r["property"], c) for r in results for c in r.get("coverage") or ()}
    return Denominator(
        layers=len(layers),
        properties=len(per_property),
        sizes={field: len(values[dim]) for dim, field in DIMENSIONS},
        possible=len(layers) * sum(per_property.values()),
        ran=did_run,
        not_run=not_run,
        examples=sum(r.get("examples", 0) for r in results),
        classes=len(classes) if recorded else None,
        pairs=_met_totals(results, "pairs"),
        interactions=_met_totals(results, "interactions"),
    )


def _met_totals(results: list[dict[str, Any]], field: str) -> tuple[int, int] | None:
    """(met, possible) of `field` ("pairs", "interactions") over the results recording it."""
    counted = [r for r in results if r.get(f"{field}_possible")]
    if not counted:
        return None
    met = sum(len(r.get(field) or ()) for r in counted)
    return met, sum(r[f"{field}_possible"] for r in counted)
