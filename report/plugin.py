"""pytest plugin: records every conformance cell and writes the report at session end.

Loaded with `-p report.plugin`. Under pytest-xdist each worker attaches what it knows
about a test to `report.user_properties` (which xdist ships to the controller), and only
the controller writes the report.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from report import environment, json_report, outcomes, record

DEFAULT_REPORT_DIR = "reports"
DEFAULT_IMPL = "torch.nn"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nnconform report")
    group.addoption(
        "--report-dir",
        default=DEFAULT_REPORT_DIR,
        help="directory for conformance.json/.md/.html (default: %(default)s)",
    )
    group.addoption("--no-report", action="store_true", help="write no conformance report")


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(ConformanceReport(config), "nnconform-report")


# ---- what tests use ----------------------------------------------------------------------


@pytest.fixture
def conformance_record(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test's entry in the report: fill "examples", overrides and "failure"."""
    entry = record.new_record()
    request.node.stash[record.RECORD_KEY] = entry
    return entry


@pytest.fixture
def chapter_claim_record(conformance_record: dict[str, Any]) -> Callable[..., None]:
    """claim(id, text, outcome=None): list a chapter claim this test checks."""

    def claim(claim_id: str, claim_text: str, outcome: str | None = None) -> None:
        entry = {"id": str(claim_id), "claim": str(claim_text)}
        if outcome is not None:
            entry["outcome"] = outcome
        conformance_record.setdefault("claims", []).append(entry)

    return claim


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # A fresh list: pytest hands every phase's report the item's own list.
    kept = [(k, v) for k, v in report.user_properties if k != record.USER_PROPERTY]
    report.user_properties = [*kept, (record.USER_PROPERTY, record.payload(item))]
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


class ConformanceReport:
    """Collects test reports on the controller and writes the report at session end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.items: dict[str, _Item] = {}
        self.run_id = str(uuid.uuid4())
        self.started = datetime.now(timezone.utc)
        self.clock = time.perf_counter()
        self.environment: dict[str, Any] = {}
        self.paths: dict[str, Path] | None = None
        self.document: dict[str, Any] | None = None
        self.problem: str | None = None

    def pytest_sessionstart(self) -> None:
        # Before any test can flip a TF32 switch: the state the run was configured with.
        self.environment = environment.collect()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.outcome not in ("passed", "failed", "skipped"):
            return  # e.g. "rerun" from pytest-rerunfailures: only the final attempt counts
        item = self.items.setdefault(report.nodeid, _Item())
        item.phases[report.when] = record.phase_outcome(report)
        item.reports[report.when] = report
        item.duration += report.duration
        item.payload = _payload(report) or item.payload
        item.worker = _worker(report) or item.worker

    # -- assembling

    def _result(self, nodeid: str, item: _Item) -> tuple[dict | None, str, list]:
        """(result or None for an other test, outcome, claims) of one item."""
        outcome, reason, phase = record.combine(item.phases)
        payload = item.payload or {}
        entry = payload.get("record") or {}
        ident = payload.get("identity")
        place = record.cell(ident, entry) if ident else None
        claims = _claims(entry, outcome, nodeid, self.run_id, place and place["layer"])
        if place is None:
            return None, outcome, claims
        examples = entry.get("examples")
        result = {
            **place,
            "outcome": outcome,
            "examples": examples if isinstance(examples, int) and examples >= 0 else 0,
            "duration_s": round(item.duration, 6),
            "nodeid": nodeid,
            "shard": self.run_id,
        }
        if reason:
            result["reason"] = reason
        if outcome in outcomes.BAD or (outcome != "passed" and entry.get("failure")):
            details = record.failure(entry, item.reports.get(phase))
            if outcome == "failed" and reason and not entry.get("failure"):
                details["message"] = f"XPASS(strict): the known bug did not reproduce ({reason})"
            result["failure"] = details
        if item.worker:
            result["worker"] = item.worker
        return result, outcome, claims

    def _run(self, results: list[dict[str, Any]], workers: int) -> dict[str, Any]:
        given = record.jsonable(dict(getattr(self.config, "nnconform_run", None) or {}))
        seen_devices = sorted({r["device"] for r in results} - {record.MISSING})
        seen_dtypes = sorted({r["dtype"] for r in results} - {record.MISSING})
        seed = given.get("seed")
        return {
            **given,
            "devices": [record.param_text(d) for d in given.get("devices") or seen_devices],
            "dtypes": [record.param_text(d) for d in given.get("dtypes") or seen_dtypes],
            "impl": str(given.get("impl") or DEFAULT_IMPL),
            "profile": str(given["profile"]) if given.get("profile") else _hypothesis_profile(),
            "seed": seed if isinstance(seed, int | str) else None,
            "run_id": self.run_id,
            "started": self.started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - self.clock, 3),
            "args": [str(a) for a in self.config.invocation_params.args],
            "workers": workers,
        }

    def build(self) -> dict[str, Any]:
        results, claims, other = [], [], []
        for nodeid, item in self.items.items():
            result, outcome, found = self._result(nodeid, item)
            claims += found
            if result is None:
                other.append(outcome)
            else:
                results.append(result)
        workers = len({item.worker for item in self.items.values() if item.worker})
        run = self._run(results, workers)
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
        self.document = document
        self.paths = json_report.write(document, self._directory())

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


def _hypothesis_profile() -> str | None:
    try:
        from hypothesis import settings
    except ImportError:
        return None
    # Hypothesis keeps the loaded profile's name only privately; absent means unknown.
    name = getattr(settings, "_current_profile", None)
    return str(name) if name else None
