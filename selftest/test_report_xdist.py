"""Under pytest-xdist the controller's report holds the same cells as a serial run."""

from __future__ import annotations

import json

import pytest

from report import json_report
from selftest.test_report_fakes import CPU_EXPECTED, OTHER_TESTS, run_fake_suite, write_fake_suite

# Workers are fresh processes: importing Hypothesis costs each of them seconds. What xdist
# puts at risk is the record's trip to the controller, which the Hypothesis-free fake tests
# exercise fully (recorded failure, skips, xfail, claims), so the xdist run leaves it out.
NO_HYPOTHESIS = ("-p", "no:hypothesispytest", "--deselect", "tests/test_gradients.py")
KEYS = ("layer", "property", "device", "dtype", "outcome", "examples", "nodeid", "reason")


def results(pytester: pytest.Pytester, directory: str) -> dict:
    document = json.loads((pytester.path / directory / "conformance.json").read_text("utf-8"))
    json_report.validate(document)
    return document


def test_xdist_reports_the_same_cells_as_a_serial_run(pytester: pytest.Pytester):
    write_fake_suite(pytester)
    run_fake_suite(pytester, *NO_HYPOTHESIS, "-p", "xdist", "-n", "2", "--report-dir", "xdist")
    run_fake_suite(pytester, *NO_HYPOTHESIS, "--report-dir", "serial")
    parallel, serial = results(pytester, "xdist"), results(pytester, "serial")

    def essence(document: dict) -> list[tuple]:
        return [tuple(r.get(k) for k in KEYS) for r in document["results"]]

    assert essence(parallel) == essence(serial)
    expected = {k: v for k, v in CPU_EXPECTED.items() if k[1] != "gradients"}
    assert {e[:4]: e[4] for e in essence(parallel)} == expected
    strip = ("traceback",)  # pytest words a traceback slightly differently per process
    assert [
        {k: v for k, v in (r.get("failure") or {}).items() if k not in strip}
        for r in parallel["results"]
    ] == [
        {k: v for k, v in (r.get("failure") or {}).items() if k not in strip}
        for r in serial["results"]
    ]
    assert [(c["id"], c["outcome"]) for c in parallel["claims"]] == [
        (c["id"], c["outcome"]) for c in serial["claims"]
    ]
    assert parallel["summary"]["other_tests"] == serial["summary"]["other_tests"]
    assert parallel["summary"]["other_tests"]["passed"] == OTHER_TESTS
    # Only the controller wrote, and it knows which worker ran what.
    assert parallel["run"]["workers"] == 2
    assert {r["worker"] for r in parallel["results"]} <= {"gw0", "gw1"}
    assert serial["run"]["workers"] == 0
