"""Runs that span machines: shards split by recorded durations (pytest-split), merged with
`python -m report merge`, equal a one-machine run: same cells, outcomes, example counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report import json_report
from report.__main__ import main
from selftest.test_report_fakes import run_fake_suite, write_fake_suite

SHARDS = 2
# What a cell is and what it found; where and when it ran (shard, worker, duration) differ.
CELL = ("layer", "property", "device", "dtype", "path", "isa")
FOUND = ("outcome", "examples", "coverage", "reason", "nodeid")


def essence(document: dict) -> dict[tuple, tuple]:
    found = {}
    for r in document["results"]:
        key = tuple(r[k] for k in CELL)
        assert key not in found, f"cell {key} reported twice"
        found[key] = tuple(str(r.get(k)) for k in FOUND)
    return found


def test_two_shards_merged_equal_one_machine(pytester: pytest.Pytester, tmp_path: Path):
    pytest.importorskip("pytest_split", reason="shards are split by pytest-split (pip install it)")
    write_fake_suite(pytester)
    durations = pytester.path / ".test_durations"
    # The one-machine run also records each test's duration, as the CI recipe's nightly does.
    run_fake_suite(
        pytester, "--report-dir", "whole", "--store-durations", "--durations-path", str(durations)
    )
    recorded = json.loads(durations.read_text(encoding="utf-8"))
    assert "tests/test_forward.py::test_forward[Conv2d-cpu-float64]" in recorded
    # Split on equal durations, not the measured ones: on a loaded machine one slow test
    # could fill a whole group by itself and leave it no cell (seen under -n 2).
    durations.write_text(json.dumps(dict.fromkeys(recorded, 1.0)), encoding="utf-8")

    shard_reports = []
    for group in range(1, SHARDS + 1):
        shard = run_fake_suite(
            pytester,
            "--report-dir",
            f"shard{group}",
            "--splits",
            str(SHARDS),
            "--group",
            str(group),
            "--durations-path",
            str(durations),
            "--splitting-algorithm",
            "least_duration",
        )
        shard.stdout.fnmatch_lines([f"*Running group {group}/{SHARDS}*"])
        shard_reports.append(str(pytester.path / f"shard{group}" / "conformance.json"))

    shards = [json_report.load(p) for p in shard_reports]
    assert all(s["results"] for s in shards), "a shard ran no cell: the split is not a split"
    assert main(["merge", "--out", str(tmp_path / "merged"), *shard_reports]) == 0
    merged = json_report.load(tmp_path / "merged" / "conformance.json")
    whole = json_report.load(pytester.path / "whole" / "conformance.json")

    assert essence(merged) == essence(whole)
    assert merged["summary"]["by_outcome"] == whole["summary"]["by_outcome"]
    assert merged["summary"]["other_tests"] == whole["summary"]["other_tests"]
    assert sorted((c["id"], c["outcome"]) for c in merged["claims"]) == sorted(
        (c["id"], c["outcome"]) for c in whole["claims"]
    )
    # The shards shared their settings, so the merged run states them as one run did.
    for field in ("devices", "dtypes", "paths", "isas", "impl", "profile", "seed"):
        assert merged["run"][field] == whole["run"][field], field
