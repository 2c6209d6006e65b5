"""Memory a kernel forgets to write holds a fixed pattern, not what the heap last held.

glibc can fill every block malloc returns with one byte and every freed block with
another (M_PERTURB; the MALLOC_PERTURB_ variable). An output element a kernel never
writes then reads 0x5A5A... in every run: a large, finite value in every float format
(bfloat16 4.6e16, float32 1.5e16, float16 203.25). Without it the element holds whatever
the heap held last: zeros in a fresh process and stale values after other calls, so such
a bug (conv1d-bfloat16-amx-padding-only-tap-weight-grad) passes or fails with what ran
before it. With it the bug fails on its first call, and no verdict depends on the order
of a run's cells. Elsewhere than glibc nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import platform

import pytest

# Freed blocks are filled with this byte, new blocks with its complement (0x5A).
PERTURB_BYTE = 0xA5
_M_PERTURB = -6  # glibc's malloc.h
_VARIABLE = "MALLOC_PERTURB_"


def perturb_this_process() -> bool:
    """Turn the pattern on in this process; False where the C library is not glibc."""
    if platform.libc_ver()[0] != "glibc":
        return False
    return bool(ctypes.CDLL(None).mallopt(_M_PERTURB, PERTURB_BYTE))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Child processes (xdist workers, isolated repros) read the variable when they start.
    os.environ.setdefault(_VARIABLE, str(PERTURB_BYTE))
    perturb_this_process()
