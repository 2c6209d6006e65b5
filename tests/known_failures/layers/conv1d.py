"""Conv1d's known torch failures: Conv2d's negative padding, on one spatial dimension."""

from __future__ import annotations

import dataclasses

import torch

from reference.conv1d import conv1d_padding
from reference.geometry import padding_only_taps, reads_only_padding, single
from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.known_failures.layers import conv2d as two_d
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "Conv1d"


def negative_padding_crops(path: str) -> None:
    conv = torch.nn.Conv1d(1, 1, 1, padding=-1, padding_mode="reflect")
    try:
        shape = on_path(path, conv)(torch.ones(1, 1, 4)).shape
    except RuntimeError:
        return  # rejected, as padding_mode='zeros' rejects it
    raise AssertionError(f"negative padding accepted: output {tuple(shape)} (cropped input)")


NEGATIVE_PADDING_CROPS = KnownFailure(
    id="conv1d-negative-padding-crops",
    layer=LAYER,
    breaks=two_d.NEGATIVE_PADDING_CROPS.breaks,
    # The predicate reads padding through reference.geometry.pair: an int or a 1-tuple.
    covers=two_d.NEGATIVE_PADDING_CROPS.covers,
    paths=two_d.NEGATIVE_PADDING_CROPS.paths,
    devices=two_d.NEGATIVE_PADDING_CROPS.devices,
    repro=negative_padding_crops,
    observed=Observed(since="2.13.0"),
    summary=(
        "Conv1d, as Conv2d, rejects negative padding only with padding_mode='zeros'; with "
        "reflect, replicate or circular it crops the input and convolves a shorter one "
        "(Conv1d(1, 1, 1, padding=-1, padding_mode='reflect') on length 4: length 2)"
    ),
    upstream=two_d.NEGATIVE_PADDING_CROPS.upstream,
)


def openvino_fake_mode_guard() -> None:
    conv = torch.nn.Conv1d(1, 1, 2)
    x = torch.randn(1, 1, 5)
    try:
        y = on_path("compile:openvino", conv)(x)
    except Exception as error:  # dynamo's guard builder, not the layer
        raise AssertionError(f"{type(error).__name__}: {str(error)[:200]}") from error
    assert torch.allclose(y, conv(x)), (y, conv(x))


OPENVINO_FAKE_MODE_GUARD = KnownFailure(
    id="conv1d-openvino-fake-mode-guard",
    layer=LAYER,
    breaks=two_d.OPENVINO_FAKE_MODE_GUARD.breaks,
    paths=two_d.OPENVINO_FAKE_MODE_GUARD.paths,
    covers=two_d.OPENVINO_FAKE_MODE_GUARD.covers,
    repro=openvino_fake_mode_guard,
    observed=Observed(since="2.13.0"),
    summary=two_d.OPENVINO_FAKE_MODE_SUMMARY.replace(
        "Conv2d(1, 1, 2) on a (1, 1, 3, 3) input raises",
        "Conv1d(1, 1, 2) on a (1, 1, 5) input raises",
    ),
    upstream=two_d.OPENVINO_FAKE_MODE_UPSTREAM,
)


def fold_bias_intermediate_overflow() -> None:
    conv = torch.nn.Conv1d(1, 1, 1, bias=False).half().eval()
    norm = torch.nn.BatchNorm1d(1, eps=1e-10).half().eval()
    with torch.no_grad():
        conv.weight.fill_(1.0)
        norm.running_mean.fill_(91.5)
        norm.running_var.fill_(1.55e-6)
        norm.weight.fill_(-0.125)
    fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, norm)
    x = torch.zeros(1, 1, 1, dtype=torch.float16)
    model, folded = norm(conv(x)).item(), fused(x).item()
    assert abs(folded - model) <= 1e-2 * abs(model), f"folded {folded}, the model {model}"


# Conv1d, as Conv2d, folds through fuse_conv_bn_weights.
FOLD_BIAS_INTERMEDIATE_OVERFLOW = dataclasses.replace(
    two_d.FOLD_BIAS_INTERMEDIATE_OVERFLOW,
    id="conv1d-fusion-bias-intermediate-overflow",
    layer=LAYER,
    repro=fold_bias_intermediate_overflow,
    summary=two_d.FOLD_BIAS_INTERMEDIATE_OVERFLOW.summary + " (Conv1d as Conv2d)",
)


def _zero_padded_length(where: Where) -> tuple[int, ...] | None:
    """(length, left, right, kernel, dilation, stride), the arguments of
    reference.geometry's padding predicates; None without an input or with a padding
    mode that copies the input."""
    if where.x is None or where.arguments["padding_mode"] != "zeros":
        return None
    arguments = where.arguments
    kernel, dilation, stride = (
        single(arguments[name]) for name in ("kernel_size", "dilation", "stride")
    )
    left, right = conv1d_padding(
        arguments["kernel_size"], arguments["dilation"], arguments["padding"]
    )
    return where.x.shape[-1], left, right, kernel, dilation, stride


def _reads_only_padding(where: Where) -> bool:
    """Every output position reads only zero padding: no tap of any output lands on the
    input."""
    geometry = _zero_padded_length(where)
    return geometry is not None and reads_only_padding(*geometry)


