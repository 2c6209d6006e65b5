"""A comparison of two reports as Markdown (a CI job summary) and as an HTML section.

The order is the release manager's: the verdict and the two runs, regressions, fixes,
what still fails, other outcome changes, cells added or removed, then coverage.
"""

from __future__ import annotations

from html import escape
from typing import Any

from report import diff as diffing, html, markdown, outcomes, replay
from report.interface import NONE

# Past this many cells a list says how many more there are; the reports have them all.
MAX_LISTED = 60
# The part of a failure message a list item shows.
MESSAGE_CHARS = 160

SECTIONS = (
    ("regressions", "Regressions", "cells that fail now and did not in the base"),
    ("fixes", "Fixes", "known failures that no longer reproduce, failing cells that pass"),
    ("still_failing", "Still failing", "cells that failed in both"),
    ("other_changes", "Other outcome changes", ""),
    ("added", "Cells added", "in the new report only"),
    ("removed", "Cells removed", "in the base only"),
)
COVERAGE_SECTIONS = (
    ("no_longer_run", "No longer run", "ran in the base, skipped or not run now"),
    ("now_run", "Now run", "skipped or not run in the base, ran now"),
    (
        "fewer_examples",
        "Fewer examples",
        f"below {diffing.EXAMPLE_DROP:.0%} of the base's examples",
    ),
    ("classes_changed", "Hyperparameter classes changed", "lost (-) and gained (+)"),
)


def cell_label(key: tuple[str, ...]) -> str:
    return " · ".join(v for v in key if v != NONE)


def verdict(d: diffing.Diff) -> str:
    n = len(d.regressions)
    if n:
        return (
            f"REGRESSIONS: {n} {'cell fails' if n == 1 else 'cells fail'} that did not in the base"
        )
    return "NO REGRESSIONS against the base"


def counts_line(d: diffing.Diff) -> str:
    return " · ".join(f"{n:,} {what}" for what, n in d.counts())


def matched_line(d: diffing.Diff) -> str:
    line = f"Cells matched on {', '.join(d.dimensions)}"
    if d.ignored:
        line += f" ({', '.join(d.ignored)} ignored: several values count as one cell, its worst)"
    return line + "."


def _totals(side: diffing.Side) -> str:
    classes = "" if side.classes is None else f", {side.classes:,} classes"
    return f"{side.cells:,} cells, {side.examples:,} examples{classes}"


def _state(state: diffing.CellState | None) -> tuple[str, str]:
    if state is None:
        return "", "absent"
    return outcomes.SYMBOL[state.outcome], state.outcome


def _message(change: diffing.Change) -> str:
    state = change.new if change.new is not None else change.base
    failing = state.failing() if state is not None else []
    if not failing:
        return ""
    text = ((failing[0].get("failure") or {}).get("message") or "").strip().splitlines()
    first = text[0] if text else ""
    return first if len(first) <= MESSAGE_CHARS else first[: MESSAGE_CHARS - 1] + "…"


def _replays(d: diffing.Diff, change: diffing.Change) -> list[str]:
    """Replay lines of the new report's failing results of this cell."""
    if change.new is None:
        return []
    return [r.get("replay") or replay.command(r, d.new.run_of(r)) for r in change.new.failing()]


# ---- Markdown ------------------------------------------------------------------------------


def _md_item(d: diffing.Diff, change: diffing.Change, replays: bool) -> list[str]:
    was, now = _state(change.base), _state(change.new)
    line = f"- **{markdown.escape(cell_label(change.key))}**: {was[0]} {was[1]} → {now[0]} {now[1]}"
    if change.note:
        line += f" ({markdown.escape(change.note)})"
    message = _message(change)
    if message:
        line += f" — {markdown.escape(message)}"
    lines = [line]
    if replays:
        lines += [f"  - replay: {markdown.code(c)}" for c in _replays(d, change)]
    return lines


def _md_list(
    d: diffing.Diff, name: str, title: str, gloss: str, level: str, replays: bool
) -> list[str]:
    changes: list[diffing.Change] = getattr(d, name)
    if not changes:
        return []
    out = [f"{level} {title} ({len(changes):,})", ""]
    if gloss:
        out += [f"_{gloss}_", ""]
    for change in changes[:MAX_LISTED]:
        out += _md_item(d, change, replays)
    if len(changes) > MAX_LISTED:
        out.append(f"- … and {len(changes) - MAX_LISTED:,} more")
    return [*out, ""]


