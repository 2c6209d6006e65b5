"""The one interface between the conformance suite and its report.

The suite tells the report these things, through this module and nothing else:

- what the run is: `declare_run(config, **fields)` (devices, dtypes, impl, seed, ...);
- which cell a test item fills: `declare_cell(item, Cell(...))`, at collection, and
  optionally why it cannot run at all (`declare_cell(..., not_run=NotRun(...))`);
- why a cell that started did not run: raise `NotRun` (`not_run(...)`);
- what a violation looked like: raise `ConformanceError(Failure(...))`, or
  `known_failure_fixed(Failure(...))` when the violation is that a recorded bug is gone,
  and a recorded bug still present: `known_failure(reason, Failure(...))`;
- which hyperparameter classes an example covered: `cover("padding_mode=reflect", ...)`;
- which chapter claims a test checked: `record_claim(item, id, text, outcome)`;
- how many statistical assertions a test made: `count_statistical_assertions(item, n)`.

The report counts a test's examples itself (it wraps each Hypothesis test's inner
function) and reads nothing else of the suite: no test names, file names, parameter ids
or reasons' wording.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NoReturn

import pytest

from report.outcomes import MEANING, NOT_RUN, SEVERITY

# Exactly what the suite may use: the one door into the report.
__all__ = [
    "CPU_SIDE",
    "DECLARED",
    "DIMENSIONS",
    "NONE",
    "NOT_RUN_OUTCOMES",
    "RUN",
    "SUB_DIMENSIONS",
    "USER_PROPERTY",
    "Cell",
    "ConformanceError",
    "Declared",
    "Dimension",
    "ExpectedFailure",
    "Failure",
    "KnownFailureFixedError",
    "NotRun",
    "count_rejected_draws",
    "count_statistical_assertions",
    "cover",
    "declare_cell",
    "declare_run",
    "declared",
    "declared_run",
    "example_not_minimal",
    "failure_dict",
    "first_failure_announcer",
    "jsonable",
    "known_failure",
    "known_failure_fixed",
    "mark_crashed",
    "not_run",
    "pair_label",
    "record_claim",
    "record_contract",
    "record_example",
    "record_unreached",
    "running",
    "start_example",
]

# A dimension a test does not vary over (an init function has no dtype parameter...).
NONE = "-"


@dataclass(frozen=True)
class Dimension:
    """One dimension inside a layer x property cell, as the report handles it."""

    name: str  # the Cell field
    noun: str  # what one value is, in words ("CPU kernel set")
    run_key: str  # the run's list of the values it asked for ("devices")
    option: str  # the suite's option that chooses it (a replay line names it)
    # A replay line names the value always (the test id holds it), or only where the run
    # chose it (its option given, several values, or a value other than `usual`).
    always_named: bool = False
    usual: str | None = None
    # Splits only cells on the CPU (or on no device): a CPU kernel set.
    cpu_only: bool = False


def _dimension(**meaning: Any) -> Any:
    usual = meaning.get("usual")
    return field(default=NONE if usual is None else usual, metadata={"dimension": meaning})


@dataclass(frozen=True)
class Cell:
    """Where a result goes: layer x property x device x dtype x path x CPU kernel set.

    A new dimension of the report is a field here (with what `_dimension` says of it): the
    report's keys, columns, merges, replay lines and denominators all derive from them.
    """

    layer: str
    property: str
    device: str = _dimension(noun="device", run_key="devices", option="--device", always_named=True)
    dtype: str = _dimension(noun="dtype", run_key="dtypes", option="--dtype", always_named=True)
    path: str = _dimension(noun="path", run_key="paths", option="--path", usual="eager")
    isa: str = _dimension(noun="CPU kernel set", run_key="isas", option="--cpu-isa", cpu_only=True)
    switch: str = _dimension(
        noun="backend switch", run_key="switches", option="--switch", usual="default"
    )

    def as_dict(self) -> dict[str, str]:
        return {name: str(value) for name, value in asdict(self).items()}


# The dimensions of a cell, in the order the report lists them; those inside a layer x
# property cell, with what the report needs to know of each.
DIMENSIONS = tuple(f.name for f in fields(Cell))
SUB_DIMENSIONS = tuple(
    Dimension(f.name, **f.metadata["dimension"]) for f in fields(Cell) if "dimension" in f.metadata
)
# Devices whose cells a CPU-only dimension splits (a test with no device has '-').
CPU_SIDE = frozenset({"cpu", NONE})

# Outcomes of a cell that did not run, with what each means to a reader of the report.
NOT_RUN_OUTCOMES = {name: MEANING[name] for name in SEVERITY if name in NOT_RUN}


@dataclass(frozen=True)
class Failure:
    """The diagnosis of one violation, as the report shows it."""

    message: str
    example: str = ""
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    index: list[int] | None = None
    repro: str = ""
    # Why `example` is the first failing example found rather than a shrunk one ('' where
    # Hypothesis shrank it): a profile without the shrink phase, a sweep, a crash.
    not_minimal: str = ""


class ConformanceError(AssertionError):
    """A property does not hold; `failure` carries the diagnosis for the report."""

    def __init__(self, failure: Failure, text: str | None = None) -> None:
        super().__init__(text or failure.message)
        self.failure = failure


class KnownFailureFixedError(ConformanceError):
    """A recorded bug no longer reproduces: its strict expected failure fails the cell, and
    a comparison against a baseline counts the cell as a fix, not a regression."""


def known_failure_fixed(failure: Failure) -> NoReturn:
    """Fail the test: the recorded bug it checks is gone (remove the entry)."""
    raise KnownFailureFixedError(failure)


class NotRun(pytest.skip.Exception):
    """A cell that did not run, and which of the NOT_RUN_OUTCOMES says why; `failure`, when
    the report should show what was tried (a repro that did not reproduce)."""

    def __init__(self, outcome: str, reason: str, failure: Failure | None = None) -> None:
        if outcome not in NOT_RUN_OUTCOMES:
            raise ValueError(
                f"unknown not-run outcome {outcome!r}: one of {list(NOT_RUN_OUTCOMES)}"
            )
        super().__init__(f"{outcome}: {reason}")
        self.outcome = outcome
        self.reason = reason
        self.failure = failure


class ExpectedFailure(pytest.xfail.Exception):
    """An expected failure that still happens: a recorded bug, with its repro for the report."""

    def __init__(self, reason: str, failure: Failure) -> None:
        super().__init__(reason)
        self.failure = failure


def known_failure(reason: str, failure: Failure) -> NoReturn:
    """Stop the test as an expected failure: the recorded bug `failure` describes is still there."""
    raise ExpectedFailure(reason, failure)


def not_run(outcome: str, reason: str, failure: Failure | None = None) -> NoReturn:
    """Stop the test: its cell did not run, for `reason` (one of NOT_RUN_OUTCOMES)."""
    raise NotRun(outcome, reason, failure)


@dataclass
class Declared:
    """What the suite declared about one test item."""

    cell: Cell | None = None
    not_run: NotRun | None = None
    claims: list[dict[str, str]] = field(default_factory=list)
    # The hyperparameter classes its examples covered ("padding_mode=reflect", ...).
    coverage: set[str] = field(default_factory=set)
    # The pairs of classes of two dimensions that met in one of its examples, among the
    # pairs possible for its cell (`pair_label`), and the classes of the running example.
    pairs: set[str] = field(default_factory=set)
    pairs_possible: frozenset[str] | None = None
    example: set[str] = field(default_factory=set)
    # The interactions its corner pass makes its examples meet ({name: its classes, as
    # labels}: LayerSpec.interactions), and the names of those met whole in one example.
    interactions_possible: Mapping[str, frozenset[str]] | None = None
    interactions: set[str] = field(default_factory=set)
    # The statistical assertions it made (each spends the run's alpha of false alarm).
    statistical_assertions: int = 0
    # Draws it rejected, by reason ("timm_nn BatchNorm2d takes no bias=": count).
    rejected: dict[str, int] = field(default_factory=dict)
    # Its row of the contract table (tests/test_contract.py), if it checks the contract.
    contract: dict[str, str] | None = None
    # Corners of its corner pass that could not be drawn (a known failure covers them).
    unreached: list[str] = field(default_factory=list)
    # The running example as the suite announced it, and its repro (torch and NumPy
    # alone): what a failure without a diagnosis of its own (an unexpected exception) is
    # reported with. Hypothesis runs the failing example last, so the last one is it.
    last_example: str = ""
    last_repro: str = ""
    # Why a failure's example would not be minimal (Failure.not_minimal), if it failed.
    not_minimal: str = ""


DECLARED = pytest.StashKey[Declared]()
# The item whose test body is running in this process (set by the report plugin).
_running: list[Declared] = []


@contextlib.contextmanager
def running(declared: Declared) -> Iterator[Declared]:
    """While the block runs, what the suite declares (cover, example_not_minimal, ...)
    goes to `declared`: the report plugin wraps each test body's call in it."""
    _running.append(declared)
    try:
        yield declared
    finally:
        _running.pop()


