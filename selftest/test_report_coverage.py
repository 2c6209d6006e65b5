"""Coverage in every cell and the denominator line, on the fake suite and on small documents."""

from __future__ import annotations

import json
import re

import pytest

from report import coverage, markdown
from selftest.test_report_diff import document, result
from selftest.test_report_fakes import CPU_EXPECTED, run_fake_suite, write_fake_suite


@pytest.fixture(scope="module")
def _pages() -> dict[str, str]:
    return {}


@pytest.fixture
def pages(pytester: pytest.Pytester, _pages: dict[str, str]) -> dict[str, str]:
    if not _pages:
        write_fake_suite(pytester)
        run_fake_suite(pytester)
        out = pytester.path / "reports"
        for name in ("json", "md", "html"):
            _pages[name] = (out / f"conformance.{name}").read_text(encoding="utf-8")
    return _pages


def test_the_denominator_counts_what_ran_of_what_was_possible(pages):
    found = coverage.denominator(json.loads(pages["json"]))
    # 4 layers x (forward: 2 devices x 2 dtypes; shape: 2 devices; init, errors, gradients,
    # claims: 1 each) = 4 x 10.
    assert (found.layers, found.properties, found.possible) == (4, 6, 40)
    ran = [o for o in CPU_EXPECTED.values() if coverage.ran(o)]
    assert found.ran == len(ran) == 11
    assert {o: n for o, n in found.not_run.items() if n} == {
        "skipped": 1,
        "not-in-release": 1,
        "not-present": 4,
    }
    assert found.untested == 40 - 11 - 6
    # Classes count once per layer and property, however many of its cells covered them.
    results = json.loads(pages["json"])["results"]
    expected = {(r["layer"], r["property"], c) for r in results for c in r.get("coverage", [])}
    assert found.classes == len(expected) > 2
    line = found.line()
    assert line.startswith("11 of 40 possible cells ran (4 layers × 6 properties × 2 devices")
    assert f"{len(expected)} hyperparameter classes" in line
    assert f"**Coverage** {markdown.escape(line)}" in pages["md"]
    assert '<p class="denominator"><b>Coverage</b>' in pages["html"]


def test_every_matrix_cell_shows_its_examples_and_classes(pages):
    md = pages["md"]
    matrix = md[md.index("## Matrix") : md.index("## By property")]
    rows = [line for line in matrix.splitlines() if line.startswith("| ") and "layer" not in line]
    filled = [cell for row in rows for cell in row.split("|")[2:-1] if cell.strip()]
    assert filled and all(re.search(r"<sub>\d+ ex · \d+ cl</sub>", cell) for cell in filled)
    linear = next(row for row in rows if row.startswith("| Linear"))
    # 5 + 5 examples (derandomized); width small and large, and the layer's own class.
    # The absent GPU's columns are not drawn, only named under the matrix.
    assert "ok ok<br><sub>10 ex · 3 cl</sub>" in linear
    page = pages["html"]
    assert page.count('<div class="cov"') == len(filled)
    assert '<div class="cov" title="layer=Linear, width=large, width=small">10 ex · 3 cl' in page


def test_a_run_without_recorded_classes_shows_examples_alone():
    doc = document(result("Linear", "passed", examples=12))
    doc["summary"] = {}
    assert coverage.denominator(doc).classes is None
    assert coverage.cell_text(12, None) == "12 ex"
    assert coverage.cell_text(1200, 3) == "1,200 ex · 3 cl"


def test_the_denominator_counts_interactions_met_whole():
    met = result("Conv2d", "passed", examples=40)
    met.update(interactions=["one channel, batched"], interactions_possible=1)
    missed = result("Conv2d", "passed", examples=40, dtype="float64", nodeid="y")
    missed.update(interactions=[], interactions_possible=1)
    found = coverage.denominator(document(met, missed))
    assert found.interactions == (1, 2)
    assert "1 of 2 possible interactions (three classes or more) met" in found.line()
    assert coverage.denominator(document(result("Linear", "passed"))).interactions is None


def test_merged_shards_count_a_cell_once_and_as_run_if_any_shard_ran_it():
    cpu = result("Linear", "not-present", device="cuda:0", isa="-", examples=0)
    gpu = result("Linear", "passed", device="cuda:0", isa="-", shard="b", nodeid="x")
    doc = document(cpu, gpu)
    doc["results"][1]["shard"] = "b"
    doc["run"]["devices"] = ["cpu", "cuda:0"]
    found = coverage.denominator(doc)
    assert (found.ran, sum(found.not_run.values())) == (1, 0)
    # Linear forward: cpu with its 1 kernel set, cuda:0 without one; 1 dtype, 1 path.
    assert found.possible == 2
