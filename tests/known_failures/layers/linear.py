"""Linear's known torch failures: its fusion with a following BatchNorm1d (tests/test_fusion.py),
and inductor's freezing path.

The fusion property scopes a case by the Linear (the pair's first layer) with the
BatchNorm's constructor arguments under `hp["norm"]`, and x the network's input.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch

from spec.input_classes import BATCH
from spec.layers.linear import WIDTHS
from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.paths import running_kernels

LAYER = "Linear"


def _norm(where: Where) -> dict | None:
    return where.hp.get("norm")


def _norm_without_weight_or_bias(where: Where) -> bool:
    norm = _norm(where)
    return norm is not None and (not norm["affine"] or norm.get("bias") is False)


def fusion_without_affine() -> None:
    linear = torch.nn.Linear(1, 1, bias=False).eval()
    norms = [torch.nn.BatchNorm1d(1, affine=False)]
    if "bias" in inspect.signature(torch.nn.BatchNorm1d).parameters:  # newer than 2.6
        norms.append(torch.nn.BatchNorm1d(1, bias=False))
    for norm in norms:
        norm.eval()
        try:
            fused = torch.nn.utils.fusion.fuse_linear_bn_eval(linear, norm)
        except TypeError as error:
            raise AssertionError(f"{norm}: TypeError {error}") from error
        # Running mean 0, variance 1: bn(linear(x)) = w * x / sqrt(1 + eps), a fold.
        x = torch.ones(1, 1)
        assert torch.allclose(fused(x), norm(linear(x))), (fused(x), norm(linear(x)))


FUSION_WITHOUT_AFFINE = KnownFailure(
    id="linear-fusion-batch-norm-without-affine",
    layer=LAYER,
    breaks=Check.VALUES,
    covers=_norm_without_weight_or_bias,
    found_by="fusion",
    # Python on the parameters, on whatever device they are (the second CUDA run met it).
    devices=("cpu", "cuda"),
    repro=fusion_without_affine,
    observed=Observed(since="2.1.2", devices=("cpu", "cuda")),
    summary=(
        "torch.nn.utils.fusion.fuse_linear_bn_eval (and so torch.fx.experimental."
        "optimization.fuse on a Linear followed by a BatchNorm1d) raises TypeError for a "
        "BatchNorm1d with affine=False ('NoneType' * 'Tensor') or bias=False ('Tensor' + "
        "'NoneType'): fuse_linear_bn_weights uses bn.weight and bn.bias as they are, "
        "where fuse_conv_bn_weights puts ones and zeros in their place. The fold exists: "
        "Linear(1, 1, bias=False) then BatchNorm1d(1, affine=False) (mean 0, var 1) is "
        "x -> w * x / sqrt(1 + eps)"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/122183 (open: Linear-BN with "
        "affine=False, through FX quantization's fusion)"
    ),
)


def _three_d_channels(where: Where) -> bool:
    norm = _norm(where)
    return (
        norm is not None
        and norm["track_running_stats"]
        and where.x is not None
        and where.x.ndim == 3
        and where.x.shape[1] > 1
    )


def fx_fuse_three_d_input() -> None:
    linear = torch.nn.Linear(1, 2, bias=False)
    norm = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        linear.weight.fill_(1.0)
        norm.weight.copy_(torch.tensor([1.0, 2.0]))
    model = torch.nn.Sequential(linear, norm).eval()
    # (N, C, F) = (1, 2, 1): BatchNorm1d scales axis 1, the channels, so
    # y[0, c, f] = gamma_c / sqrt(1 + eps): [[1, 1], [2, 2]] / sqrt(1 + 1e-5).
    x = torch.ones(1, 2, 1)
    # A submodule torch does not import by itself: the repro (printed or run alone in a
    # fresh worker, where it failed) must not rely on another test having imported it.
    import torch.fx.experimental.optimization as fx_optimization

    fused = fx_optimization.fuse(model)
    assert torch.allclose(fused(x), model(x)), (fused(x), model(x))


FX_FUSE_THREE_D_INPUT = KnownFailure(
    id="linear-fx-fuse-three-d-input",
    layer=LAYER,
    breaks=Check.VALUES,
    covers=_three_d_channels,
    found_by="fusion",
    repro=fx_fuse_three_d_input,
    observed=Observed(since="2.6.0"),
    summary=(
        "torch.fx.experimental.optimization.fuse folds a BatchNorm1d into the Linear "
        "before it whatever the input's rank; on a 3-D input (N, C, F) BatchNorm1d "
        "scales axis 1 (channels) while the fold scales the Linear's output features "
        "(the last axis). With C == out_features it returns wrong values without a word "
        "(Linear(1, 2), BatchNorm1d(2) with weight [1, 2] on ones(1, 2, 1): fused "
        "[[1, 2], [1, 2]] / sqrt(1 + eps), the model [[1, 1], [2, 2]] / sqrt(1 + eps)); "
        "with another C > 1 fuse raises AssertionError ('To fuse, linear.out_features "
        "== bn.num_features or bn.num_features == 1') on a valid model"
    ),
    upstream=(
        "related: https://github.com/pytorch/pytorch/issues/118990 (closed by the "
        "out_features check of pytorch#119264, which turned the shape error into this "
        "assertion and left C == out_features folding along the wrong axis)"
    ),
)


def _half_unbatched_with_bias(where: Where) -> bool:
    """An unbatched input, a bias, a side wider than spec.layers.linear.WIDE (the edge
    measured in float16 and bfloat16, in_features 1 to 64 against out_features 1 to 64)
    and two or more outputs: the calls that fail; the others compile and are right."""
    if where.x is None:
        return False
    classes = where.classes
    return (
        classes["batch"] == BATCH[0]
        and classes["bias"] == "bias"
        and classes["width"] == WIDTHS[0]
        and where.hp["out_features"] >= 2
    )


def freezing_half_unbatched() -> None:
    import torch._inductor.config

    linear = torch.nn.Linear(21, 14).to(torch.float16).eval()
    torch.compiler.reset()
    with torch._inductor.config.patch(freezing=True), torch.no_grad():
        try:
            torch.compile(linear, backend="inductor", fullgraph=True)(
                torch.ones(21, dtype=torch.float16)
            )
        except Exception as error:  # BackendCompilerFailed wrapping a TypeError
            raise AssertionError(str(error).splitlines()[1]) from error


def freezing_bfloat16_unbatched() -> None:
    import torch._inductor.config

    linear = torch.nn.Linear(21, 14).to(torch.bfloat16).eval()
    torch.compiler.reset()
    with torch._inductor.config.patch(freezing=True), torch.no_grad():
        try:
            torch.compile(linear, backend="inductor", fullgraph=True)(
                torch.ones(21, dtype=torch.bfloat16)
            )
        except Exception as error:  # BackendCompilerFailed wrapping a TypeError
            raise AssertionError(str(error).splitlines()[1]) from error


# mkldnn's half-precision linear packing runs where oneDNN may use the CPU's instructions
# for the type (torch.ops.mkldnn._is_mkldnn_bf16_supported / _fp16_): float16 needs
# avx512_fp16 (the Intel Xeon with AMX has it, the AMD EPYC does not), bfloat16
# avx512_bf16 (both have it), and oneDNN capped at avx2 or below packs neither (observe,
# on the AMD EPYC: the repro passes at default and avx2). So each dtype is an entry, with
# the kernel sets and flags it was seen at; the cases are left out at avx512 and amx.
HALF_KERNEL_SETS = ("avx512", "amx")
FREEZING_HALF_SUMMARY = (
    "torch.compile (inductor) with freezing, in inference: a {dtype} Linear with a bias "
    "on a 1-D (unbatched) input fails to compile, TypeError 'reduce() of empty iterable "
    "with no initial value' in mkldnn_fusion's reshape_linear_reshape_pattern, whose "
    "product over the output's leading dimensions has none to multiply. Scanned in "
    "float16: it fails with two or more outputs and more than 16 inputs or outputs "
    "(21 -> 14, 32 -> 8, 4 -> 17; 16 -> 16, 8 -> 4 and 21 -> 1 compile and are right), "
    "never without a bias or in float32; bfloat16 fails at exactly the same sizes. Only "
    "where oneDNN packs {dtype} ({flag}; not with oneDNN capped at avx2). Also on 2.14.1"
)


def _freezing_unbatched(
    id: str, dtype: str, repro: Callable[[], None], observed: Observed
) -> KnownFailure:
    """The freezing unbatched crash in one half type, observed on CPUs with the one
    instruction flag oneDNN packs that type with."""
    (flag,) = observed.cpu_flags
    return KnownFailure(
        id=id,
        layer=LAYER,
        breaks=frozenset({Check.SHAPE, Check.VALUES, Check.EXACT}),
        dtypes=(dtype,),
        kernel_sets=HALF_KERNEL_SETS,
        paths=running_kernels("inductor-freezing"),
        covers=_half_unbatched_with_bias,
        repro=repro,
        found_by="forward",
        observed=observed,
        summary=FREEZING_HALF_SUMMARY.format(dtype=dtype, flag=flag),
        upstream="not filed (no upstream issue found for reshape_linear_reshape_pattern)",
    )


FREEZING_HALF_UNBATCHED = _freezing_unbatched(
    "linear-inductor-freezing-half-unbatched",
    "float16",
    freezing_half_unbatched,
    Observed(
        since="2.13.0",
        kernel_sets=("amx",),
        cpu_flags=("avx512_fp16",),
        by="this project's runs on an Intel Xeon with AMX",
    ),
)
FREEZING_BFLOAT16_UNBATCHED = _freezing_unbatched(
    "linear-inductor-freezing-bfloat16-unbatched",
    "bfloat16",
    freezing_bfloat16_unbatched,
    Observed(
        since="2.13.0",
        kernel_sets=HALF_KERNEL_SETS,
        cpu_flags=("avx512_bf16",),
        by=(
            "this project's runs on an Intel Xeon with AMX (at amx) and an AMD EPYC with "
            "avx512_bf16 and no avx512_fp16 (at avx512)"
        ),
    ),
)


ENTRIES = (
    FUSION_WITHOUT_AFFINE,
    FX_FUSE_THREE_D_INPUT,
    FREEZING_HALF_UNBATCHED,
    FREEZING_BFLOAT16_UNBATCHED,
)