def first_failure_announcer(
    item: pytest.Item, budget_s: float | None
) -> Callable[[BaseException], None] | None:
    """What says `item`'s first failure on the terminal the moment it is raised, before
    shrinking for up to `budget_s` seconds (report/first_failure.py); None where the report
    follows at once."""
    from report import first_failure  # imports this module: imported when first asked

    return first_failure.announcer(item, budget_s)


def pair_label(first: str, second: str) -> str:
    """Two classes ("dimension=class") that met in one example, in a fixed order."""
    return " × ".join(sorted((first, second)))


def cover(*classes: str) -> None:
    """The running test's example covers these classes (the report lists them per cell,
    and the pairs of them that met in one example)."""
    if not _running:
        return
    declared = _running[-1]
    declared.coverage.update(classes)
    for label in classes:
        for other in declared.example:
            pair = pair_label(label, other)
            if declared.pairs_possible is not None and pair in declared.pairs_possible:
                declared.pairs.add(pair)
        declared.example.add(label)
    for name, labels in (declared.interactions_possible or {}).items():
        if labels <= declared.example:
            declared.interactions.add(name)


def start_example() -> None:
    """A new example of the running test begins: the report plugin calls it per Hypothesis
    example, and a property that judges several configurations in one example per
    configuration, so that only classes met in one configuration count as a pair."""
    if _running:
        _running[-1].example.clear()
        _running[-1].last_example = _running[-1].last_repro = ""


