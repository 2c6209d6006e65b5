"""pytest plugin: records every conformance cell and writes the report at session end.

Loaded with `-p report.plugin`. Under pytest-xdist each worker attaches what it knows
about a test to `report.user_properties` (which xdist ships to the controller), and only
the controller writes the report.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import report
from report import (
    diff as diffing,
    diff_pages,
    environment,
    interface,
    json_report,
    outcomes,
    record,
    replay,
    verdict,
)

DEFAULT_REPORT_DIR = "reports"

# Every module of the report is loaded with the plugin, whether or not this run writes a
# report: Hypothesis draws from the literals of the loaded local modules, so a run must
# load the same ones whatever it does (tests/plugin/preload.py loads the suite's).
ALL_MODULES = tuple(
    importlib.import_module(info.name)
    for info in pkgutil.walk_packages(report.__path__, "report.")
    if not info.name.endswith("__main__")
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nnconform report")
    group.addoption(
        "--report-dir",
        default=DEFAULT_REPORT_DIR,
        help="directory for conformance.json/.md/.html (default: %(default)s)",
    )
    group.addoption("--no-report", action="store_true", help="write no conformance report")
    group.addoption(
        "--baseline",
        default=None,
        metavar="BASE.json",
        help="compare the run with this report: the comparison goes into the report and "
        "conformance-diff.md, and the exit status gates on regressions alone (failures the "
        "baseline already had do not fail the run)",
    )
    group.addoption(
        "--baseline-ignore-dimension",
        action="append",
        default=[],
        metavar="DIM",
        help="leave a dimension (device, dtype, path, isa) out of the comparison's cell key, "
        "e.g. isa when the baseline ran another CPU kernel set",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(ConformanceReport(config), "nnconform-report")


_EXAMPLES = pytest.StashKey[int]()
_counting: list[pytest.Item] = []  # the item whose test body is running, if any


def _count_examples(function: Any) -> None:
    """Wrap a Hypothesis test's inner function (public: `test.hypothesis.inner_test`)."""
    handle = getattr(function, "hypothesis", None)
    inner = getattr(handle, "inner_test", None)
    if inner is None or getattr(inner, "_nnconform_counts", False):
        return

    @functools.wraps(inner)
    def counted(*args: Any, **kwargs: Any) -> Any:
        if _counting:
            item = _counting[-1]
            item.stash[_EXAMPLES] = item.stash.get(_EXAMPLES, 0) + 1
            interface.start_example()
        return inner(*args, **kwargs)

    counted._nnconform_counts = True  # type: ignore[attr-defined]
    handle.inner_test = counted


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if interface.declared(item).cell is not None:
            _count_examples(getattr(item, "obj", None))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    _counting.append(item)
    declared = item.stash.setdefault(interface.DECLARED, interface.Declared())
    try:
        with interface.running(declared):
            return (yield)
    finally:
        _counting.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    examples = item.stash.get(_EXAMPLES, 0) if call.when == "call" else None
    data = record.payload(item, call, examples)
    # A fresh list: pytest hands every phase's report the item's own list.
    kept = [(k, v) for k, v in report.user_properties if k != record.USER_PROPERTY]
    report.user_properties = kept if data is None else [*kept, (record.USER_PROPERTY, data)]
    return report


# ---- the controller's side ---------------------------------------------------------------


@dataclass
class _Item:
    """Everything the controller heard about one test item."""

    phases: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    reports: dict[str, pytest.TestReport] = field(default_factory=dict)
    payload: dict[str, Any] | None = None
    duration: float = 0.0
    worker: str | None = None


def _payload(report: pytest.TestReport) -> dict[str, Any] | None:
    for name, value in report.user_properties:
        if name == record.USER_PROPERTY:
            return value
    return None


def _worker(report: pytest.TestReport) -> str | None:
    node = getattr(report, "node", None)
    workerinput = getattr(node, "workerinput", None) or {}
    return workerinput.get("workerid")


def _claims(entry: dict[str, Any], outcome: str, nodeid: str, shard: str, layer: Any) -> list:
    found = []
    for claim in entry.get("claims") or []:
        if not isinstance(claim, dict) or "id" not in claim or "claim" not in claim:
            continue
        claimed = claim.get("outcome")
        found.append(
            {
                "id": str(claim["id"]),
                "claim": str(claim["claim"]),
                "outcome": claimed if claimed in outcomes.OUTCOMES else outcome,
                "layer": layer,
                "nodeid": nodeid,
                "shard": shard,
            }
        )
    return found


