"""Conv1d's known torch failures: Conv2d's negative padding, on one spatial dimension."""

from __future__ import annotations

import dataclasses

import torch

from tests.known_failures.entry import KnownFailure, Observed
from tests.known_failures.layers import conv2d as two_d
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

ENTRIES = (NEGATIVE_PADDING_CROPS, OPENVINO_FAKE_MODE_GUARD, FOLD_BIAS_INTERMEDIATE_OVERFLOW)
