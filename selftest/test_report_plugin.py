"""The report plugin on a fake suite: JSON per schema, failures first, escaping, options."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
import torch

from report import json_report, markdown
from selftest.test_report_fakes import (
    CPU_EXPECTED,
    NOT_MINIMAL,
    OTHER_TESTS,
    REPRO,
    cells,
    run_fake_suite,
    write_fake_suite,
)

FAILING = "tests/test_forward.py::test_forward[Conv2d-cpu-float64]"


@dataclass(frozen=True)
class FakeRun:
    ret: int
    stdout: list[str]
    document: dict
    md: str
    page: str


@pytest.fixture(scope="module")
def _runs() -> dict[str, FakeRun]:
    return {}


@pytest.fixture
def fake_run(pytester: pytest.Pytester, _runs: dict[str, FakeRun]) -> FakeRun:
    """The fake suite's outputs; it runs once per module (~0.6 s) and the tests share them."""
    if "serial" not in _runs:
        write_fake_suite(pytester)
        result = run_fake_suite(pytester)
        out = pytester.path / "reports"
        _runs["serial"] = FakeRun(
            ret=result.ret,
            stdout=result.outlines,
            document=json.loads((out / "conformance.json").read_text(encoding="utf-8")),
            md=(out / "conformance.md").read_text(encoding="utf-8"),
            page=(out / "conformance.html").read_text(encoding="utf-8"),
        )
    return _runs["serial"]


def by_nodeid(document: dict, nodeid: str) -> dict:
    (found,) = [r for r in document["results"] if r["nodeid"] == nodeid]
    return found


def test_json_follows_the_schema_and_holds_every_cell(fake_run):
    document = fake_run.document
    assert fake_run.ret == pytest.ExitCode.TESTS_FAILED
    json_report.validate(document)
    assert document["schema_version"] == json_report.SCHEMA_VERSION
    assert cells(document) == CPU_EXPECTED
    assert document["summary"]["other_tests"]["passed"] == OTHER_TESTS
    assert document["summary"]["by_property"]["forward"]["not-present"] == 4
    assert document["summary"]["total"] == len(CPU_EXPECTED)


def test_run_and_environment_come_from_the_conftest_and_this_machine(fake_run):
    document = fake_run.document
    run, env = document["run"], document["environment"]
    assert (run["devices"], run["dtypes"]) == (["cpu", "cuda:0"], ["float32", "float64"])
    assert (run["impl"], run["profile"], run["seed"]) == ("torch.nn", "ci", 1234)
    assert run["tolerance_c"] == 4  # extra keys the suite declares are kept
    assert env["torch"] == torch.__version__
    assert env["cuda_available"] == torch.cuda.is_available()
    assert set(env["tf32"]) == {"matmul_allow_tf32", "cudnn_allow_tf32", "float32_matmul_precision"}
    assert all(r["shard"] == run["run_id"] for r in document["results"])
    assert document["shards"][0]["run_id"] == run["run_id"]


def test_a_recorded_failure_keeps_every_detail(fake_run):
    document = fake_run.document
    failed = by_nodeid(document, FAILING)
    # The first example fails; Hypothesis replays it once more to report it.
    assert failed["examples"] == 2
    assert failed["failure"]["message"] == "forward differs from the reference"
    assert failed["failure"]["example"].startswith("Conv2d(3, 4, kernel_size=3")
    assert failed["failure"]["max_abs_error"] == 0.5
    assert failed["failure"]["max_rel_error"] == "inf"  # JSON has no infinity
    assert failed["failure"]["index"] == [0, 1, 2, 3]
    assert failed["failure"]["repro"] == REPRO


def test_an_example_not_shrunk_says_so_and_why(fake_run):
    failed = by_nodeid(fake_run.document, FAILING)
    assert failed["failure"]["not_minimal"] == NOT_MINIMAL
    shrunk = by_nodeid(fake_run.document, "tests/test_gradients.py::test_gradients[Linear]")
    assert "not_minimal" not in shrunk["failure"]
    gloss = f"(not shrunk: {NOT_MINIMAL})"
    assert f"**Example** {markdown.escape(gloss)}" in fake_run.md
    assert f"**Example** {markdown.escape('(shrunk)')}" in fake_run.md
    assert f"<b>Example</b> {html.escape(gloss)}" in fake_run.page


