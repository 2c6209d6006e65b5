"""The report's small pieces: outcome order, JSON cleaning, test-id parsing, schema, docs."""

from __future__ import annotations

import json
import re

import jsonschema
import numpy as np

from report import interface, json_report, outcomes, record
from selftest.test_report_fakes import REPO


def test_worst_outcome_ranks_absence_lowest_and_failure_highest():
    assert outcomes.worst(["not-present", "passed"]) == "passed"
    assert outcomes.worst(["passed", "skipped"]) == "skipped"
    assert outcomes.worst(["xfailed", "error", "failed", "passed"]) == "failed"
    assert set(outcomes.SYMBOL) == set(outcomes.SEVERITY) == outcomes.OUTCOMES


def test_jsonable_unwraps_numpy_and_spells_out_non_finite_values():
    cleaned = interface.jsonable(
        {"e": np.float32(0.25), "i": (np.int64(1), 2), "nan": float("nan"), "m": -np.inf}
    )
    assert cleaned == {"e": 0.25, "i": [1, 2], "nan": "nan", "m": "-inf"}
    json.dumps(cleaned, allow_nan=False)


def test_hypothesis_examples_are_read_from_pytest_output():
    text = (
        "E       AssertionError: bad\n"
        "E       Falsifying example: test_forward(\n"
        "E           layer=Conv2d,\n"
        "E           data=data(...),\n"
        "E       )\n"
        "E       Draw 1 (hp): {'stride': 2}\n"
        "\n"
        "tests/test_forward.py:12: AssertionError\n"
    )
    assert record.hypothesis_example(text) == (
        "Falsifying example: test_forward(\n    layer=Conv2d,\n    data=data(...),\n)"
    )
    assert record.hypothesis_example("AssertionError: no example here") == ""


def test_the_schema_is_valid_draft_2020_12():
    schema = json_report.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    major = json_report.SCHEMA_VERSION.split(".")[0]
    assert schema["properties"]["schema_version"]["pattern"].startswith(f"^{major}")


def test_docs_describe_every_field_of_the_schema():
    docs = (REPO / "docs/report.md").read_text(encoding="utf-8")
    defs = json_report.schema()["$defs"]
    documented = set(re.findall(r"`([a-z_0-9]+)`", docs))
    for part in ("result", "failure", "run", "shard", "claim", "summary", "environment"):
        missing = set(defs[part]["properties"]) - documented
        assert not missing, f"docs/report.md does not describe {part} fields {sorted(missing)}"
    assert set(json_report.schema()["properties"]) <= documented
    assert all(f"`{o}`" in docs for o in outcomes.SEVERITY)


def test_the_published_schema_follows_the_code():
    """schema.json is published for other tools, so it is a file; it must say what the
    code's one definitions say: a cell's dimensions (interface.Cell), the run's lists of
    them, and the outcomes (report/outcomes.py)."""
    defs = json_report.schema()["$defs"]
    # A dimension added within 2.x is optional in the schema (older reports lack it).
    assert {"layer", "property", "device", "dtype"} <= set(defs["result"]["required"])
    assert set(interface.DIMENSIONS) <= set(defs["result"]["properties"])
    assert {d.run_key for d in interface.SUB_DIMENSIONS} <= set(defs["run"]["properties"])
    assert defs["outcome"]["enum"] == list(outcomes.SEVERITY)
