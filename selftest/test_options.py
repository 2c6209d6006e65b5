"""A bad option of ours stops the run with one readable line, not a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BAD_OPTIONS = [
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--dtype", "float8"], "unknown dtype 'float8'"),
    (["--impl", "no_such_module_anywhere"], "cannot be imported"),
    (["--impl", "selftest/impls/raising_nn.py"], "cannot be imported: RuntimeError"),
    (["--impl-known", "selftest/impls/nothing_nn.py"], "ENTRIES must be a non-empty tuple"),
    (["--hypothesis-profile", "nightly"], "unknown Hypothesis profile 'nightly'"),
    (["--hypothesis-seed", "abc"], "--hypothesis-seed must be an integer"),
    (["--hypothesis-seed", "1", "--example-db=db"], "exclude each other"),
    (["--shrink-budget", "soon"], "--shrink-budget must be a number of seconds"),
    (["--shrink-budget", "-5"], "--shrink-budget must be a number of seconds"),
]


@pytest.mark.parametrize(
    ("option", "message"), BAD_OPTIONS, ids=[o[0][0] + "=" + o[0][1] for o in BAD_OPTIONS]
)
def test_bad_option_is_one_line(option, message):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_shape.py", "-p", "no:cacheprovider", *option],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert len(output) == 1, "expected one line, got:\n" + "\n".join(output)
    assert output[0].startswith("ERROR: ") and message in output[0], output[0]
