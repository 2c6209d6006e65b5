"""Known failures of released torch: each shrunk to a minimal repro and checked by hand.

A property test skips (rejects) the drawn cases a known failure covers, so the rest of
its domain stays under test, and tests/test_known_failures.py runs each minimal repro
as a strict xfail: when torch fixes the bug, the xfail passes, the run fails, and the
entry is removed. Nothing here loosens a tolerance or hides a case silently: every
entry is listed in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# 1/sqrt(var + eps) overflows float16 (max 65504) once var + eps < 65504**-2.
FLOAT16_INVSTD_LIMIT = 65504.0**-2


@dataclass(frozen=True)
class KnownFailure:
    """One reproduced disagreement between torch and the mathematics."""

    id: str
    layer: str
    properties: tuple[str, ...]
    dtypes: tuple[str, ...]
    # (hp, training) -> whether a configuration is inside the failing region.
    covers: Callable[[dict, bool | None], bool]
    summary: str
    repro: str
    expected: str
    upstream: str  # the closest upstream issue, or "not filed"
    # Which check it breaks: "values" (every numeric property; draw_case rejects such
    # cases), "raises" or "unchanged state" (the errors property), "meta device" (devices),
    # "channels_last" (layouts).
    breaks: str = "values"


def _tiny_eps(hp: dict, training: bool | None) -> bool:
    return hp.get("eps", 1e-5) < FLOAT16_INVSTD_LIMIT


def _cumulative_average_in_training(hp: dict, training: bool | None) -> bool:
    return (
        bool(training) and hp.get("momentum", 0.1) is None and hp.get("track_running_stats", True)
    )


def _negative_padding_copying_mode(hp: dict, training: bool | None) -> bool:
    padding = hp.get("padding", 0)
    amounts = [padding] if isinstance(padding, int) else list(padding)
    negative = not isinstance(padding, str) and min(amounts) < 0
    return negative and hp.get("padding_mode", "zeros") != "zeros"


def _strided_1x1_without_conv_padding(hp: dict, training: bool | None) -> bool:
    kernel, stride = hp.get("kernel_size"), hp.get("stride", 1)
    one_by_one = kernel in (1, (1, 1))
    strided = stride not in (1, (1, 1))
    # Copying padding modes pad with F.pad first: the convolution itself gets padding 0.
    no_conv_padding = hp.get("padding_mode", "zeros") != "zeros" or hp.get("padding", 0) in (
        0,
        (0, 0),
        "valid",
    )
    return one_by_one and strided and no_conv_padding


def _counts_batches(hp: dict, training: bool | None) -> bool:
    return bool(training) and hp.get("track_running_stats", True)


KNOWN_FAILURES: tuple[KnownFailure, ...] = (
    KnownFailure(
        id="batch_norm2d-float16-invstd-overflow",
        layer="BatchNorm2d",
        properties=("forward", "gradients", "layouts", "modes", "devices"),
        dtypes=("float16",),
        covers=_tiny_eps,
        summary=(
            "CPU float16 BatchNorm2d in training returns NaN for a constant channel when "
            "eps < 65504**-2: the inverse std is stored in float16 and overflows to inf, "
            "and 0 * inf = NaN, where the output is exactly 0"
        ),
        repro=(
            "bn = torch.nn.BatchNorm2d(1, eps=2.2e-10).half()\n"
            "bn(torch.full((2, 1, 1, 1), 0.5, dtype=torch.float16))"
        ),
        expected="tensor([0., 0.]) (x equals the batch mean); torch gives [nan, nan]",
        upstream="related: https://github.com/pytorch/pytorch/issues/66707",
    ),
    KnownFailure(
        id="layer_norm-float16-rstd-overflow",
        layer="LayerNorm",
        properties=("gradients", "layouts", "gradcheck", "devices"),
        dtypes=("float16",),
        covers=_tiny_eps,
        summary=(
            "CPU float16 LayerNorm backward returns NaN when var + eps < 65504**-2 (e.g. a "
            "constant row or a single normalized element): the saved 1/std is float16 and "
            "overflows, where the true gradient is finite (0 for a single element)"
        ),
        repro=(
            "ln = torch.nn.LayerNorm(1, eps=1e-10, elementwise_affine=False).half()\n"
            "x = torch.tensor([0.125], dtype=torch.float16, requires_grad=True)\n"
            "ln(x).backward(torch.tensor([0.125], dtype=torch.float16)); x.grad"
        ),
        expected="tensor([0.]) (the output is constant 0 in x); torch gives [nan]",
        upstream="related: https://github.com/pytorch/pytorch/issues/41527",
    ),
    KnownFailure(
        id="batch_norm2d-rejected-input-counts-a-batch",
        layer="BatchNorm2d",
        properties=("errors",),
        dtypes=("float32", "float64", "float16", "bfloat16"),
        covers=_counts_batches,
        summary=(
            "BatchNorm2d in training increments num_batches_tracked before it validates the "
            "input, so a rejected input (channel mismatch, one value per channel) still "
            "counts a batch; with momentum=None that skews every later cumulative average"
        ),
        repro=(
            "bn = torch.nn.BatchNorm2d(1)\n"
            "try:\n    bn(torch.ones(2, 2, 2, 2))\nexcept RuntimeError:\n    pass\n"
            "bn.num_batches_tracked  # tensor(1)"
        ),
        expected="tensor(0): a call that raises must leave the module unchanged",
        upstream="not filed (no upstream issue found)",
        breaks="unchanged state",
    ),
    KnownFailure(
        id="batch_norm2d-meta-cumulative-average",
        layer="BatchNorm2d",
        properties=("devices",),
        dtypes=("float32", "float64", "float16", "bfloat16"),
        covers=_cumulative_average_in_training,
        summary=(
            "BatchNorm2d(momentum=None) in training cannot run on the meta device: forward "
            "computes the cumulative-average factor as 1 / float(num_batches_tracked), "
            "which reads a value a meta tensor does not have (RuntimeError), where the "
            "output shape is fully determined"
        ),
        repro=(
            "bn = torch.nn.BatchNorm2d(1, momentum=None, device='meta')\n"
            "bn(torch.empty(1, 1, 1, 2, device='meta'))"
        ),
        expected="a meta tensor of shape (1, 1, 1, 2); torch raises RuntimeError",
        upstream="not filed (no upstream issue found)",
        breaks="meta device",
    ),
    KnownFailure(
        id="conv2d-negative-padding-crops",
        layer="Conv2d",
        properties=("errors",),
        dtypes=("float32", "float64", "float16", "bfloat16"),
        covers=_negative_padding_copying_mode,
        summary=(
            "Conv2d rejects negative padding only with padding_mode='zeros'; with reflect, "
            "replicate or circular it hands the negative amounts to F.pad, which crops the "
            "input, and the convolution silently runs on a smaller image"
        ),
        repro=(
            "conv = torch.nn.Conv2d(1, 1, 1, padding=-1, padding_mode='reflect')\n"
            "conv(torch.ones(1, 1, 4, 4)).shape  # (1, 1, 2, 2)"
        ),
        expected="RuntimeError('negative padding is not supported'), as padding_mode='zeros' gives",
        upstream="not filed (no upstream issue found)",
        breaks="raises",
    ),
    KnownFailure(
        id="conv2d-channels-last-1x1-strided-backward-crash",
        layer="Conv2d",
        properties=("layouts",),
        dtypes=("float32",),
        covers=_strided_1x1_without_conv_padding,
        summary=(
            "CPU Conv2d backward with a channels_last input, a 1x1 kernel, stride > 1 and "
            "fewer than 8 input channels crashes the process (segfault or abort) with one "
            "intra-op thread: oneDNN's 1x1 backward-weights kernel writes past its "
            "workspace (with more threads it is reported to hang or give wrong weight "
            "gradients). Found by the layouts property; the suite skips the channels_last "
            "layout for such configurations"
        ),
        repro=(
            "torch.set_num_threads(1)\n"
            "for _ in range(300):\n"
            "    w = torch.randn(2, 2, 1, 1).contiguous(memory_format=torch.channels_last)\n"
            "    x = torch.randn(2, 2, 9, 3).contiguous(memory_format=torch.channels_last)\n"
            "    w.requires_grad_(); x.requires_grad_(); b = torch.randn(2, requires_grad=True)\n"
            "    torch.nn.functional.conv2d(x, w, b, stride=3).backward(torch.randn(2, 2, 3, 1))"
        ),
        expected="gradients; torch 2.13.0 CPU ends the process with SIGSEGV or SIGABRT",
        upstream="https://github.com/uxlfoundation/oneDNN/issues/6035",
        breaks="channels_last",
    ),
)


def known_failure_for(
    layer: str, dtype: str, hp: dict, breaks: str = "values", training: bool | None = None
) -> KnownFailure | None:
    """The known failure that breaks check `breaks` for this configuration, if any."""
    for known in KNOWN_FAILURES:
        matches = known.breaks == breaks and known.layer == layer and dtype in known.dtypes
        if matches and known.covers(hp, training):
            return known
    return None
