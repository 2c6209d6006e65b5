"""Rediscovery: does the suite find every recorded torch bug again from scratch?

For each known failure (tests/known_failures/) that applies on this machine and this
torch, on each execution path it lists that can run here, the property that found it
runs on its layer, dtype, path and kernel set with that entry forgotten
(--forget-known-failure ID: nothing carves its cases out, while every other entry still
carves out its own, so that a red exit is this bug found again and not another recorded
one met first), at the path's default profile (`ci` on eager, `compile` on the paths
that compile or export), once per seed, stopping at the first failure (-x). A found entry
is one whose cells fail, and pass at the same seed with the entry in force (the control:
a cell that is red either way is red for another bug, a recorded one met outside its
entry's scope or a new one, and the seed is not counted); the time is the pytest
command's wall time, from start to the red exit, as a user waits for it, and from
start to the announcement of its first failure, before shrinking.

    python bench/rediscovery.py [--seeds 1,2,3,4,5] [--only ID ...] [--path eager]
                                [--jobs 2] [--eager-once] [--no-control]
                                [--markdown table.md] [--json out.json]

--jobs runs that many pytest commands at once (each on one xdist worker); --eager-once
looks for an entry that also applies on eager there alone (its other paths run the same
kernel under a graph: eager's row measures the strategy that finds it), and for the
path-specific entries (inductor, ONNX Runtime, OpenVINO, export) on their paths.

Run it whole whenever a strategy, a profile or the corner pass changes (README).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from threading import Thread
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from report.first_failure import HEADLINE  # noqa: E402
from tests import kernel_sets  # noqa: E402
from tests.known_failures import KNOWN_FAILURES, KnownFailure  # noqa: E402
from tests.paths import by_name, describe  # noqa: E402

SEEDS = (1, 2, 3, 4, 5)
# Every command runs on this device: entries scoped to others are not applicable here.
DEVICE = "cpu"
# A run past this is stopped and counted as not found.
LIMIT_S = 1800
EAGER = "eager"


def profile_for(path: str) -> str:
    """The profile users run a path at: ci on eager, compile where building is the cost."""
    return "ci" if path == EAGER else "compile"


def kernel_set_for(known: KnownFailure) -> str | None:
    """The CPU kernel set to run under (None: the process's own), or raise if none runs.

    Of the entry's sets this CPU runs, the one where the fewest other entries of its layer
    and dtypes apply. Forgetting one entry finds nothing where another still carves out
    its whole region: at `amx`, the AMX strided single column covers every bfloat16
    one-column Conv2d, so the grouped single-column entry is found again only at
    `avx512`. On a tie, the process's own set, then the entry's order. An entry of every
    set runs at the process's own where it was seen there, else at a set where it was
    (the float16 Conv2d column rounding is right at `amx`, where oneDNN uses the CPU's
    own float16 instructions)."""
    own = kernel_sets.started_in()
    if known.kernel_sets is None and own in known.observed.kernel_sets:
        return None
    sets = known.kernel_sets or known.observed.kernel_sets
    supported = [name for name in sets if name in kernel_sets.supported()]
    if not supported:
        raise LookupError(f"kernel sets {', '.join(sets)}: this CPU has none")
    chosen = min(supported, key=lambda name: (len(shadowing(known, name)), name != own))
    return None if chosen == own else chosen


def shadowing(known: KnownFailure, kernel_set: str) -> list[str]:
    """The other entries of the layer and a dtype of `known` that apply at `kernel_set`."""
    return [
        other.id
        for other in KNOWN_FAILURES
        if other.id != known.id
        and other.layer == known.layer
        and set(other.dtypes) & set(known.dtypes)
        and (other.kernel_sets is None or kernel_set in other.kernel_sets)
        and other.in_release(torch.__version__)
    ]


def why_not(known: KnownFailure, path: str) -> str | None:
    """Why the entry cannot be looked for here on `path`, or None."""
    if not known.in_release(torch.__version__):
        return f"applies to torch {known.releases}"
    if DEVICE not in known.devices:
        return f"applies on {', '.join(known.devices)}; the bench runs with --device {DEVICE}"
    missing = by_name(path).missing()
    if missing:
        return missing
    if known.refused_by_path:
        return f"{path} leaves its cases out (the cell's rejected draws), never red"
    # The property that found the entry must run on the path: the errors property needs
    # the layer's own exceptions, layouts needs autograd, and export provides neither.
    finding = importlib.import_module(f"tests.test_{known.finding_property}")
    lacking = by_name(path).lacks_needs(finding)
    if lacking:
        return f"{known.finding_property} needs {describe(lacking)}, which {path} lacks"
    if by_name(path).lacks_dtype(_dtype(known, path) or "none"):
        return f"{path} carries none of {', '.join(known.dtypes)}"
    try:
        kernel_set_for(known)
    except LookupError as error:
        return str(error)
    # Seen only on CPUs with instructions this one lacks (float16 Linear under inductor's
    # freezing: avx512_fp16): the kernel set runs here, the kernel that erred does not.
    lacking_flags = [f for f in known.observed.cpu_flags if f not in kernel_sets.cpu_flags()]
    if lacking_flags:
        return f"seen only on CPUs with {', '.join(lacking_flags)}, which this CPU lacks"
    return None


def _dtype(known: KnownFailure, path: str) -> str | None:
    carried = [d for d in known.dtypes if not by_name(path).lacks_dtype(d)]
    return carried[0] if carried else None


def per_network(prop: str) -> bool:
    """Whether the property's cells are the chapter's networks: a layer names none of them."""
    source = (ROOT / "tests" / f"test_{prop}.py").read_text()
    return f"def test_{prop}(model" in source


def command(known: KnownFailure, path: str, seed: int, forget: bool = True) -> list[str]:
    """The pytest command for one seed; `forget=False` is its control, the entry in force."""
    chosen = kernel_set_for(known)
    # The layer's cells by their test ids, where the property's cells are the layer's (a
    # row that is no identifier, nn.init, or a bug found inside the chapter's networks by
    # training_steps runs the property's file whole); one xdist worker, so a crash is an
    # outcome, not the end.
    by_layer = known.layer.isidentifier() and not per_network(known.finding_property)
    layer = ["-k", known.layer] if by_layer else []
    return [
        sys.executable, "-m", "pytest", f"tests/test_{known.finding_property}.py", *layer,
        *([f"--forget-known-failure={known.id}"] if forget else []),
        f"--hypothesis-profile={profile_for(path)}",
        f"--hypothesis-seed={seed}", "--device", DEVICE, "--dtype", _dtype(known, path) or "",
        "--path", path, "-x", "-q", "-p", "no:cacheprovider", "--no-report", "-n", "1",
        *(["--cpu-isa", chosen] if chosen else []),
        # An entry seen under a backend switch alone is looked for under it.
        *(["--switch", known.switches[0]] if known.switches else []),
    ]  # fmt: skip


def red(argv: list[str]) -> tuple[bool, bool, float | None]:
    """(whether the pytest command went red, whether it was stopped at LIMIT_S, seconds
    from its start to the first failure's announcement, if any: report/first_failure.py)."""
    started = time.perf_counter()
    announced: list[float] = []
    child = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def read(stream: IO[str], kept: list[str]) -> None:
        for line in stream:
            if not announced and line.startswith(HEADLINE):
                announced.append(time.perf_counter() - started)
            kept.append(line)

    out: list[str] = []
    err: list[str] = []
    readers = [
        Thread(target=read, args=pair) for pair in ((child.stdout, out), (child.stderr, err))
    ]
    for reader in readers:
        reader.start()
    try:
        child.wait(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return False, True, None
    finally:
        for reader in readers:
            reader.join()
    output = "".join(out + err)
    # A crash is red too: xdist reports the dead worker's test as failed.
    went_red = child.returncode in (1, 2) and ("FAILED" in output or "crashed" in output)
    return went_red, False, announced[0] if announced else None


def run_once(known: KnownFailure, path: str, seed: int, control: bool = True) -> dict:
    started = time.perf_counter()
    found, stopped, first = red(command(known, path, seed))
    seconds = time.perf_counter() - started
    verdict = "found" if found else ("stopped" if stopped else "not found")
    # The control: the same seed with the entry in force must be green, or the red was
    # another bug of the cell (a recorded one outside its entry's scope, or a new one),
    # not this entry found again.
    if found and control and red(command(known, path, seed, forget=False))[0]:
        found, verdict = False, "red with the entry in force too: not counted"
    # Each run as it ends: a table that takes hours says how it is going.
    # A crash is announced by its red exit (no Python code runs after a segfault).
    first = seconds if first is None else first
    announced = f", first failure at {first:.1f} s" if found else ""
    print(
        f"  seed {seed}: {verdict} in {seconds:.1f} s{announced}  ({known.id} on {path})",
        flush=True,
    )
    return {"seed": seed, "found": found, "seconds": round(seconds, 1), "first_s": round(first, 1)}


def rediscover(
    known: KnownFailure, path: str, seeds: tuple[int, ...], pool: Executor, control: bool = True
) -> dict:
    runs = list(pool.map(lambda seed: run_once(known, path, seed, control), seeds))
    times = [r["seconds"] for r in runs if r["found"]]
    firsts = [r["first_s"] for r in runs if r["found"]]
    return {
        "entry": known.id,
        "path": path,
        "kernel_set": kernel_set_for(known) or kernel_sets.started_in(),
        "property": known.finding_property,
        "found": sum(r["found"] for r in runs),
        "seeds": len(runs),
        "median_s": round(statistics.median(times), 1) if times else None,
        "worst_s": max(times) if times else None,
        "first_median_s": round(statistics.median(firsts), 1) if firsts else None,
        "first_worst_s": max(firsts) if firsts else None,
        "runs": runs,
    }


def markdown(rows: list[dict], skipped: list[tuple[str, str, str]]) -> str:
    lines = [
        "# Rediscovery: every recorded bug found again from scratch",
        "",
        f"Rediscovery on torch {torch.__version__}, kernel set {kernel_sets.started_in()} "
        f"(`python bench/rediscovery.py`): each entry's property from scratch "
        "(`--forget-known-failure ID`: the entry alone is forgotten, every other one still "
        "carves out its cases), at `ci` on eager and `compile` elsewhere; found runs only, "
        "the time from the pytest command's start to its first failure's announcement "
        "(first) and to its red exit, shrinking done (report).",
        "",
        "| entry | path | kernel set | property | found | first: median | first: worst "
        "| report: median | report: worst |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        times = [
            "-" if row[key] is None else f"{row[key]} s"
            for key in ("first_median_s", "first_worst_s", "median_s", "worst_s")
        ]
        lines.append(
            f"| {row['entry']} | {row['path']} | {row['kernel_set']} | {row['property']} | "
            f"{row['found']}/{row['seeds']} | {' | '.join(times)} |"
        )
    if skipped:
        lines += ["", "Not applicable here:", ""]
        lines += [f"- {entry} on {path}: {why}" for entry, path, why in skipped]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--path", nargs="*", default=[], help="only these execution paths")
    parser.add_argument("--jobs", type=int, default=1, help="pytest commands at once")
    parser.add_argument("--eager-once", action="store_true", help="entries on eager: there alone")
    parser.add_argument(
        "--no-control",
        action="store_true",
        help="count a red seed without rerunning it with the entry in force",
    )
    parser.add_argument("--markdown", default="")
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    rows, skipped = [], []
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    for known in KNOWN_FAILURES:
        if args.only and known.id not in args.only:
            continue
        for path in known.paths:
            if args.path and path not in args.path:
                continue
            why = why_not(known, path)
            on_eager = EAGER in known.paths and not why_not(known, EAGER)
            if not why and args.eager_once and path != EAGER and on_eager:
                why = "also on eager: looked for there (--eager-once)"
            if why:
                skipped.append((known.id, path, why))
                continue
            row = rediscover(known, path, seeds, pool, control=not args.no_control)
            rows.append(row)
            print(
                f"{row['found']}/{row['seeds']}  first failure median {row['first_median_s']} s"
                f" worst {row['first_worst_s']} s, report median {row['median_s']} s worst "
                f"{row['worst_s']} s  {known.id} on {path} ({row['property']})",
                flush=True,
            )
    table = markdown(rows, skipped)
    print("\n" + table)
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0 if all(r["found"] == r["seeds"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
