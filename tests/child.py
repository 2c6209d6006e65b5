"""Python code run in a fresh interpreter of this checkout.

A known failure's repro may crash the process (a heap overrun) or need another kernel
set's environment, and an invalid index on CUDA leaves the CUDA context unusable: such
code runs in a child that is allowed to die, never in the pytest worker that asked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A child imports torch (and may initialise CUDA or loop a crashing repro): seconds. One
# that runs this long has hung, which is a failure too.
CHILD_TIMEOUT_S = 300


def run_python(
    code: str,
    environment: Mapping[str, str] | None = None,
    timeout_s: float = CHILD_TIMEOUT_S,
) -> subprocess.CompletedProcess:
    """Run `code` with `python -c` from the checkout's root, which is on its PYTHONPATH,
    with `environment` over this process's; its exit status and output, as text. Raises
    subprocess.TimeoutExpired after `timeout_s`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(environment or {})}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def last_line(text: str, fallback: str) -> str:
    """The last line of a child's output, or `fallback` where it wrote nothing."""
    lines = text.strip().splitlines()
    return lines[-1] if lines else fallback
