"""Comparing two reports, cell by cell: what a release decision reads.

A cell is keyed by layer, property, device, dtype, path and CPU kernel set. Comparing two
CPU kernel sets, or eager against compile, leaves that dimension out of the key
(`ignore`), so avx2's Conv2d forward meets avx512's. Several results on one key (shards of
a merged report, or the dimensions left out) count as one cell: its worst outcome, the sum
of their examples and the union of their classes.

What changed falls in one kind per cell, in the order a release manager reads them:

- regression: the cell fails (failed, error, crashed) now and did not in the base
  (passed, a known failure, skipped or not run, or absent from the base);
- fix: a known failure of the base no longer reproduces, or a failing cell passes;
- still failing: it failed in both;
- other change: any other outcome change (a failure now recorded as known, a new known
  failure, a failing cell that no longer runs);
- added, removed: the key is in one report only;
- coverage: a cell that ran in one report and not in the other, and among cells that ran
  in both without failing (a failing test's examples include its shrinking), one whose
  examples fell by more than half or whose classes changed.

Only regressions gate: `exit_code` is 1 when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from report import coverage, outcomes
from report.interface import DIMENSIONS, NONE

# Outcomes a fixed bug or a fixed cell shows.
PASSING = frozenset({"passed", "xpassed"})
# A cell's examples falling below this share of the base's is a coverage change: a smaller
# profile, a strategy that filters more, or a test that stops early. Smaller drops are
# noise between seeds.
EXAMPLE_DROP = 0.5


@dataclass(frozen=True)
class CellState:
    """One report's view of one key: possibly several results."""

    outcome: str
    examples: int
    classes: frozenset[str]
    results: tuple[dict[str, Any], ...]

    @property
    def known_failure_fixed(self) -> bool:
        return any(r.get("known_failure_fixed") for r in self.results)

    @property
    def ran(self) -> bool:
        return coverage.ran(self.outcome)

    def failing(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["outcome"] in outcomes.BAD]


@dataclass(frozen=True)
class Change:
    """One key that differs; `base` or `new` is None for a cell only one report has."""

    key: tuple[str, ...]
    base: CellState | None
    new: CellState | None
    note: str = ""


@dataclass(frozen=True)
class Side:
    """What the pages say about each report: its label and its totals."""

    label: str
    torch: str | None
    run_id: str
    cells: int
    examples: int
    classes: int | None
    runs: tuple[dict[str, Any], ...]  # its shards' run sections, for replay lines

    def run_of(self, result: dict[str, Any]) -> dict[str, Any]:
        for run in self.runs:
            if run.get("run_id") == result.get("shard"):
                return run
        return self.runs[0] if self.runs else {}


@dataclass
class Diff:
    base: Side
    new: Side
    dimensions: tuple[str, ...]  # the key's dimensions
    ignored: tuple[str, ...]
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    still_failing: list[Change] = field(default_factory=list)
    other_changes: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    no_longer_run: list[Change] = field(default_factory=list)
    now_run: list[Change] = field(default_factory=list)
    fewer_examples: list[Change] = field(default_factory=list)
    classes_changed: list[Change] = field(default_factory=list)
    hint: str = ""

    @property
    def coverage_changes(self) -> int:
        return sum(
            len(c)
            for c in (self.no_longer_run, self.now_run, self.fewer_examples, self.classes_changed)
        )

    @property
    def exit_code(self) -> int:
        """1 on a regression (CI gates on it), else 0."""
        return 1 if self.regressions else 0

    def counts(self) -> list[tuple[str, int]]:
        return [
            ("regressions", len(self.regressions)),
            ("fixes", len(self.fixes)),
            ("still failing", len(self.still_failing)),
            ("other changes", len(self.other_changes)),
            ("added", len(self.added)),
            ("removed", len(self.removed)),
            ("coverage changes", self.coverage_changes),
        ]

    def summary(self) -> dict[str, Any]:
        """The numbers a run's report keeps about its comparison (`baseline` in the JSON)."""
        return {
            "run_id": self.base.run_id,
            "torch": self.base.torch,
            "matched_on": list(self.dimensions),
            "regressions": len(self.regressions),
            "fixes": len(self.fixes),
            "still_failing": len(self.still_failing),
            "added": len(self.added),
            "removed": len(self.removed),
            "coverage_changes": self.coverage_changes,
        }


def parse_where(given: Iterable[str]) -> dict[str, str]:
    """`isa=avx2` -> {"isa": "avx2"}; ValueError on a dimension the report does not have."""
    found = {}
    for text in given:
        dim, sep, value = text.partition("=")
        if not sep or dim not in DIMENSIONS:
            raise ValueError(f"--where wants DIMENSION=VALUE with one of {', '.join(DIMENSIONS)}")
        found[dim] = value
    return found


def _cells(
    document: dict[str, Any], dimensions: tuple[str, ...], where: dict[str, str]
) -> dict[tuple[str, ...], CellState]:
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for result in document["results"]:
        if any(result.get(dim, NONE) != value for dim, value in where.items()):
            continue
        grouped.setdefault(tuple(result.get(d, NONE) for d in dimensions), []).append(result)
    return {
        key: CellState(
            outcome=outcomes.worst([r["outcome"] for r in results]),
            examples=sum(r.get("examples", 0) for r in results),
            classes=frozenset(c for r in results for c in r.get("coverage") or ()),
            results=tuple(results),
        )
        for key, results in grouped.items()
    }


