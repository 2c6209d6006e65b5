"""`python -m report merge|diff`: one report from several shards; two reports compared.

python -m report merge --out DIR a.json b.json ...
python -m report diff BASE.json NEW.json [--ignore-dimension isa] [--out diff.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from report import diff as diffing, diff_pages, json_report, merge, outcomes

# Exit statuses of `diff`: CI gates on 1; 2 says the command could not compare at all.
NO_REGRESSION, REGRESSION, UNUSABLE = 0, 1, 2


def _load(paths: list[str], command: str) -> list[dict] | None:
    import jsonschema

    try:
        return [json_report.load(path) for path in paths]
    except (OSError, ValueError, jsonschema.ValidationError) as exc:
        print(f"python -m report {command}: {exc}".splitlines()[0], file=sys.stderr)
        return None


def _merge(args: argparse.Namespace) -> int:
    documents = _load(args.reports, "merge")
    if documents is None:
        return 2
    merged = merge.merge(documents)
    json_report.validate(merged)
    paths = json_report.write(merged, args.out)
    summary = merged["summary"]
    print(
        f"nnconform report: {paths['html']} (json, md beside it): {summary['shards']} shards, "
        f"{summary['total']} results: {outcomes.rollup(summary['by_outcome'])}"
    )
    # Merging succeeded; the shards' own jobs already failed if torch did not conform.
    return 0


def _listed(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _diff(args: argparse.Namespace) -> int:
    documents = _load([args.base, args.new], "diff")
    if documents is None:
        return UNUSABLE
    try:
        found = diffing.compare(
            *documents,
            ignore=_listed(args.ignore_dimension),
            where_base=diffing.parse_where(args.where_base),
            where_new=diffing.parse_where(args.where_new),
        )
    except ValueError as exc:
        print(f"python -m report diff: {exc}", file=sys.stderr)
        return UNUSABLE
    page = diff_pages.render_markdown(found) + "\n"
    if args.out:
        Path(args.out).write_text(page, encoding="utf-8")
        print(f"nnconform diff: {args.out}: {diff_pages.verdict(found)}")
        print(f"  {diff_pages.counts_line(found)}")
    else:
        sys.stdout.write(page)
    if args.html:
        Path(args.html).write_text(diff_pages.render_html_page(found), encoding="utf-8")
    return REGRESSION if found.regressions else NO_REGRESSION


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    merging = commands.add_parser("merge", help="merge shard reports into one")
    merging.add_argument("--out", required=True, help="directory for the merged json/md/html")
    merging.add_argument("reports", nargs="+", help="conformance.json files of the shards")
    comparing = commands.add_parser(
        "diff",
        help="compare two reports: regressions, fixes, added/removed cells, coverage; "
        "exit 1 on a regression",
    )
    comparing.add_argument("base", help="the baseline conformance.json (last release, nightly)")
    comparing.add_argument("new", help="the conformance.json to judge")
    comparing.add_argument(
        "--ignore-dimension",
        action="append",
        default=[],
        metavar="DIM",
        help="leave a dimension (device, dtype, path, isa) out of the cell key, to compare "
        "across it: isa for two CPU kernel sets, path for eager against compile "
        "(repeatable or comma-separated)",
    )
    for side in ("base", "new"):
        comparing.add_argument(
            f"--where-{side}",
            action="append",
            default=[],
            metavar="DIM=VALUE",
            help=f"compare only the {side} report's results with this value (repeatable), "
            "e.g. --where-base isa=avx2 --where-new isa=avx512 --ignore-dimension isa",
        )
    comparing.add_argument("--out", help="write the Markdown here instead of to stdout")
    comparing.add_argument("--html", help="also write the comparison as an HTML page here")
    args = parser.parse_args(argv)
    return _merge(args) if args.command == "merge" else _diff(args)


if __name__ == "__main__":
    sys.exit(main())
