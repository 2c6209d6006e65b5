"""Time to a red verdict: how long the suite takes to fail on each zoo mutant, as a user runs it.

For every mutant in selftest/zoo/ and every property it declares in CAUGHT_BY, the
property's file runs on the mutant as `--impl`, the way a user would run it: the `ci`
profile with shrinking on, `-x -n 2`, one layer's cells (the mutant's LAYER, or its
RUN_ON spec), the mutant's dtype. The wall time until pytest exits, the exit status and
whether the shrunk example and its repro were printed are recorded. The target: every
mutant red within 60 s on 2 cores.

    python bench/time_to_red.py [--only NAME ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selftest import zoo  # noqa: E402
from selftest.zoo_runner import (  # noqa: E402
    SPEC_FIXTURES,
    fixtures_of,
    property_of,
    property_tests,
)

TARGET_S = 60.0
# A run past this is stopped and reported as not red in time.
LIMIT_S = 600


def _paths(declared: str | tuple[str, ...]) -> str:
    return declared if isinstance(declared, str) else ",".join(declared)


def run_one(name: str, selector: str) -> dict:
    """Time `tests/test_<property>.py` on mutant `name` until pytest exits."""
    mutant = zoo.load(name)
    prop = property_of(selector)
    test = selector.partition("::")[2]
    run_on = getattr(mutant, "RUN_ON", {})
    spec = run_on.get(selector, run_on.get(prop, mutant.LAYER))
    # A named test (test_init_kaiming) is selected by its name; a file whose tests take no
    # layer or model (the chapter's claims) runs whole.
    takes_spec = any(
        fixture in fixtures_of(t) for t in property_tests(selector) for fixture in SPEC_FIXTURES
    )
    keyword = test or (spec if takes_spec else "")
    command = [
        sys.executable, "-m", "pytest", f"tests/test_{prop}.py",
        "--impl", f"selftest.zoo.{name}", "--device", "cpu",
        "--dtype", getattr(mutant, "DTYPE", "float32"),
        "--path", _paths(getattr(mutant, "PATH", "eager")),
        "--hypothesis-profile=ci", "-x", "-n", "2", "-p", "no:cacheprovider",
        "--no-report", *(["-k", keyword] if keyword else []),
    ]  # fmt: skip
    started = time.perf_counter()
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=LIMIT_S,
        )
        output, status = result.stdout + result.stderr, result.returncode
    except subprocess.TimeoutExpired:
        output, status = "", None
    seconds = time.perf_counter() - started
    return {
        "mutant": name,
        "property": selector,
        "seconds": round(seconds, 1),
        # -x under xdist ends "interrupted" (status 2) after the first failure.
        "red": status in (1, 2) and "FAILED" in output,
        "shrunk example printed": "Falsifying example" in output or "Failing test case" in output,
        "repro printed": "repro" in output,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    rows = []
    for name in zoo.mutant_names():
        if args.only and name not in args.only:
            continue
        for selector in zoo.load(name).CAUGHT_BY:
            row = run_one(name, selector)
            rows.append(row)
            print(
                f"{row['seconds']:7.1f} s  {'red' if row['red'] else 'NOT RED':8} "
                f"{name} ({selector})",
                flush=True,
            )
    worst = max(rows, key=lambda r: r["seconds"]) if rows else None
    if worst:
        late = [r for r in rows if r["seconds"] > TARGET_S or not r["red"]]
        print(
            f"\nworst: {worst['seconds']} s ({worst['mutant']}, {worst['property']}); "
            f"{len(late)} of {len(rows)} over {TARGET_S:.0f} s or not red"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
