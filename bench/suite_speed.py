"""Whole-suite speed (a benchmark, not a test): serial vs xdist wall time, examples per
second per property, and the share of time Hypothesis spends generating examples.

Run: python bench/suite_speed.py [--profile ci] [--workers 2]
It runs the conformance suite three times (serial, with -n WORKERS, and serial under
cProfile for the generation share) with one fixed seed so every run draws the same
examples, and prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261125"


def run_suite(report_dir: Path, profile: str, *extra: str) -> float:
    """Wall time of one conformance run writing its report into report_dir."""
    command = [
        sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider",
        "--hypothesis-profile", profile, "--hypothesis-seed", SEED,
        "--report-dir", str(report_dir), *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return time.perf_counter() - start


# Times every outermost st.data().draw (our tests draw everything through it) while
# pytest runs in-process. It patches a Hypothesis internal: fine for a benchmark, never
# for the suite. (cProfile was the first choice; it aborts inside torch here.)
DRAW_TIMER = """
import sys, time
import pytest
from hypothesis.strategies._internal.core import DataObject

original = DataObject.draw
spent = [0.0]
depth = [0]

def timed_draw(self, strategy, label=None):
    depth[0] += 1
    start = time.perf_counter()
    try:
        return original(self, strategy, label)
    finally:
        depth[0] -= 1
        if depth[0] == 0:
            spent[0] += time.perf_counter() - start

DataObject.draw = timed_draw
start = time.perf_counter()
pytest.main(sys.argv[1:])
print("DRAW_SECONDS", spent[0], time.perf_counter() - start)
"""


def generation_share(profile: str) -> tuple[float, float]:
    """(seconds inside Hypothesis draws, seconds of the whole serial run).

    Draw time includes our strategies' NumPy value fill: everything that builds an
    example before the property body runs on it.
    """
    arguments = [
        "tests", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--no-report",
        "--hypothesis-profile", profile, "--hypothesis-seed", SEED,
    ]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", DRAW_TIMER, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("DRAW_SECONDS"))
    _, draw, total = line.split()
    return float(draw), float(total)


def per_property(report: dict) -> dict[str, tuple[int, float]]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for result in report["results"]:
        totals[result["property"]][0] += result.get("examples") or 0
        totals[result["property"]][1] += result.get("duration_s") or 0.0
    return {name: (int(e), d) for name, (e, d) in sorted(totals.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--workers", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        serial = run_suite(scratch / "serial", args.profile, "-p", "no:xdist")
        parallel = run_suite(scratch / "xdist", args.profile, "-n", args.workers)
        report = json.loads((scratch / "serial" / "conformance.json").read_text())
        print_timings(args, serial, parallel, report)
        draw, total = generation_share(args.profile)
    print(f"Hypothesis generation: {draw:.1f} s of {total:.1f} s ({100 * draw / total:.0f}%)")


def print_timings(args: argparse.Namespace, serial: float, parallel: float, report: dict) -> None:
    print(f"profile {args.profile}, seed {SEED}")
    print("| run | wall time (s) |")
    print("|---|---:|")
    print(f"| serial | {serial:.0f} |")
    print(f"| -n {args.workers} | {parallel:.0f} |")
    print(f"| speedup | {serial / parallel:.2f}x |")
    print()
    print("| property | examples | test time (s) | examples/s |")
    print("|---|---:|---:|---:|")
    for name, (examples, seconds) in per_property(report).items():
        rate = examples / seconds if seconds else float("nan")
        print(f"| {name} | {examples} | {seconds:.1f} | {rate:.0f} |")
    print(flush=True)


if __name__ == "__main__":
    main()