def _side(document: dict[str, Any], cells: dict[tuple[str, ...], CellState]) -> Side:
    env, run = document["environment"], document["run"]
    devices = ", ".join(run.get("devices") or []) or "no devices"

    def listed(field: str) -> str:
        return ", ".join(run.get(field) or []) or "-"

    label = (
        f"torch {env.get('torch') or 'differs per shard'} · {devices} · {listed('dtypes')} · "
        f"paths {listed('paths')} · CPU kernel sets {listed('isas')} · impl {run.get('impl')} · "
        f"profile {run.get('profile')} · seed {run.get('seed')}"
    )
    recorded = coverage.has_coverage(document["results"])
    return Side(
        label=label,
        torch=env.get("torch"),
        run_id=run["run_id"],
        cells=len(cells),
        examples=sum(c.examples for c in cells.values()),
        # Distinct per layer and property, as the report's own coverage line counts them.
        classes=len({(k[0], k[1], c) for k, cell in cells.items() for c in cell.classes})
        if recorded
        else None,
        runs=tuple(s["run"] | {"run_id": s["run_id"]} for s in document["shards"]),
    )


def _outcome_change(base: CellState, new: CellState) -> tuple[str, str]:
    """(kind, note) for a key both reports have whose outcome may differ."""
    was, now = base.outcome, new.outcome
    if was == "xfailed" and (now in PASSING or (now == "failed" and new.known_failure_fixed)):
        return "fixes", "the known failure no longer reproduces"
    if was in outcomes.BAD and now in PASSING:
        return "fixes", "passes now"
    if now in outcomes.BAD and was not in outcomes.BAD:
        return "regressions", ""
    if now in outcomes.BAD:
        return "still_failing", ""
    if was in outcomes.BAD:
        return "other_changes", "now a known failure" if now == "xfailed" else ""
    if base.ran and not new.ran:
        reason = new.results[0].get("reason")
        return "no_longer_run", f"{now}: {reason}" if reason else now
    if new.ran and not base.ran:
        return "now_run", ""
    if now != was:
        return "other_changes", ""
    return "", ""


def _coverage_change(base: CellState, new: CellState) -> list[tuple[str, str]]:
    found = []
    if base.examples and new.examples < base.examples * EXAMPLE_DROP:
        found.append(("fewer_examples", f"{base.examples:,} → {new.examples:,} examples"))
    lost, gained = base.classes - new.classes, new.classes - base.classes
    if lost or gained:
        parts = [f"-{c}" for c in sorted(lost)] + [f"+{c}" for c in sorted(gained)]
        found.append(("classes_changed", " ".join(parts)))
    return found


def _hint(
    base: dict[str, Any],
    new: dict[str, Any],
    dimensions: tuple[str, ...],
    where: tuple[dict[str, str], dict[str, str]],
    only_base: int,
    only_new: int,
) -> str:
    """A dimension to ignore when the two reports differ only in its values."""
    if not (only_base and only_new):
        return ""
    for dim in dimensions[2:]:
        kept = tuple(d for d in dimensions if d != dim)
        old, now = set(_cells(base, kept, where[0])), set(_cells(new, kept, where[1]))
        if old and old == now:
            return (
                f"the reports differ only in {dim}: compare across it with --ignore-dimension {dim}"
            )
    return ""


def compare(
    base: dict[str, Any],
    new: dict[str, Any],
    ignore: Iterable[str] = (),
    where_base: dict[str, str] | None = None,
    where_new: dict[str, str] | None = None,
) -> Diff:
    """The changes from `base` to `new`, keyed on every dimension not in `ignore`."""
    ignored = tuple(dict.fromkeys(ignore))
    unknown = [d for d in ignored if d not in DIMENSIONS[2:]]
    if unknown:
        raise ValueError(
            f"cannot ignore {', '.join(unknown)}: one of {', '.join(DIMENSIONS[2:])} "
            "(layer and property are what a cell is)"
        )
    dimensions = tuple(d for d in DIMENSIONS if d not in ignored)
    where = (where_base or {}, where_new or {})
    old, now = _cells(base, dimensions, where[0]), _cells(new, dimensions, where[1])
    diff = Diff(base=_side(base, old), new=_side(new, now), dimensions=dimensions, ignored=ignored)
    for key in sorted(old.keys() | now.keys()):
        was, is_ = old.get(key), now.get(key)
        if was is None:
            assert is_ is not None
            failing = is_.outcome in outcomes.BAD
            kind = "regressions" if failing else "added"
            getattr(diff, kind).append(Change(key, None, is_, "new cell" if failing else ""))
            continue
        if is_ is None:
            diff.removed.append(Change(key, was, None))
            continue
        kind, note = _outcome_change(was, is_)
        if kind:
            getattr(diff, kind).append(Change(key, was, is_, note))
        # A failing test's examples include its shrinking: only verdicts that stayed away
        # from failure compare their coverage.
        steady = was.outcome not in outcomes.BAD and is_.outcome not in outcomes.BAD
        if was.ran and is_.ran and steady:
            for kind, note in _coverage_change(was, is_):
                getattr(diff, kind).append(Change(key, was, is_, note))
    only_base, only_new = len(old.keys() - now.keys()), len(now.keys() - old.keys())
    diff.hint = _hint(base, new, dimensions, where, only_base, only_new)
    return diff
