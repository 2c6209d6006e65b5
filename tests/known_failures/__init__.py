"""Known failures of released torch: each recorded once, shrunk to a repro, checked by hand.

- `entry.py`: what an entry is (the check it breaks, what it covers, its scope, where it
  was observed, its repro);
- `layers/<layer>.py`: the entries of one layer, each with its repro and predicate;
- `register.py`: every entry, and `carve_out`, the one way a property leaves a case out
  (`carve_out_quantities` where it compares several quantities of a case).

tests/test_known_failures.py runs every repro as a strict expected failure.
"""

from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.known_failures.layers.init import INIT
from tests.known_failures.register import (
    BY_ID,
    KNOWN_FAILURES,
    carve_out,
    carve_out_quantities,
    covering,
    honour,
    known_failure,
)

__all__ = [
    "BY_ID",
    "INIT",
    "KNOWN_FAILURES",
    "Check",
    "KnownFailure",
    "Observed",
    "Where",
    "carve_out",
    "carve_out_quantities",
    "covering",
    "honour",
    "known_failure",
]