def half_padding_only_crash() -> None:
    x = torch.ones(1, 2, 1, dtype=torch.float16)
    w = torch.ones(4, 1, 1, dtype=torch.float16)
    # Output (1, 4, 2), both positions reading padding: zeros. Seen: a segfault.
    y = torch.nn.functional.conv1d(x, w, None, stride=2, padding=1, dilation=2, groups=2)
    assert torch.equal(y, torch.zeros_like(y)), y.flatten().tolist()


HALF_PADDING_ONLY_CRASH = KnownFailure(
    id="conv1d-half-padding-only-crash",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("float16",),
    kernel_sets=("amx",),
    isolate=True,
    covers=_reads_only_padding,
    paths=running_kernels("aten"),
    # Met by hand, after Conv2d's exact sweep found its twin; Conv1d's sweep finds it now.
    found_by="exact",
    repro=half_padding_only_crash,
    observed=dataclasses.replace(two_d.AMX_SWEEP, since="2.6.0"),
    summary=(
        "CPU float16 Conv1d whose every output reads only zero padding crashes the "
        "process (segfault) in the forward at kernel set amx: Conv1d(2, 4, 1, stride=2, "
        "padding=1, dilation=2, groups=2) on ones (1, 2, 1). 2.13.0 and 2.14.1 need a "
        "dilation of 2 or more (2.6.0 crashes undilated too); Conv2d's padding-only "
        "columns crash alike (conv2d-half-padding-only-columns-crash)"
    ),
    upstream=two_d.PADDING_ONLY_COLUMNS_UPSTREAM,
)


def _strided_padding_only_tap(where: Where) -> bool:
    """A stride of 2 or more, and a tap that reads only zero padding at every output."""
    geometry = _zero_padded_length(where)
    return geometry is not None and geometry[5] > 1 and bool(padding_only_taps(*geometry))


def bfloat16_amx_padding_only_tap_weight_grad() -> None:
    import ctypes

    # One output reads positions -2..1 of a one-element input: taps 0, 1 and 3 read only
    # padding, so their weight gradient is 0, and tap 2's is the batch's sum, 3.
    # glibc fills every new block with 0x5A bytes (M_PERTURB), so an element the kernel
    # never writes reads 4.6e16 on the first call, not what the heap held before.
    ctypes.CDLL(None).mallopt(-6, 0xA5)
    conv = torch.nn.Conv1d(3, 2, 4, stride=2, padding=2).to(torch.bfloat16)
    torch.nn.init.ones_(conv.weight)
    conv(torch.ones(3, 3, 1, dtype=torch.bfloat16)).sum().backward()
    want = torch.zeros(2, 3, 4, dtype=torch.bfloat16)
    want[..., 2] = 3
    assert torch.equal(conv.weight.grad, want), conv.weight.grad[0].tolist()


BFLOAT16_AMX_PADDING_ONLY_TAP_WEIGHT_GRAD = KnownFailure(
    id="conv1d-bfloat16-amx-padding-only-tap-weight-grad",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    dtypes=("bfloat16",),
    kernel_sets=("amx",),
    isolate=True,
    covers=_strided_padding_only_tap,
    quantities=("weight",),
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_amx_padding_only_tap_weight_grad,
    observed=dataclasses.replace(
        two_d.AMX_SWEEP,
        since="2.1.2",
        by="this project's Conv1d exact sweep on an Intel Xeon with AMX",
    ),
    summary=(
        "CPU bfloat16 Conv1d backward at kernel set amx leaves the weight gradient of a "
        "tap that reads only zero padding unwritten, at a stride of 2 or more: it holds "
        "whatever the memory held, where it must be 0. Conv1d(3, 2, 4, stride=2, "
        "padding=2) on ones (3, 3, 1) gives weight.grad rows [0, 4.6e16, 3, 4.6e16] with "
        "glibc's malloc perturbation on (the suite turns it on: tests/plugin/"
        "stale_memory.py), where the answer is [0, 0, 3, 0]; without it, right in a fresh "
        "process and [0, 0, 3, 9] or [0, 2.4e-29, 3, 0] after other calls. The exact "
        "sweep found it as a gradient that was right alone and wrong after other cells. "
        "A scan with the perturbation: 528 of 2,376 small configurations with such a tap "
        "fail, every one at a stride of 2 or more, dilation 1 and an output 1 or 2 long, "
        "whatever the channels or batch. 2.1.2, 2.6.0, 2.13.0 and 2.14.1 alike; every "
        "kernel set below amx right. Conv2d alike "
        "(conv2d-bfloat16-amx-padding-only-tap-weight-grad)"
    ),
    upstream="not filed (no upstream issue found)",
)

ENTRIES = (
    NEGATIVE_PADDING_CROPS,
    OPENVINO_FAKE_MODE_GUARD,
    FOLD_BIAS_INTERMEDIATE_OVERFLOW,
    HALF_PADDING_ONLY_CRASH,
    BFLOAT16_AMX_PADDING_ONLY_TAP_WEIGHT_GRAD,
)
