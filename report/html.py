"""conformance.html: one self-contained page, the coloured matrix with expandable failures."""

from __future__ import annotations

from html import escape
from typing import Any

from report import coverage, matrix, outcomes, text, verdict

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #212121; }
h1 { margin-bottom: .2em; }
.headline span { margin-right: 1.2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; }
th, td { border: 1px solid #cfd8dc; padding: 3px 6px; vertical-align: top; text-align: left; }
th { background: #eceff1; }
th small { font-weight: normal; color: #546e7a; display: block; }
.cell { display: flex; gap: 2px; flex-wrap: wrap; }
.sub { display: inline-block; min-width: 1.6em; height: 1.6em; line-height: 1.6em;
       text-align: center; color: #fff; border-radius: 3px; font-size: 12px; }
.sub a { color: inherit; text-decoration: none; }
.notrun { background: #fff; color: #90a4ae; border: 1px dashed #cfd8dc; }
details.fail { border-left: 4px solid #c62828; padding: .3em .8em; margin: .6em 0;
               background: #fff8f8; }
details.fail summary { cursor: pointer; font-weight: 600; }
details.inline { display: inline-block; }
details.inline summary { list-style: none; cursor: pointer; }
details.inline[open] { display: block; background: #fff8f8; color: #212121; padding: .3em;
                       border: 1px solid #c62828; min-width: 28em; }
pre { background: #263238; color: #eceff1; padding: .6em; overflow-x: auto;
      white-space: pre-wrap; }
code { background: #eceff1; padding: 0 3px; }
.legend span.sub { margin-right: .3em; }
.cov { font-size: 11px; color: #546e7a; white-space: nowrap; margin-top: 2px; }
.denominator { color: #37474f; }
.diff li { margin: .15em 0; }
.diff .sub { margin: 0 .15em; }
.diff .absent { background: #fff; color: #546e7a; border: 1px dashed #90a4ae; }
.diff code { font-size: 12px; }
.diff .gloss { color: #546e7a; font-style: italic; margin: 0; }
.verdict-bad { color: #c62828; } .verdict-good { color: #2e7d32; }
"""


def style(outcome: str) -> str:
    """The inline colours of a status box: its outcome's colour, readable ink."""
    colour = outcomes.COLOUR[outcome]
    ink = "#37474f" if outcome in outcomes.NOT_RUN else "#fff"
    return f"background:{colour};color:{ink}"


def _failure_body(result: dict[str, Any]) -> str:
    failure = result.get("failure") or {"message": result["outcome"]}
    parts = [f"<p><code>{escape(result['nodeid'])}</code></p>"]
    parts.append(f"<p><b>Message</b></p><pre>{escape(failure['message'])}</pre>")
    if failure.get("example"):
        title, _, gloss = text.example_heading(failure).partition(" ")
        parts.append(
            f"<p><b>{title}</b> {escape(gloss)}</p><pre>{escape(failure['example'])}</pre>"
        )
    errors = text.error_line(failure)
    if errors:
        parts.append(f"<p>{escape(errors)}</p>")
    if failure.get("repro"):
        parts.append(f"<p><b>Repro</b></p><pre>{escape(failure['repro'])}</pre>")
    if result.get("replay"):
        parts.append(f"<p><b>Replay this cell</b></p><pre>{escape(result['replay'])}</pre>")
    if failure.get("traceback"):
        parts.append(
            "<details><summary>pytest output</summary>"
            f"<pre>{escape(failure['traceback'])}</pre></details>"
        )
    return "".join(parts)


def _coverage_title(sub: matrix.SubCell) -> str:
    classes = ", ".join(sorted(sub.classes)) or "none recorded"
    pairs = f"; pairs met {sub.pairs[0]}/{sub.pairs[1]}" if sub.pairs else ""
    return f"{sub.examples:,} examples; classes: {classes}{pairs}"


def _coverage(m: matrix.Matrix, layer: str, prop: str, recorded: bool) -> str:
    """The line under a cell's boxes: its examples and hyperparameter classes."""
    subs = m.row(layer, prop)
    examples = sum(s.examples for s in subs)
    classes = frozenset().union(*(s.classes for s in subs))
    pairs = coverage.fewest_pairs([s.pairs for s in subs])
    shown = coverage.cell_text(examples, len(classes) if recorded else None, pairs)
    title = ", ".join(sorted(classes)) or "no hyperparameter classes recorded"
    return f'<div class="cov" title="{escape(title)}">{escape(shown)}</div>'


def _title(result: dict[str, Any]) -> str:
    where = " ".join(text.cell_values(result))
    reason = f": {result['reason']}" if result.get("reason") else ""
    return f"{where} — {result['outcome']}{reason}"


def _sub(m: matrix.Matrix, sub: matrix.SubCell | None, pair: matrix.Pair) -> str:
    label = m.label(pair)
    if sub is None:
        return (
            f'<span class="sub notrun" title="{escape(label)}: not run">'
            f"{outcomes.NOT_RUN_SYMBOL}</span>"
        )
    outcome = sub.outcome
    symbol = escape(outcomes.SYMBOL[outcome])
    title = escape(" | ".join(_title(r) for r in sub.results) + "; " + _coverage_title(sub))
    colours = style(outcome)
    bad = [r for r in sub.results if r["outcome"] in outcomes.BAD]
    if not bad:
        return f'<span class="sub" style="{colours}" title="{title}">{symbol}</span>'
    bodies = "".join(
        f'<p><a href="#{m.anchors[matrix.failure_key(r)]}">{escape(_title(r))}</a></p>'
        + _failure_body(r)
        for r in bad
    )
    return (
        f'<details class="inline"><summary class="sub" style="{colours}" title="{title}">'
        f"{symbol}</summary>{bodies}</details>"
    )


def _matrix(m: matrix.Matrix, recorded: bool) -> str:
    head = ["<th>layer</th>"]
    for prop in m.properties:
        pairs = m.pairs[prop]
        if all(v == matrix.NONE for pair in pairs for v in pair):
            head.append(f"<th>{escape(prop)}</th>")
            continue
        order = " · ".join(m.label(p) for p in pairs)
        head.append(f"<th>{escape(prop)}<small>{escape(order)}</small></th>")
    rows = []
    for layer in m.layers:
        cells = [f"<th>{escape(layer)}</th>"]
        for prop in m.properties:
            if (layer, prop) not in m.cells:
                cells.append("<td></td>")
                continue
            subs = "".join(_sub(m, m.sub(layer, prop, p), p) for p in m.pairs[prop])
            cov = _coverage(m, layer, prop, recorded)
            cells.append(f'<td><div class="cell">{subs}</div>{cov}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _legend() -> str:
    items = [
        f'<span class="sub" style="{style(o)}">{escape(outcomes.SYMBOL[o])}</span>'
        f"{escape(outcomes.MEANING[o])}"
        for o in reversed(outcomes.SEVERITY)
    ]
    items.append(f'<span class="sub notrun">{outcomes.NOT_RUN_SYMBOL}</span>not run')
    return '<p class="legend">' + " &nbsp; ".join(items) + "</p>"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _environment(document: dict[str, Any]) -> str:
    shards = document["shards"]
    header = ["", *(text.shard_label(s) for s in shards)]
    rows = [
        [label, *(text.field_text(s["run"].get(key)) for s in shards)]
        for label, key in text.RUN_ROWS
    ]
    rows += [
        [label, *(text.field_text(s["environment"].get(key)) for s in shards)]
        for label, key in text.ENVIRONMENT_ROWS
    ]
    return _table(header, rows)


def render(document: dict[str, Any], diff: str = "") -> str:
    """The page; `diff`: the comparison against a baseline, as an HTML section."""
    m = matrix.build(document)
    recorded = coverage.has_coverage(document["results"])
    summary = document["summary"]
    decided = verdict.decide(document)
    colour = "verdict-good" if decided.conforming else "verdict-bad"
    headline_verdict = f'<b class="{colour}">{escape(decided.headline)}</b>'
    spent = verdict.false_alarm_line(summary)
    headline = "".join(
        f"<span><b>{escape(label)}</b> {escape(value)}</span>"
        for label, value in text.headline(document)
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>nnconform report — torch {escape(str(document['environment'].get('torch')))}"
        "</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>nnconform conformance report</h1>",
        f'<p class="headline">{headline}</p>',
        f"<p>{headline_verdict} — {escape(text.totals(document))}</p>",
        *(f"<p><b>Statistics</b> {escape(line)}</p>" for line in [spent] if line),
        f'<p class="denominator"><b>Coverage</b> '
        f"{escape(coverage.denominator(document).line())}</p>",
    ]
    contract = text.contract_rows(document)
    if contract:
        out.append("<h2>Contract</h2>")
        out.append(_table(["outcome", *text.CONTRACT_COLUMNS], contract))
    if diff:
        out.append(diff)
    if m.failures:
        out.append(f"<h2>Failures ({len(m.failures)})</h2>")
        for result in m.failures:
            anchor = m.anchors[matrix.failure_key(result)]
            out.append(
                f'<details class="fail" id="{anchor}"><summary>'
                f"{escape(outcomes.SYMBOL[result['outcome']])} {escape(_title(result))}"
                f"</summary>{_failure_body(result)}</details>"
            )
    out.append("<h2>Matrix</h2>")
    if m.layers:
        out += [
            "<p>Rows are layers, columns properties; each cell has one box per device/dtype "
            "(order under the column name). Hover a box for its outcome and reason; click a "
            "failing box for its example and repro. After a merge a box shows the worst "
            "outcome of its shards. Under the boxes: "
            f"{escape(coverage.LEGEND)}.</p>",
            _matrix(m, recorded),
            *([f"<p>{escape(matrix.absent_line(m))}</p>"] if m.absent else []),
            _legend(),
        ]
    else:
        out.append("<p>No conformance results.</p>")

    order = list(reversed(outcomes.SEVERITY))
    out.append("<h2>By property</h2>")
    out.append(
        _table(
            ["property", *order],
            [[p, *(str(t[o]) for o in order)] for p, t in summary["by_property"].items()],
        )
    )
    out.append(
        f"<p>Other tests (not matrix cells): {escape(outcomes.rollup(summary['other_tests']))}.</p>"
    )
    reasons = text.reasons(document)
    if reasons:
        out.append("<h2>Skips and expected failures</h2>")
        out.append(_table(["outcome", "reason", "cells"], [[o, r, str(n)] for o, r, n in reasons]))
    claims = document.get("claims") or []
    if claims:
        out.append("<h2>Chapter claims</h2>")
        rows = [
            [f"{outcomes.SYMBOL[c['outcome']]} {c['outcome']}", c["id"], c["claim"]] for c in claims
        ]
        out.append(_table(["outcome", "id", "claim"], rows))
    tolerances = text.tolerance_rows(document)
    if tolerances:
        out.append("<h2>Tolerances</h2>")
        out.append(
            "<p>Per element: |torch − reference| ≤ c · eps · √K · scale + floor "
            "(scale derived per op, K the reduction length).</p>"
        )
        out.append(_table(text.TOLERANCE_HEADER, tolerances))
    out += ["<h2>Environment</h2>", _environment(document), "</body></html>", ""]
    return "\n".join(out)
