"""Comparing two reports: each change lands in its kind, regressions gate, dimensions can be
left out of the key; and the same on real runs of the fake suite, by command and --baseline."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from report import diff as diffing, diff_pages, json_report
from report.__main__ import main
from selftest.test_report_fakes import run_fake_suite, write_fake_suite


def result(layer: str, outcome: str, **fields: Any) -> dict[str, Any]:
    prop = fields.pop("property", "forward")
    found = {
        "layer": layer,
        "property": prop,
        "device": "cpu",
        "dtype": "float32",
        "path": "eager",
        "isa": "avx2",
        "outcome": outcome,
        "examples": 30,
        "nodeid": f"tests/test_{prop}.py::test_{prop}[{layer}-cpu-float32]",
        "shard": "run-a",
    }
    return found | fields


def document(*results: dict[str, Any], torch: str = "2.13.0", run_id: str = "run-a") -> dict:
    run = {
        "devices": ["cpu"],
        "dtypes": ["float32"],
        "paths": ["eager"],
        "isas": ["avx2"],
        "impl": "torch.nn",
        "profile": "ci",
        "seed": 7,
        "run_id": run_id,
        "args": [],
    }
    shard = {"run_id": run_id, "run": run, "environment": {"torch": torch}}
    kept = [r | {"shard": run_id} for r in results]
    return {"environment": {"torch": torch}, "run": run, "shards": [shard], "results": kept}


def kinds(d: diffing.Diff) -> dict[str, list[str]]:
    """kind -> the layers of its changes."""
    names = [n for n, _, _ in diff_pages.SECTIONS] + [n for n, _, _ in diff_pages.COVERAGE_SECTIONS]
    return {n: [c.key[0] for c in getattr(d, n)] for n in names if getattr(d, n)}


def test_each_change_lands_in_its_kind():
    failure = {"message": "broke", "example": "", "repro": ""}
    base = document(
        result("Regressed", "passed"),
        result("WasKnown", "xfailed"),
        result("KnownGone", "xfailed"),
        result("KnownFixedStrict", "xfailed"),
        result("Fixed", "failed", failure=failure),
        result("Still", "failed", failure=failure),
        result("NowKnown", "failed", failure=failure),
        result("Skipped", "passed"),
        result("Started", "not-applicable"),
        result("Removed", "passed"),
        result("NotPresentBefore", "not-present"),
    )
    new = document(
        result("Regressed", "failed", failure=failure),
        result("WasKnown", "failed", failure=failure),  # not marked as a fixed known bug
        result("KnownGone", "passed"),
        result("KnownFixedStrict", "failed", failure=failure, known_failure_fixed=True),
        result("Fixed", "passed"),
        result("Still", "crashed", failure=failure),
        result("NowKnown", "xfailed"),
        result("Skipped", "skipped", reason="no time"),
        result("Started", "passed"),
        result("NotPresentBefore", "error", failure=failure),
        result("Added", "passed"),
        result("AddedFailing", "failed", failure=failure),
    )
    found = diffing.compare(base, new)
    assert kinds(found) == {
        "regressions": ["AddedFailing", "NotPresentBefore", "Regressed", "WasKnown"],
        "fixes": ["Fixed", "KnownFixedStrict", "KnownGone"],
        "still_failing": ["Still"],
        "other_changes": ["NowKnown"],
        "added": ["Added"],
        "removed": ["Removed"],
        "no_longer_run": ["Skipped"],
        "now_run": ["Started"],
    }
    assert found.exit_code == 1
    assert found.no_longer_run[0].note == "skipped: no time"


def test_no_regression_exits_zero_and_coverage_changes_are_counted():
    base = document(
        result("Linear", "passed", examples=30, coverage=["bias=True", "bias=False"]),
        result("Conv2d", "passed", examples=30, coverage=["groups=1"]),
    )
    new = document(
        result("Linear", "passed", examples=10, coverage=["bias=True"]),
        result("Conv2d", "passed", examples=20, coverage=["groups=1", "groups=2"]),
    )
    found = diffing.compare(base, new)
    assert found.exit_code == 0 and not found.regressions
    assert [c.key[0] for c in found.fewer_examples] == ["Linear"]  # 10 < 30 / 2; 20 is not
    assert {c.key[0]: c.note for c in found.classes_changed} == {
        "Conv2d": "+groups=2",
        "Linear": "-bias=False",
    }
    assert (found.base.classes, found.new.classes) == (3, 3)
    assert found.coverage_changes == 3


def test_two_kernel_sets_match_once_the_isa_is_left_out():
    base = document(result("Linear", "passed", isa="avx2"), result("Conv2d", "passed", isa="avx2"))
    new = document(
        result("Linear", "passed", isa="avx512"),
        result("Conv2d", "failed", isa="avx512", failure={"message": "avx512 conv"}),
    )
    keyed = diffing.compare(base, new)
    assert len(keyed.added) == 1 and len(keyed.removed) == 2  # the failing one is a regression
    assert "--ignore-dimension isa" in keyed.hint
    across = diffing.compare(base, new, ignore=["isa"])
    assert kinds(across) == {"regressions": ["Conv2d"]}
    assert across.dimensions == ("layer", "property", "device", "dtype", "path", "switch")
    assert not across.hint


def test_one_report_holding_both_kernel_sets_compares_with_itself():
    both = document(
        result("Linear", "passed", isa="avx2"),
        result("Linear", "failed", isa="avx512", failure={"message": "x"}),
    )
    found = diffing.compare(
        both,
        both,
        ignore=["isa"],
        where_base=diffing.parse_where(["isa=avx2"]),
        where_new=diffing.parse_where(["isa=avx512"]),
    )
    assert kinds(found) == {"regressions": ["Linear"]}


def test_several_results_on_one_key_count_as_their_worst():
    base = document(result("Linear", "passed"))
    new = document(
        result("Linear", "passed", nodeid="a"),
        result("Linear", "failed", nodeid="b", failure={"message": "shard two"}),
    )
    (change,) = diffing.compare(base, new).regressions
    assert change.new is not None and change.new.examples == 60


def test_bad_dimensions_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="cannot ignore layer"):
        diffing.compare(document(), document(), ignore=["layer"])
    with pytest.raises(ValueError, match="DIMENSION=VALUE"):
        diffing.parse_where(["colour=red"])
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}", encoding="utf-8")
    assert main(["diff", str(bogus), str(bogus)]) == 2
    assert "python -m report diff:" in capsys.readouterr().err


# ---- on real runs of the fake suite ----------------------------------------------------------


@pytest.fixture(scope="module")
def _runs() -> dict[str, str]:
    return {}


@pytest.fixture
def pair(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, _runs: dict[str, str]
) -> tuple[Path, Path]:
    """The fake suite's report (base) and its "next release" (FAKE_NEW), once per module."""
    write_fake_suite(pytester)
    if not _runs:
        run_fake_suite(pytester, "--report-dir", "base")
        monkeypatch.setenv("FAKE_NEW", "1")
        run_fake_suite(pytester, "--report-dir", "new")
        monkeypatch.delenv("FAKE_NEW")
        for name in ("base", "new"):
            _runs[name] = (pytester.path / name / "conformance.json").read_text("utf-8")
    paths = []
    for name in ("base", "new"):
        path = pytester.path / f"{name}.json"
        path.write_text(_runs[name], encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


class _Balance(HTMLParser):
    VOID = frozenset({"meta", "br"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag


def test_diff_command_lists_regressions_first_and_gates(pair, tmp_path, capsys):
    base, new = pair
    assert main(["diff", str(base), str(new), "--html", str(tmp_path / "d.html")]) == 1
    page = capsys.readouterr().out
    order = ["**REGRESSIONS: 1 cell", "## Regressions (1)", "## Fixes (2)", "## Still failing"]
    assert [page.index(s) for s in order] == sorted(page.index(s) for s in order)
    assert page.index("## Still failing") < page.index("## Coverage")
    regressions = page[page.index("## Regressions") : page.index("## Fixes")]
    assert "Linear · forward · cpu · float32" in regressions
    assert "replay: `pytest 'tests/test_forward.py::test_forward[Linear-cpu-float32]'" in page
    fixes = page[page.index("## Fixes") : page.index("## Still failing")]
    assert "Conv2d · forward · cpu · float64" in fixes
    assert "Linear · init" in fixes and "no longer reproduces" in fixes
    balance = _Balance()
    balance.feed((tmp_path / "d.html").read_text(encoding="utf-8"))
    assert balance.stack == []
    # Reversed, the fixed Conv2d is what regressed, and the broken Linear is a fix.
    assert main(["diff", str(new), str(base), "--out", str(tmp_path / "back.md")]) == 1
    back = (tmp_path / "back.md").read_text(encoding="utf-8")
    regressions = back[back.index("## Regressions") : back.index("## Fixes")]
    assert "Conv2d · forward · cpu · float64" in regressions
    assert "Linear · forward · cpu · float32" in back[back.index("## Fixes") :]
    capsys.readouterr()
    assert main(["diff", str(base), str(base)]) == 0
    assert "NO REGRESSIONS" in capsys.readouterr().out


def test_baseline_option_writes_the_diff_and_gates_on_regressions(
    pair, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    base, _ = pair
    # The same release again: every failure is the baseline's own, so the run passes.
    same = run_fake_suite(pytester, "--report-dir", "same", "--baseline", str(base))
    assert same.ret == pytest.ExitCode.OK
    same.stdout.fnmatch_lines(["nnconform baseline: same/conformance-diff.md: NO REGRESSIONS*"])
    document = json_report.load(pytester.path / "same" / "conformance.json")
    assert document["baseline"]["regressions"] == 0
    assert document["baseline"]["still_failing"] == 5
    monkeypatch.setenv("FAKE_NEW", "1")
    broken = run_fake_suite(pytester, "--report-dir", "next", "--baseline", str(base))
    assert broken.ret == pytest.ExitCode.TESTS_FAILED
    md = (pytester.path / "next" / "conformance.md").read_text(encoding="utf-8")
    assert md.index("## Against the baseline") < md.index("## Failures")
    assert (pytester.path / "next" / "conformance-diff.md").exists()
    assert "Against the baseline" in (pytester.path / "next" / "conformance.html").read_text(
        encoding="utf-8"
    )


def test_an_unreadable_baseline_stops_the_run_before_it_starts(pytester: pytest.Pytester):
    write_fake_suite(pytester)
    result = run_fake_suite(pytester, "--baseline", "missing.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--baseline missing.json" in result.stderr.str()
    assert not (pytester.path / "reports").exists()


def test_known_failure_fixed_is_recorded(pair):
    _, new = pair
    results = json.loads(new.read_text(encoding="utf-8"))["results"]
    fixed = {r["layer"] for r in results if r.get("known_failure_fixed")}
    assert fixed == {"Linear", "Conv2d"}  # the fake suite's init cells: both bugs are gone