def test_failures_without_a_record_are_described_from_pytest(fake_run):
    document = fake_run.document
    plain = by_nodeid(document, "tests/test_errors.py::test_errors[Linear]")
    assert "ValueError was not raised" in plain["failure"]["message"]
    setup = by_nodeid(document, "tests/test_errors.py::test_errors_setup[Conv2d]")
    assert "fixture blew up" in setup["failure"]["message"]
    shrunk = by_nodeid(document, "tests/test_gradients.py::test_gradients[Linear]")
    assert "width=10" in shrunk["failure"]["example"]
    assert "width=10" not in shrunk["failure"]["message"]
    assert shrunk["examples"] > 1
    fixed = by_nodeid(document, "tests/test_init.py::test_init[Conv2d]")
    assert fixed["failure"]["message"] == "known torch bug 12345 no longer reproduces"
    known = by_nodeid(document, "tests/test_init.py::test_init[Linear]")
    assert (known["outcome"], known["failure"]["repro"]) == ("xfailed", "print(1)")
    passed = by_nodeid(document, "tests/test_forward.py::test_forward[Linear-cpu-float32]")
    assert passed["examples"] == 5


def test_skips_keep_their_reasons(fake_run):
    document = fake_run.document
    reasons = {r["outcome"]: r.get("reason") for r in document["results"]}
    assert reasons["not-present"] == "cuda:0 is not on this machine"
    assert reasons["not-in-release"] == "padding_mode='circular' needs a newer torch"
    assert reasons["skipped"] == "a plain skip"
    assert reasons["xfailed"] == "known torch bug 12345"


def test_claims_default_to_their_test_outcome(fake_run):
    document = fake_run.document
    claims = {c["id"]: (c["outcome"], c["layer"]) for c in document["claims"]}
    assert claims == {
        "lenet5-params": ("passed", "LeNet5"),
        "lenet5-layers": ("failed", "LeNet5"),
        "sequential-index": ("passed", None),
    }


def test_markdown_puts_failures_first(fake_run):
    md = fake_run.md
    assert md.index("## Failures (5)") < md.index("## Matrix") < md.index("## Environment")
    failures = md[md.index("## Failures") : md.index("## Matrix")]
    assert "### FAIL Conv2d · forward · cpu · float64" in failures
    # The repro holds ``` itself, so its fence must be longer.
    assert f"````python\n{REPRO}\n````" in failures
    assert "| Conv2d |" in md and "ok FAIL<br>" in md
    # A device every cell of which is not present takes no columns (issue 18): named once.
    assert "-- --" not in md and "Not drawn: cuda:0 (4 cells), not present on this machine." in md
    assert torch.__version__ in md.splitlines()[2]


class _Balance(HTMLParser):
    """Checks that every opened element is closed, in order."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag


def test_html_is_self_contained_escaped_and_opens_failing_cells(fake_run):
    page = fake_run.page
    balance = _Balance()
    balance.feed(page)
    assert balance.stack == []
    assert "<script" not in page and "<link" not in page
    assert html.escape(REPRO) in page
    assert "<b>&" not in page
    matrix = page[page.index("<h2>Matrix</h2>") :]
    assert '<details class="inline">' in matrix
    assert html.escape(REPRO) in matrix
    assert 'href="#failure-' in matrix


def test_terminal_names_the_report_and_rolls_up_per_property(fake_run):
    pytest.LineMatcher(fake_run.stdout).fnmatch_lines(
        [
            "nnconform report: reports/conformance.html (json, md beside it)",
            "  forward: 1 failed, 3 passed, 4 not-present",
        ]
    )


def test_no_report_writes_nothing(pytester: pytest.Pytester):
    write_fake_suite(pytester)
    result = run_fake_suite(pytester, "--no-report")
    assert not (pytester.path / "reports").exists()
    assert "nnconform report" not in result.stdout.str()


def test_report_dir_chooses_where(pytester: pytest.Pytester):
    write_fake_suite(pytester)
    result = run_fake_suite(pytester, "--report-dir", "out/conf", "tests/test_shape.py")
    assert (pytester.path / "out/conf/conformance.json").exists()
    assert not (pytester.path / "reports").exists()
    result.stdout.fnmatch_lines(["nnconform report: out/conf/conformance.html *"])


def test_a_run_without_conformance_cells_keeps_an_earlier_report(pytester: pytest.Pytester):
    write_fake_suite(pytester)
    result = run_fake_suite(pytester, "selftest", "tests/test_other.py")
    assert not (pytester.path / "reports").exists()
    result.stdout.fnmatch_lines(["nnconform report: no conformance results; nothing written"])