def render_markdown(d: diffing.Diff, heading: str = "#", title: str = "nnconform diff") -> str:
    sub = heading + "#"
    out = [
        f"{heading} {title}",
        "",
        f"**Base** {markdown.escape(d.base.label)} ({markdown.escape(_totals(d.base))})  ",
        f"**New** {markdown.escape(d.new.label)} ({markdown.escape(_totals(d.new))})",
        "",
        f"**{verdict(d)}** — {counts_line(d)}. {matched_line(d)}",
        "",
    ]
    if d.hint:
        out += [f"Note: {markdown.escape(d.hint)}.", ""]
    for name, title, gloss in SECTIONS:
        replays = name in ("regressions", "still_failing")
        out += _md_list(d, name, title, gloss, sub, replays)
    out += [f"{sub} Coverage", ""]
    out += [
        f"Examples {d.base.examples:,} → {d.new.examples:,}; "
        + (
            f"hyperparameter classes {d.base.classes:,} → {d.new.classes:,}."
            if d.base.classes is not None and d.new.classes is not None
            else "hyperparameter classes: not recorded by both runs."
        ),
        "",
    ]
    for name, title, gloss in COVERAGE_SECTIONS:
        out += _md_list(d, name, title, gloss, sub + "#", False)
    return "\n".join(out)


# ---- HTML ----------------------------------------------------------------------------------


def _box(state: diffing.CellState | None) -> str:
    symbol, outcome = _state(state)
    if state is None:
        return '<span class="sub absent" title="absent">—</span>'
    return (
        f'<span class="sub" style="{html.style(outcome)}" title="{escape(outcome)}">'
        f"{escape(symbol)}</span>"
    )


def _html_list(d: diffing.Diff, name: str, title: str, gloss: str, tag: str, replays: bool) -> str:
    changes: list[diffing.Change] = getattr(d, name)
    if not changes:
        return ""
    items = []
    for change in changes[:MAX_LISTED]:
        text = f"<b>{escape(cell_label(change.key))}</b> {_box(change.base)}→{_box(change.new)}"
        if change.note:
            text += f" {escape(change.note)}"
        message = _message(change)
        if message:
            text += f" — {escape(message)}"
        if replays:
            text += "".join(f"<br>replay: <code>{escape(c)}</code>" for c in _replays(d, change))
        items.append(f"<li>{text}</li>")
    if len(changes) > MAX_LISTED:
        items.append(f"<li>… and {len(changes) - MAX_LISTED:,} more</li>")
    head = f"<{tag}>{escape(title)} ({len(changes):,})</{tag}>"
    if gloss:
        head += f'<p class="gloss">{escape(gloss)}</p>'
    return head + "<ul>" + "".join(items) + "</ul>"


def render_html_section(d: diffing.Diff, tag: str = "h2") -> str:
    """The comparison as one <section>, for the report page or a page of its own."""
    inner = "h3" if tag == "h2" else "h4"
    colour = "verdict-bad" if d.regressions else "verdict-good"
    parts = [
        f'<section class="diff"><{tag}>Against the baseline</{tag}>',
        f"<p><b>Base</b> {escape(d.base.label)} ({escape(_totals(d.base))})<br>"
        f"<b>New</b> {escape(d.new.label)} ({escape(_totals(d.new))})</p>",
        f'<p><b class="{colour}">{escape(verdict(d))}</b> — {escape(counts_line(d))}. '
        f"{escape(matched_line(d))}</p>",
    ]
    if d.hint:
        parts.append(f"<p>Note: {escape(d.hint)}.</p>")
    for name, title, gloss in SECTIONS:
        replays = name in ("regressions", "still_failing")
        parts.append(_html_list(d, name, title, gloss, inner, replays))
    parts.append(f"<{inner}>Coverage</{inner}>")
    classes = (
        f"hyperparameter classes {d.base.classes:,} → {d.new.classes:,}"
        if d.base.classes is not None and d.new.classes is not None
        else "hyperparameter classes: not recorded by both runs"
    )
    parts.append(f"<p>Examples {d.base.examples:,} → {d.new.examples:,}; {escape(classes)}.</p>")
    for name, title, gloss in COVERAGE_SECTIONS:
        parts.append(_html_list(d, name, title, gloss, "h4", False))
    parts.append("</section>")
    return "".join(parts)


def render_html_page(d: diffing.Diff) -> str:
    """A page of its own for `python -m report diff --html`."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            "<title>nnconform diff</title>",
            f"<style>{html.CSS}</style></head><body>",
            "<h1>nnconform diff</h1>",
            render_html_section(d),
            "</body></html>",
            "",
        ]
    )


def baseline_summary(d: diffing.Diff, path: str) -> dict[str, Any]:
    """The `baseline` entry of a run's report."""
    return {"path": path, **d.summary()}
