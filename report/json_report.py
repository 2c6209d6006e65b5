"""The report document: assembling it, its summary, its schema, reading and writing it."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from report import outcomes
from report.interface import DIMENSIONS

SCHEMA_VERSION = "2.5"
SCHEMA_PATH = Path(__file__).with_name("schema.json")
JSON_NAME = "conformance.json"
MD_NAME = "conformance.md"
HTML_NAME = "conformance.html"
DIFF_NAME = "conformance-diff.md"


def result_order(result: dict[str, Any]) -> tuple:
    """A fixed order, so a serial run and an xdist run write the same file."""
    keys = (*DIMENSIONS, "nodeid", "shard")
    return tuple(result.get(k, "") for k in keys)


def claim_order(claim: dict[str, Any]) -> tuple:
    return claim["id"], claim["nodeid"], claim["shard"]


def summarize(
    results: list[dict[str, Any]], claims: list[dict[str, Any]], shards: list[dict[str, Any]]
) -> dict[str, Any]:
    """Counts by outcome, by property, of the other tests and of the claims."""
    by_property: dict[str, list[str]] = {}
    for result in results:
        by_property.setdefault(result["property"], []).append(result["outcome"])
    other = outcomes.counts([])
    for shard in shards:
        for outcome, n in shard["other_tests"].items():
            other[outcome] += n
    return {
        "total": len(results),
        "by_outcome": outcomes.counts([r["outcome"] for r in results]),
        "by_property": {p: outcomes.counts(o) for p, o in sorted(by_property.items())},
        "other_tests": other,
        "claims": outcomes.counts([c["outcome"] for c in claims]),
        "shards": len(shards),
    }


def false_alarm(results: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any] | None:
    """The statistical assertions the run made, and the false-alarm probability they spent
    (a union bound) against the budget the run declared; None if it declared none."""
    budget = run.get("false_alarm_budget")
    if not budget:
        return None
    assertions = sum(r.get("statistical_assertions", 0) for r in results)
    return {
        "assertions": assertions,
        "alpha": budget["alpha"],
        "budget": budget["budget"],
        "bound": assertions * budget["alpha"],
    }


def assemble(
    *,
    kind: str,
    environment: dict[str, Any],
    run: dict[str, Any],
    shards: list[dict[str, Any]],
    results: list[dict[str, Any]],
    claims: list[dict[str, Any]],
) -> dict[str, Any]:
    """A complete report document, results and claims in their fixed order."""
    results = sorted(results, key=result_order)
    claims = sorted(claims, key=claim_order)
    document = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "environment": environment,
        "run": run,
        "shards": shards,
        "results": results,
        "summary": summarize(results, claims, shards),
    }
    spent = false_alarm(results, run)
    if spent is not None:
        document["summary"]["false_alarm"] = spent
    if claims:
        document["claims"] = claims
    return document


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(document: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless the document follows report/schema.json."""
    import jsonschema

    jsonschema.Draft202012Validator(schema()).validate(document)


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a report written by this or another machine."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    validate(document)
    return document


def _write_text(path: Path, text: str) -> None:
    # Write beside and rename, so a CI step never reads half a report.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write(
    document: dict[str, Any], directory: str | os.PathLike, diff: Any = None
) -> dict[str, Path]:
    """Write conformance.json, .md and .html into directory; return their paths.

    `diff` (a report.diff.Diff against a baseline): its section goes into both pages, and
    the whole comparison into conformance-diff.md beside them.
    """
    from report import diff_pages, html, markdown

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / JSON_NAME, "md": out / MD_NAME, "html": out / HTML_NAME}
    section_md = section_html = ""
    if diff is not None:
        paths["diff"] = out / DIFF_NAME
        section_md = diff_pages.render_markdown(diff, "##", "Against the baseline")
        section_html = diff_pages.render_html_section(diff)
        _write_text(paths["diff"], diff_pages.render_markdown(diff) + "\n")
    _write_text(paths["json"], json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    _write_text(paths["md"], markdown.render(document, section_md))
    _write_text(paths["html"], html.render(document, section_html))
    return paths
