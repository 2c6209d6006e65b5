"""Merging shard reports: nothing lost, nothing counted twice, the worst outcome shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report import json_report, markdown, matrix, merge
from report.__main__ import main
from selftest.test_report_fakes import CPU_EXPECTED, run_fake_suite, write_fake_suite

GPU_FILES = ("tests/test_forward.py", "tests/test_shape.py")


@pytest.fixture(scope="module")
def _texts() -> dict[str, str]:
    return {}


@pytest.fixture
def shards(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, _texts: dict[str, str]
) -> tuple[Path, Path]:
    """A CPU job's report and a GPU job's report (FAKE_GPU: CUDA present, CPU not).

    The two fake runs happen once per module; each test gets its own copies of the files.
    """
    if not _texts:
        write_fake_suite(pytester)
        run_fake_suite(pytester, "--report-dir", "cpu")
        monkeypatch.setenv("FAKE_GPU", "1")
        run_fake_suite(pytester, "--report-dir", "gpu", *GPU_FILES)
        for name in ("cpu", "gpu"):
            _texts[name] = (pytester.path / name / "conformance.json").read_text("utf-8")
    paths = []
    for name in ("cpu", "gpu"):
        path = pytester.path / f"{name}-shard.json"
        path.write_text(_texts[name], encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_merge_keeps_every_result_once_and_dedups_a_repeated_shard(shards, tmp_path, capsys):
    cpu, gpu = shards
    assert main(["merge", "--out", str(tmp_path), str(cpu), str(gpu), str(cpu)]) == 0
    assert "nnconform report:" in capsys.readouterr().out
    merged = json_report.load(tmp_path / "conformance.json")
    a, b = load(cpu), load(gpu)
    assert merged["kind"] == "merged"
    assert [s["run_id"] for s in merged["shards"]] == [a["run"]["run_id"], b["run"]["run_id"]]
    assert len(merged["results"]) == len(a["results"]) + len(b["results"])
    assert merged["summary"]["other_tests"]["passed"] == (
        a["summary"]["other_tests"]["passed"] + b["summary"]["other_tests"]["passed"]
    )
    assert len(merged["claims"]) == len(a["claims"])  # the GPU job ran no claim tests
    for outcome, n in merged["summary"]["by_outcome"].items():
        assert n == a["summary"]["by_outcome"][outcome] + b["summary"]["by_outcome"][outcome]
    assert (tmp_path / "conformance.md").exists() and (tmp_path / "conformance.html").exists()


def _key(device: str, dtype: str) -> tuple:
    """A sub-cell's key on eager, the other dimensions at their defaults."""
    return matrix.sub_key({"device": device, "dtype": dtype, "path": "eager", "switch": "default"})


def test_the_same_cell_from_two_machines_shows_the_worse_outcome(shards):
    merged = merge.merge([load(p) for p in shards])
    m = matrix.build(merged)
    # cuda:0: not present on the CPU machine, passed on the GPU machine.
    cuda = m.sub("Linear", "forward", _key("cuda:0", "float32"))
    assert sorted(r["outcome"] for r in cuda.results) == ["not-present", "passed"]
    assert cuda.outcome == "passed"
    # cpu float64: failed on the CPU machine, not present on the GPU machine.
    assert m.sub("Conv2d", "forward", _key("cpu", "float64")).outcome == "failed"
    page = markdown.render(merged)
    assert "| Conv2d |" in page and "ok FAIL ok ok" in page
    assert page.count(" (cpu, cuda:0) ") >= 2  # one environment column per shard


def test_merging_a_merged_report_again_changes_nothing(shards, tmp_path):
    cpu, gpu = shards
    once = merge.merge([load(cpu), load(gpu)])
    again = merge.merge([once, load(gpu), load(cpu)])
    assert again["run"]["run_id"] == once["run"]["run_id"]  # named by its shards
    assert again["results"] == once["results"]
    assert again["summary"] == once["summary"]
    json_report.validate(again)


def test_shared_settings_stay_and_differing_ones_become_null(shards):
    cpu, gpu = (load(p) for p in shards)
    gpu["run"]["seed"] = 99
    gpu["shards"][0]["run"]["seed"] = 99
    merged = merge.merge([cpu, gpu])
    assert merged["run"]["seed"] is None
    assert merged["run"]["profile"] == "ci"
    assert merged["environment"]["torch"] == cpu["environment"]["torch"]
    assert merged["run"]["devices"] == ["cpu", "cuda:0"]


def test_merge_refuses_a_file_that_is_not_a_report(tmp_path, capsys):
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"schema_version": "2.0"}), encoding="utf-8")
    assert main(["merge", "--out", str(tmp_path / "out"), str(bogus)]) == 2
    assert "python -m report merge:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cpu_shard_is_the_plain_fake_run(shards):
    cpu, _ = shards
    cells = {
        (r["layer"], r["property"], r["device"], r["dtype"]): r["outcome"]
        for r in load(cpu)["results"]
    }
    assert cells == CPU_EXPECTED


def test_one_run_over_two_kernel_sets_keeps_both_and_shards_unite_their_dimensions(shards):
    cpu, gpu = (load(p) for p in shards)
    # One run with --cpu-isa avx2,avx512 tests every node once per kernel set.
    first = cpu["results"][0]
    twin = {**first, "isa": "avx512", "outcome": "skipped", "reason": "not this set"}
    cpu["results"].append(twin)
    cpu["run"]["isas"] = cpu["shards"][0]["run"]["isas"] = ["avx2", "avx512"]
    gpu["run"]["paths"] = gpu["shards"][0]["run"]["paths"] = ["eager", "compile:inductor"]
    merged = merge.merge([cpu, gpu])
    kept = [r for r in merged["results"] if r["nodeid"] == first["nodeid"]]
    assert sorted(r["isa"] for r in kept if r["shard"] == first["shard"]) == sorted(
        [first["isa"], "avx512"]
    )
    assert merged["run"]["isas"] == ["avx2", "avx512"]
    assert merged["run"]["paths"][-1] == "compile:inductor"
    json_report.validate(merged)
