"""`python -m report merge --out DIR a.json b.json ...`: one report from several shards."""

from __future__ import annotations

import argparse
import sys

from report import json_report, merge, outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    merging = commands.add_parser("merge", help="merge shard reports into one")
    merging.add_argument("--out", required=True, help="directory for the merged json/md/html")
    merging.add_argument("reports", nargs="+", help="conformance.json files of the shards")
    args = parser.parse_args(argv)

    import jsonschema

    try:
        documents = [json_report.load(path) for path in args.reports]
    except (OSError, ValueError, jsonschema.ValidationError) as exc:
        print(f"python -m report merge: {exc}".splitlines()[0], file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
