"""conformance.md: a page that fits a CI job summary, failures first, then the matrix."""

from __future__ import annotations

import re
from typing import Any

from report import coverage, matrix, outcomes, text, verdict

# A GitHub job summary holds 1 MiB; past this many failures the JSON has the rest.
MAX_FAILURES_SHOWN = 50
# Longest message/example/repro shown in full; the JSON keeps every character.
MAX_BLOCK_CHARS = 3000

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def escape(value: object) -> str:
    """Inline text that Markdown shows as written, even inside a table cell."""
    return _SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


def code(value: object) -> str:
    """Inline code span that survives backticks in the value."""
    body = str(value).replace("\n", " ").replace("|", "\\|")
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def block(value: object, lang: str = "text") -> str:
    """A fenced code block, its fence longer than any backtick run inside."""
    body = str(value)
    if len(body) > MAX_BLOCK_CHARS:
        body = body[:MAX_BLOCK_CHARS] + "\n… (truncated; the full text is in conformance.json)"
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def _failure(result: dict[str, Any], shards: dict[str, dict[str, Any]], merged: bool) -> list[str]:
    failure = result.get("failure") or {"message": result["outcome"]}
    symbol = outcomes.SYMBOL[result["outcome"]]
    where = " · ".join(escape(value) for value in text.cell_values(result))
    lines = [f"### {symbol} {where}", "", code(result["nodeid"])]
    if merged and result["shard"] in shards:
        lines[-1] += f" — shard {escape(text.shard_label(shards[result['shard']]))}"
    lines += ["", "**Message**", "", block(failure["message"])]
    if failure.get("example"):
        title, _, gloss = text.example_heading(failure).partition(" ")
        lines += ["", f"**{title}** {escape(gloss)}", "", block(failure["example"])]
    errors = text.error_line(failure)
    if errors:
        lines += ["", escape(errors)]
    if failure.get("repro"):
        lines += ["", "**Repro**", "", block(failure["repro"], "python")]
    if result.get("replay"):
        lines += ["", "**Replay this cell**", "", block(result["replay"], "sh")]
    return [*lines, ""]


def _coverage(m: matrix.Matrix, layer: str, prop: str, recorded: bool) -> str:
    subs = m.row(layer, prop)
    classes = frozenset().union(*(s.classes for s in subs))
    pairs = coverage.fewest_pairs([s.pairs for s in subs])
    examples = sum(s.examples for s in subs)
    shown = coverage.cell_text(examples, len(classes) if recorded else None, pairs)
    return f"<br><sub>{escape(shown)}</sub>"


def _matrix(m: matrix.Matrix, recorded: bool) -> list[str]:
    headers = []
    for prop in m.properties:
        pairs = m.pairs[prop]
        if all(v == matrix.NONE for pair in pairs for v in pair):
            headers.append(escape(prop))
        else:
            order = " ".join(escape(m.label(p)) for p in pairs)
            headers.append(f"{escape(prop)}<br><sub>{order}</sub>")
    lines = ["| layer | " + " | ".join(headers) + " |", "|---" * (len(headers) + 1) + "|"]
    for layer in m.layers:
        row = []
        for prop in m.properties:
            symbols = []
            for pair in m.pairs[prop]:
                sub = m.sub(layer, prop, pair)
                symbols.append(outcomes.SYMBOL[sub.outcome] if sub else outcomes.NOT_RUN_SYMBOL)
            if (layer, prop) in m.cells:
                row.append(" ".join(symbols) + _coverage(m, layer, prop, recorded))
            else:
                row.append(" ")
        lines.append(f"| {escape(layer)} | " + " | ".join(row) + " |")
    return lines


def _legend() -> str:
    items = [f"{outcomes.SYMBOL[o]} {outcomes.MEANING[o]}" for o in reversed(outcomes.SEVERITY)]
    items.append(f"{outcomes.NOT_RUN_SYMBOL} not run")
    return "Legend: " + " · ".join(items) + "."


def _environment(document: dict[str, Any]) -> list[str]:
    shards = document["shards"]
    head = " | ".join(escape(text.shard_label(s)) for s in shards)
    lines = [f"| | {head} |", "|---" * (len(shards) + 1) + "|"]
    for label, key in text.RUN_ROWS:
        values = [escape(text.field_text(s["run"].get(key))) for s in shards]
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    for label, key in text.ENVIRONMENT_ROWS:
        values = [escape(text.field_text(s["environment"].get(key))) for s in shards]
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    return lines


