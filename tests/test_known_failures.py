"""Known torch failures, each a minimal repro under a strict xfail (spec/known_failures.py).

When torch fixes one, its xfail passes, strict makes the run fail, and the entry (and
the carve-out it makes in the property tests) is removed.
"""

import math
import os
import subprocess
import sys

import pytest
import torch

from spec.known_failures import KNOWN_FAILURES

# Not a property: a register of torch bugs. Each strict xfail is its own proof (it
# fails the run the day torch is fixed), so the mutant zoo does not ask for a mutant.
IS_PROPERTY = False


def batch_norm2d_float16_invstd_overflow() -> bool:
    bn = torch.nn.BatchNorm2d(1, eps=2.2e-10).half()
    y = bn(torch.full((2, 1, 1, 1), 0.5, dtype=torch.float16))
    return bool(torch.equal(y, torch.zeros_like(y)))


def layer_norm_float16_rstd_overflow() -> bool:
    ln = torch.nn.LayerNorm(1, eps=1e-10, elementwise_affine=False).half()
    x = torch.tensor([0.125], dtype=torch.float16, requires_grad=True)
    ln(x).backward(torch.tensor([0.125], dtype=torch.float16))
    return not math.isnan(x.grad.item()) and x.grad.item() == 0.0


def batch_norm2d_rejected_input_counts_a_batch() -> bool:
    bn = torch.nn.BatchNorm2d(1)
    with pytest.raises(RuntimeError):
        bn(torch.ones(2, 2, 2, 2))
    return int(bn.num_batches_tracked) == 0


def batch_norm2d_meta_cumulative_average() -> bool:
    bn = torch.nn.BatchNorm2d(1, momentum=None, device="meta")
    return tuple(bn(torch.empty(1, 1, 1, 2, device="meta")).shape) == (1, 1, 1, 2)


def conv2d_negative_padding_crops() -> bool:
    conv = torch.nn.Conv2d(1, 1, 1, padding=-1, padding_mode="reflect")
    try:
        conv(torch.ones(1, 1, 4, 4))
    except RuntimeError:
        return True
    return False


CONV2D_1X1_CRASH = """
import torch
torch.set_num_threads(1)
for _ in range(300):
    w = torch.randn(2, 2, 1, 1).contiguous(memory_format=torch.channels_last).requires_grad_()
    x = torch.randn(2, 2, 9, 3).contiguous(memory_format=torch.channels_last).requires_grad_()
    b = torch.randn(2, requires_grad=True)
    torch.nn.functional.conv2d(x, w, b, stride=3).backward(torch.randn(2, 2, 3, 1))
"""


def _cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return " avx2" in cpuinfo.read()
    except OSError:
        return False


def conv2d_channels_last_1x1_strided_backward_crash() -> bool:
    # The faulty kernel is oneDNN's AVX2 one. oneDNN takes its best ISA by default, so the
    # child caps it at AVX2 (ONEDNN_MAX_CPU_ISA, read when torch loads): the same kernel
    # then runs on every CPU that has AVX2, AVX-512 ones included.
    if not _cpu_has_avx2():
        pytest.skip("not applicable on this CPU: the crash is in oneDNN's AVX2 kernel")
    # A crash cannot be caught in-process: the repro runs in a child interpreter.
    child = subprocess.run(
        [sys.executable, "-c", CONV2D_1X1_CRASH],
        capture_output=True,
        timeout=120,
        env={**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"},
    )
    return child.returncode == 0


CHECKS = {
    "conv2d-channels-last-1x1-strided-backward-crash": (
        conv2d_channels_last_1x1_strided_backward_crash
    ),
    "conv2d-negative-padding-crops": conv2d_negative_padding_crops,
    "batch_norm2d-meta-cumulative-average": batch_norm2d_meta_cumulative_average,
    "batch_norm2d-rejected-input-counts-a-batch": batch_norm2d_rejected_input_counts_a_batch,
    "batch_norm2d-float16-invstd-overflow": batch_norm2d_float16_invstd_overflow,
    "layer_norm-float16-rstd-overflow": layer_norm_float16_rstd_overflow,
}


@pytest.mark.parametrize(
    "known",
    [
        pytest.param(
            k, id=k.id, marks=pytest.mark.xfail(strict=True, reason=f"{k.summary} ({k.upstream})")
        )
        for k in KNOWN_FAILURES
    ],
)
def test_known_failures(known, conformance_record):
    conformance_record["layer"] = known.layer
    conformance_record["property"] = "known failures"
    assert CHECKS[known.id](), f"{known.summary}\nrepro:\n{known.repro}\nexpected: {known.expected}"


def test_every_known_failure_has_a_check():
    assert set(CHECKS) == {k.id for k in KNOWN_FAILURES}
