"""`python -m tests.known_failures.observe`: where each entry's bug is seen, on this machine.

An entry's `Observed` scope is a claim: within it, a repro that passes means torch is
fixed and turns the run red. A claim written on one machine can name a kernel set or a
release that machine never ran (an entry that claimed AVX-512 from an AVX2 machine once
turned torch 2.6.0's run red on an AVX-512 CPU). This tool runs every repro that applies
to this torch release in a child process under each kernel set this CPU supports, on
each path the entry lists that can run here, and compares what it sees with the claim:

- "claimed, not seen": within the observed scope the repro passes. Either torch is fixed
  there or the claim is wrong; under that kernel set the conformance run is red.
- "seen, not claimed": the repro fails outside the observed scope; the scope may grow.

It exits 1 on any "claimed, not seen". Run it with each release's interpreter before an
entry's `Observed` names that release or kernel set (docs/kernel-sets.md: observed scopes).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import platform
import sys
from dataclasses import dataclass

import torch

from tests import kernel_sets
from tests.known_failures.entry import KnownFailure
from tests.known_failures.judge import reproduce
from tests.known_failures.register import KNOWN_FAILURES
from tests.paths import by_name


@dataclass(frozen=True)
class Sighting:
    """One repro run: an entry, a kernel set, a path, and what the run showed."""

    entry: KnownFailure
    kernel_set: str
    path: str
    seen: bool | None  # None: the repro could not run here
    detail: str

    @property
    def claimed(self) -> bool:
        """Whether the entry's observed scope (and its own kernel sets) covers this run."""
        in_scope = self.entry.kernel_sets is None or self.kernel_set in self.entry.kernel_sets
        return in_scope and self.entry.observed.covers(torch.__version__, self.kernel_set, "cpu")

    @property
    def verdict(self) -> str:
        if self.seen is None:
            return "could not run"
        if self.claimed:
            return "claimed, seen" if self.seen else "CLAIMED, NOT SEEN"
        return "seen, not claimed" if self.seen else "not claimed, not seen"


def _look(known: KnownFailure, kernel_set: str, path: str) -> Sighting:
    try:
        seen = reproduce(known, kernel_set, path)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # pytest's skip and fail outcomes are BaseExceptions
        return Sighting(known, kernel_set, path, None, str(error).splitlines()[0][:120])
    return Sighting(known, kernel_set, path, seen is not None, (seen or "passed")[:120])


def _runs(only: list[str], sets: list[str], paths: list[str] | None) -> list[tuple]:
    runs = []
    for known in KNOWN_FAILURES:
        if only and known.id not in only:
            continue
        if "cpu" not in known.devices or not known.in_release(torch.__version__):
            continue
        for path in known.paths:
            if (paths and path not in paths) or by_name(path).missing():
                continue
            runs += [(known, kernel_set, path) for kernel_set in sets]
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], metavar="ID", help="these entries")
    parser.add_argument(
        "--kernel-sets", nargs="*", default=None, help="default: every set this CPU supports"
    )
    parser.add_argument("--paths", nargs="*", default=None, help="default: every runnable path")
    parser.add_argument("--jobs", type=int, default=2, help="child processes at once")
    args = parser.parse_args(argv)
    sets = args.kernel_sets or kernel_sets.supported()
    unsupported = sorted(set(sets) - set(kernel_sets.supported()))
    if unsupported:
        parser.error(f"this CPU cannot run kernel sets {', '.join(unsupported)}")
    runs = _runs(args.only, sets, args.paths)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        sightings = list(pool.map(lambda run: _look(*run), runs))
    print(f"torch {torch.__version__} on {platform.processor() or platform.machine()}; ", end="")
    print(
        f"kernel sets {', '.join(sets)}; CPU flags beyond them: AMX "
        + ("yes" if "amx_tile" in kernel_sets.cpu_flags() else "no")
    )
    print("| entry | path | kernel set | verdict | detail |")
    print("|---|---|---|---|---|")
    for s in sightings:
        detail = s.detail.replace("|", "\\|")
        print(f"| `{s.entry.id}` | {s.path} | {s.kernel_set} | {s.verdict} | {detail} |")
    wrong = [s for s in sightings if s.verdict == "CLAIMED, NOT SEEN"]
    print(f"\n{len(sightings)} runs; {len(wrong)} claimed but not seen", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