def render(document: dict[str, Any], diff: str = "") -> str:
    """The page; `diff`: the comparison against a baseline, as Markdown."""
    m = matrix.build(document)
    recorded = coverage.has_coverage(document["results"])
    summary = document["summary"]
    merged = document["kind"] == "merged"
    shards = {s["run_id"]: s for s in document["shards"]}
    decided = verdict.decide(document)

    out = ["# nnconform conformance report", ""]
    out.append(" · ".join(f"**{label}** {escape(v)}" for label, v in text.headline(document)))
    out += ["", f"**{decided.headline}** — {escape(text.totals(document))}", ""]
    spent = verdict.false_alarm_line(summary)
    if spent:
        out += [f"**Statistics** {escape(spent)}", ""]
    out += [f"**Coverage** {escape(coverage.denominator(document).line())}", ""]
    contract = text.contract_rows(document)
    if contract:
        out += ["## Contract", "", "| outcome | " + " | ".join(text.CONTRACT_COLUMNS) + " |"]
        out += ["|---" * (len(text.CONTRACT_COLUMNS) + 1) + "|"]
        out += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in contract]
        out.append("")
    if diff:
        out += [diff, ""]

    if m.failures:
        out += [f"## Failures ({len(m.failures)})", ""]
        for result in m.failures[:MAX_FAILURES_SHOWN]:
            out += _failure(result, shards, merged)
        if len(m.failures) > MAX_FAILURES_SHOWN:
            hidden = len(m.failures) - MAX_FAILURES_SHOWN
            out += [f"… and {hidden} more failures: see conformance.json.", ""]

    out += ["## Matrix", ""]
    if m.layers:
        out += [
            "Rows are layers, columns properties; a cell has one symbol per device/dtype, "
            "in the order under the column name. After a merge a cell shows its worst outcome. "
            f"Under the symbols: {coverage.LEGEND}.",
            "",
            *_matrix(m, recorded),
            "",
            *([escape(matrix.absent_line(m)), ""] if m.absent else []),
            _legend(),
            "",
        ]
    else:
        out += ["No conformance results.", ""]

    out += [
        "## By property",
        "",
        "| property | "
        + " | ".join(f"{outcomes.SYMBOL[o]} {o}" for o in reversed(outcomes.SEVERITY))
        + " |",
    ]
    out.append("|---" * (len(outcomes.SEVERITY) + 1) + "|")
    for prop, tally in summary["by_property"].items():
        cells = [str(tally[o]) for o in reversed(outcomes.SEVERITY)]
        out.append(f"| {escape(prop)} | " + " | ".join(cells) + " |")
    out += ["", f"Other tests (not matrix cells): {outcomes.rollup(summary['other_tests'])}.", ""]

    reasons = text.reasons(document)
    if reasons:
        out += [
            "## Skips and expected failures",
            "",
            "| outcome | reason | cells |",
            "|---|---|---|",
        ]
        out += [f"| {outcomes.SYMBOL[o]} {o} | {escape(r)} | {n} |" for o, r, n in reasons]
        out.append("")

    claims = document.get("claims") or []
    if claims:
        out += ["## Chapter claims", "", "| | id | claim |", "|---|---|---|"]
        out += [
            f"| {outcomes.SYMBOL[c['outcome']]} | {code(c['id'])} | {escape(c['claim'])} |"
            for c in claims
        ]
        out.append("")

    tolerances = text.tolerance_rows(document)
    if tolerances:
        out += [
            "## Tolerances",
            "",
            "Per element: |torch − reference| ≤ c · eps · √K · scale + floor "
            "(scale derived per op, K the reduction length).",
            "",
            "| " + " | ".join(text.TOLERANCE_HEADER) + " |",
            "|---" * len(text.TOLERANCE_HEADER) + "|",
        ]
        out += ["| " + " | ".join(row) + " |" for row in tolerances]
        out.append("")
    out += ["## Environment", "", *_environment(document), ""]
    return "\n".join(out)