def record_example(example: str, repro: str) -> None:
    """The running test is about to run this example; `repro` replays it alone. A failure
    that carries no diagnosis (an exception torch raised where it should not) is
    reported with the last example recorded in its Hypothesis example."""
    if _running:
        _running[-1].last_example, _running[-1].last_repro = example, repro


def record_claim(
    item: pytest.Item, claim_id: str, claim_text: str, outcome: str | None = None
) -> None:
    """`item` checks this chapter claim (the report lists it with `outcome`, by default the
    item's own)."""
    entry = {"id": str(claim_id), "claim": str(claim_text)}
    if outcome is not None:
        entry["outcome"] = outcome
    item.stash.setdefault(DECLARED, Declared()).claims.append(entry)


def record_contract(**row: str) -> None:
    """The running test's row of the report's contract table (the class an implementation
    provides for a layer, what its constructor lacks, its defaults); the last one stands."""
    if _running:
        _running[-1].contract = {str(k): str(v) for k, v in row.items()}


def example_not_minimal(reason: str) -> None:
    """The running test's failure, if it fails, is reported as first found, not shrunk,
    for `reason` (the first reason given stands)."""
    if _running and not _running[-1].not_minimal:
        _running[-1].not_minimal = reason


def record_unreached(item: pytest.Item, corner: str) -> None:
    """A corner of `item`'s corner pass could not be drawn (every draw left out)."""
    item.stash.setdefault(DECLARED, Declared()).unreached.append(corner)


def count_rejected_draws(item: pytest.Item, rejected: dict[str, int]) -> None:
    """Draws `item` rejected, by reason (an argument the constructor does not take)."""
    declared = item.stash.setdefault(DECLARED, Declared())
    for reason, count in rejected.items():
        declared.rejected[reason] = declared.rejected.get(reason, 0) + count


def count_statistical_assertions(item: pytest.Item, count: int) -> None:
    """`item` made `count` statistical assertions (the run sums them against its budget)."""
    declared = item.stash.setdefault(DECLARED, Declared())
    declared.statistical_assertions += count


RUN = pytest.StashKey[dict]()


def declare_run(config: pytest.Config, **fields: Any) -> None:
    """The run's settings the report prints (devices, dtypes, impl, profile, seed, ...)."""
    config.stash[RUN] = {**config.stash.get(RUN, {}), **fields}


def declared_run(config: pytest.Config) -> dict[str, Any]:
    return dict(config.stash.get(RUN, {}))


def declare_cell(
    item: pytest.Item,
    cell: Cell,
    not_run: NotRun | None = None,
    pairs_possible: frozenset[str] | None = None,
    interactions_possible: Mapping[str, frozenset[str]] | None = None,
) -> None:
    """The cell `item` fills; `not_run`: it is known at collection that it cannot run;
    `pairs_possible`: the pairs of classes its examples can meet (`pair_label`);
    `interactions_possible`: the combinations of more classes they meet whole ({name:
    its classes as "dimension=class" labels})."""
    declared = item.stash.setdefault(DECLARED, Declared())
    declared.cell = cell
    declared.not_run = not_run
    declared.pairs_possible = pairs_possible
    declared.interactions_possible = interactions_possible


def declared(item: pytest.Item) -> Declared:
    return item.stash.get(DECLARED, None) or Declared()


# The key under which a test report's user_properties carry its cell's payload.
USER_PROPERTY = "nnconform"


def mark_crashed(report: pytest.TestReport, cell: Cell, reason: str, failure: Failure) -> None:
    """Turn the report xdist writes for a test whose worker died into a "crashed" cell."""
    data = {"cell": cell.as_dict(), "crashed": reason, "failure": failure_dict(failure)}
    kept = [(k, v) for k, v in report.user_properties if k != USER_PROPERTY]
    report.user_properties = [*kept, (USER_PROPERTY, data)]


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


def failure_dict(failure: Failure) -> dict[str, Any]:
    return jsonable(asdict(failure))