def _baseline(config: pytest.Config) -> dict[str, Any] | None:
    """The --baseline report, read before any test runs: a bad path stops the run at once."""
    path = config.getoption("baseline")
    if not path or config.getoption("no_report"):
        return None
    import jsonschema

    try:
        return json_report.load(Path(config.invocation_params.dir, path))
    except (OSError, ValueError, jsonschema.ValidationError) as exc:
        raise pytest.UsageError(f"--baseline {path}: {exc}".splitlines()[0]) from None


class ConformanceReport:
    """Collects test reports on the controller and writes the report at session end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.items: dict[tuple[str, str | None], _Item] = {}
        self.run_id = str(uuid.uuid4())
        self.started = datetime.now(timezone.utc)
        self.clock = time.perf_counter()
        self.environment: dict[str, Any] = {}
        self.paths: dict[str, Path] | None = None
        self.document: dict[str, Any] | None = None
        self.problem: str | None = None
        self.baseline = _baseline(config)
        self.diff: diffing.Diff | None = None
        self.gate: str | None = None  # what the baseline did to the exit status

    def pytest_sessionstart(self) -> None:
        # Before any test can flip a TF32 switch: the state the run was configured with.
        self.environment = environment.collect()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.outcome not in ("passed", "failed", "skipped"):
            return  # e.g. "rerun" from pytest-rerunfailures: only the final attempt counts
        data = _payload(report)
        # One test runs once per CPU kernel set (--cpu-isa): the set is part of the key.
        isa = ((data or {}).get("cell") or {}).get("isa")
        item = self.items.setdefault((report.nodeid, isa), _Item())
        item.phases[report.when] = record.phase_outcome(report, data)
        item.reports[report.when] = report
        item.duration += report.duration
        if data is not None:
            item.payload = {**(item.payload or {}), **data}
        item.worker = _worker(report) or item.worker

    # -- assembling

    def _result(self, nodeid: str, item: _Item) -> tuple[dict | None, str, list]:
        """(result or None for an other test, outcome, claims) of one item."""
        outcome, reason, phase = record.combine(item.phases)
        payload = item.payload or {}
        cell = payload.get("cell")
        claims = _claims(payload, outcome, nodeid, self.run_id, cell and cell["layer"])
        if cell is None:
            return None, outcome, claims
        examples = payload.get("examples")
        result = {
            **cell,
            "outcome": outcome,
            "examples": examples if isinstance(examples, int) and examples >= 0 else 0,
            "duration_s": round(item.duration, 6),
            "nodeid": nodeid,
            "shard": self.run_id,
        }
        if reason:
            result["reason"] = reason
        if payload.get("coverage"):
            result["coverage"] = list(payload["coverage"])
        if payload.get("pairs_possible"):
            result["pairs"] = list(payload.get("pairs") or [])
            result["pairs_possible"] = int(payload["pairs_possible"])
        if payload.get("interactions_possible"):
            result["interactions"] = list(payload.get("interactions") or [])
            result["interactions_possible"] = int(payload["interactions_possible"])
        if payload.get("corners_unreached"):
            result["corners_unreached"] = list(payload["corners_unreached"])
        if payload.get("contract"):
            result["contract"] = dict(payload["contract"])
        if payload.get("rejected_draws"):
            result["rejected_draws"] = dict(payload["rejected_draws"])
        if payload.get("statistical_assertions"):
            result["statistical_assertions"] = int(payload["statistical_assertions"])
        if outcome in outcomes.BAD or (outcome != "passed" and payload.get("failure")):
            result["failure"] = record.failure(payload.get("failure"), item.reports.get(phase))
        if outcome == "failed" and (
            payload.get("known_failure_fixed") or record.strict_xpass(item.reports.get(phase))
        ):
            result["known_failure_fixed"] = True
        if item.worker:
            result["worker"] = item.worker
        return result, outcome, claims

    def _run(self, results: list[dict[str, Any]], workers: int) -> dict[str, Any]:
        given = interface.jsonable(interface.declared_run(self.config))
        # What the run asked for in each dimension, else what its results show.
        asked = {
            dim.run_key: [
                str(v)
                for v in given.get(dim.run_key)
                or sorted({r[dim.name] for r in results} - {interface.NONE})
            ]
            for dim in interface.SUB_DIMENSIONS
        }
        seed = given.get("seed")
        return {
            **given,
            **asked,
            "impl": str(given.get("impl") or "(not declared)"),
            "profile": str(given["profile"]) if given.get("profile") else None,
            "seed": seed if isinstance(seed, int | str) else None,
            "run_id": self.run_id,
            "started": self.started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - self.clock, 3),
            "args": [str(a) for a in self.config.invocation_params.args],
            "workers": workers,
        }

    def build(self) -> dict[str, Any]:
        results, claims, other = [], [], []
        for (nodeid, _isa), item in self.items.items():
            result, outcome, found = self._result(nodeid, item)
            claims += found
            if result is None:
                other.append(outcome)
            else:
                results.append(result)
        workers = len({item.worker for item in self.items.values() if item.worker})
        run = self._run(results, workers)
        for result in results:
            if result["outcome"] in outcomes.BAD:
                result["replay"] = replay.command(result, run)
        shard = {
            "run_id": self.run_id,
            "environment": self.environment,
            "run": run,
            "other_tests": outcomes.counts(other),
        }
        return json_report.assemble(
            kind="run",
            environment=self.environment,
            run=run,
            shards=[shard],
            results=results,
            claims=claims,
        )

    # -- writing

    def _directory(self) -> Path:
        return Path(self.config.invocation_params.dir, self.config.getoption("report_dir"))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.config.getoption("no_report") or self.config.getoption("collectonly"):
            return
        if not self.environment:
            self.environment = environment.collect()
        document = self.build()
        if not document["results"] and not document.get("claims"):
            self.problem = "no conformance results; nothing written"
            return
        try:
            json_report.validate(document)
        except Exception as exc:  # the report is still worth writing; say what is off
            self.problem = f"report does not follow report/schema.json: {exc}".splitlines()[0]
        if self.baseline is not None:
            ignore = [
                d.strip()
                for given in self.config.getoption("baseline_ignore_dimension")
                for d in given.split(",")
                if d.strip()
            ]
            self.diff = diffing.compare(self.baseline, document, ignore=ignore)
            document["baseline"] = diff_pages.baseline_summary(
                self.diff, str(self.config.getoption("baseline"))
            )
            self._gate(session, document, self.diff)
        decided = verdict.decide(document)
        if decided.beyond_tests and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.gate = f"NOT CONFORMING: {'; '.join(decided.beyond_tests)}"
        self.document = document
        self.paths = json_report.write(document, self._directory(), self.diff)

    def _gate(self, session: pytest.Session, document: dict[str, Any], diff: diffing.Diff) -> None:
        """Against a baseline the run fails on regressions, not on failures it already had."""
        if diff.regressions:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.gate = f"{len(diff.regressions)} regressions: the run fails"
            return
        if session.exitstatus != pytest.ExitCode.TESTS_FAILED:
            return
        other = document["summary"]["other_tests"]
        if any(other[o] for o in outcomes.BAD):
            self.gate = "tests outside the matrix failed: the run fails"
            return
        excused = {c.key for c in diff.still_failing}
        failing = [
            tuple(r.get(d, interface.NONE) for d in diff.dimensions)
            for r in document["results"]
            if r["outcome"] in outcomes.BAD
        ]
        if all(key in excused for key in failing):
            session.exitstatus = pytest.ExitCode.OK
            self.gate = (
                f"no regressions; the {len(failing)} failing cells failed in the baseline "
                "too: exit status 0"
            )
        else:
            self.gate = "failing cells the baseline does not excuse (fixed known failures): failed"

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.config.invocation_params.dir))
        except ValueError:
            return str(path)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.config.getoption("no_report") or self.config.getoption("collectonly"):
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", "nnconform report")
        if self.problem:
            write(f"nnconform report: {self.problem}")
        if self.paths is None or self.document is None:
            return
        write(f"nnconform report: {self._shown(self.paths['html'])} (json, md beside it)")
        if self.diff is not None:
            write(
                f"nnconform baseline: {self._shown(self.paths['diff'])}: "
                f"{diff_pages.verdict(self.diff)}; {diff_pages.counts_line(self.diff)}"
            )
        if self.gate:
            write(f"  {self.gate}")
        spent = verdict.false_alarm_line(self.document["summary"])
        if spent:
            write(f"  statistics: {spent}")
        summary = self.document["summary"]
        for prop, tally in summary["by_property"].items():
            write(f"  {prop}: {outcomes.rollup(tally)}")
        if any(summary["other_tests"].values()):
            write(f"  other tests: {outcomes.rollup(summary['other_tests'])}")
        claims = self.document.get("claims") or []
        if claims:
            # Every chapter claim with its outcome, one per line (several devices: worst).
            by_id: dict[str, list[dict]] = {}
            for claim in claims:
                by_id.setdefault(claim["id"], []).append(claim)
            write(f"chapter claims: {len(by_id)}")
            for claim_id, seen in by_id.items():
                outcome = outcomes.worst([c["outcome"] for c in seen])
                symbol = outcomes.SYMBOL[outcome]
                write(f"  {symbol} {outcome:<11} {claim_id}: {seen[0]['claim']}")
