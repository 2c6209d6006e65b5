"""Conv2d's known torch failures."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from reference.conv2d import conv2d_padding
from reference.geometry import padding_only_taps, pair, reads_only_padding
from spec.dtypes import format_of
from spec.inputs import Inputs
from spec.registry import layer_named
from tests.known_failures.entry import (
    SECOND_CUDA_RUN,
    Check,
    KnownFailure,
    Observed,
    Where,
    reached_under_switch,
)
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "Conv2d"


def _negative_padding_copying_mode(where: Where) -> bool:
    padding = where.arguments["padding"]
    # An int, or one amount per spatial dimension (Conv1d's 1-tuple, Conv2d's pair).
    amounts = (
        () if isinstance(padding, str) else (padding,) if isinstance(padding, int) else padding
    )
    negative = bool(amounts) and min(amounts) < 0
    return negative and where.arguments["padding_mode"] != "zeros"


def negative_padding_crops(path: str) -> None:
    conv = torch.nn.Conv2d(1, 1, 1, padding=-1, padding_mode="reflect")
    try:
        shape = on_path(path, conv)(torch.ones(1, 1, 4, 4)).shape
    except RuntimeError:
        return  # rejected, as padding_mode='zeros' rejects it
    raise AssertionError(f"negative padding accepted: output {tuple(shape)} (cropped input)")


NEGATIVE_PADDING_CROPS = KnownFailure(
    id="conv2d-negative-padding-crops",
    layer=LAYER,
    breaks=Check.RAISES,
    covers=_negative_padding_copying_mode,
    paths=running_kernels("aten", "inductor"),
    repro=negative_padding_crops,
    observed=Observed(since="2.1.2"),
    summary=(
        "Conv2d rejects negative padding only with padding_mode='zeros'; with reflect, "
        "replicate or circular it hands the negative amounts to F.pad, which crops the "
        "input, and the convolution silently runs on a smaller image"
    ),
    upstream="not filed (no upstream issue found)",
    devices=("cpu", "cuda", "meta"),
)


def _channels_last_strided_1x1_without_conv_padding(where: Where) -> bool:
    arguments = where.arguments
    one_by_one = pair(arguments["kernel_size"]) == (1, 1)
    strided = pair(arguments["stride"]) != (1, 1)
    # Copying padding modes pad with F.pad first: the convolution itself gets padding 0.
    padding = arguments["padding"]
    no_conv_padding = arguments["padding_mode"] != "zeros" or (
        padding == "valid" or (not isinstance(padding, str) and pair(padding) == (0, 0))
    )
    return where.layout == "channels_last" and one_by_one and strided and no_conv_padding


def channels_last_1x1_strided_backward_crash(path: str) -> None:
    torch.set_num_threads(1)
    conv = torch.nn.Conv2d(2, 2, 1, stride=3).to(memory_format=torch.channels_last)
    run = on_path(path, conv)
    for _ in range(300):
        with torch.no_grad():
            conv.weight.copy_(torch.randn(2, 2, 1, 1))
            conv.bias.copy_(torch.randn(2))
        x = torch.randn(2, 2, 9, 3).contiguous(memory_format=torch.channels_last)
        run(x.requires_grad_()).backward(torch.randn(2, 2, 3, 1))


CHANNELS_LAST_1X1_STRIDED_BACKWARD_CRASH = KnownFailure(
    id="conv2d-channels-last-1x1-strided-backward-crash",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("float32",),
    kernel_sets=("avx2",),
    isolate=True,
    covers=_channels_last_strided_1x1_without_conv_padding,
    paths=running_kernels("aten", "inductor"),
    found_by="exact",
    repro=channels_last_1x1_strided_backward_crash,
    # Seen on two AMD EPYC machines (one AVX2-only, one AVX-512 capped at AVX2) and on an
    # Intel Xeon with AMX capped at AVX2 (torch 2.13.0: it crashed within 8 calls in 12 of
    # 12 processes on eager). Another Intel Xeon with AMX (torch 2.11.0, the first CUDA
    # run's host) ran the repro's 300 calls without a crash, once.
    observed=Observed(
        since="2.1.2",
        kernel_sets=("avx2",),
        by="this project's runs on two AMD EPYC machines and an Intel Xeon with AMX",
    ),
    summary=(
        "CPU Conv2d backward with a channels_last input, a 1x1 kernel, stride > 1 and "
        "fewer than 8 input channels crashes the process (segfault or abort) with one "
        "intra-op thread: oneDNN's AVX2 1x1 backward-weights kernel writes past its "
        "workspace (with more threads it is reported to hang or give wrong weight "
        "gradients). It reproduces on AVX-512 CPUs with oneDNN capped at AVX2"
    ),
    upstream="https://github.com/uxlfoundation/oneDNN/issues/6035",
)


def _strided_single_output_column(where: Where) -> bool:
    """Conv2d whose output is one column wide, reached with a horizontal stride above 1."""
    if where.x is None:
        return False
    arguments = where.arguments
    # The output width does not depend on the padding mode: copying modes pad the input
    # by the same amounts first and convolve it with padding 0.
    out = layer_named(LAYER).out_shape(arguments, where.x.shape)
    return out[-1] == 1 and pair(arguments["stride"])[1] > 1


def bfloat16_amx_strided_single_column() -> None:
    x = torch.ones(1, 3, 7, 3, dtype=torch.bfloat16)
    w = torch.ones(1, 3, 2, 2, dtype=torch.bfloat16)
    y = torch.nn.functional.conv2d(x, w, None, stride=(1, 2), padding=0, dilation=2)
    # Output 5x1; every window holds 3 channels x 4 taps of 1 * 1: each output is 12,
    # exact in bfloat16 (AMX machines were seen to return [12, 12, 6, 12, 9]).
    assert torch.equal(y, torch.full_like(y, 12.0)), y.flatten().tolist()


BFLOAT16_AMX_STRIDED_SINGLE_COLUMN = KnownFailure(
    id="conv2d-bfloat16-amx-strided-single-column",
    layer=LAYER,
    breaks=frozenset({Check.VALUES, Check.EXACT}),
    dtypes=("bfloat16",),
    kernel_sets=("amx",),
    # Measured by issue 18 on an Intel Xeon with AMX: 2.1.2 right; 2.2.2, 2.4.1, 2.6.0,
    # 2.10.0 and 2.13.0 wrong ([12, 12, 6, 12, 9]).
    releases=">=2.2",
    isolate=True,
    covers=_strided_single_output_column,
    # The forward kernel alone: over 2,797 sweep configurations in this region (two seeds
    # of 6,000 draws, malloc perturbation on), and 1,590 of its float32 twin's under
    # fp32-bf16, the input and bias gradients were always exact, and a weight gradient was
    # wrong only where the AMX padding-only tap entry covers it. Leaving the whole case
    # out hid that entry's wrong gradients in the sweep (it was re-found 1 seed of 5).
    quantities=("output",),
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_amx_strided_single_column,
    observed=Observed(
        since="2.2.2",
        kernel_sets=("amx",),
        by="issue 18's runs on an Intel Xeon with AMX, and this project's (torch 2.13.0)",
    ),
    summary=(
        "CPU bfloat16 Conv2d on AMX CPUs gives wrong outputs when the output is one "
        "column wide and the horizontal stride is above 1: oneDNN's AMX bf16 BRGEMM "
        "convolution (brg_conv_fwd:avx10_1_512_amx). Reported on an Intel Xeon with "
        "AMX by the gradients property (max abs error 7e11); right with oneDNN capped "
        "below AMX or with mkldnn off, and on torch 2.1.2"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/169688 (open; fix proposed in pull "
        "188426, which names the out_w == 1, stride_w > 1 class)"
    ),
)


def _replicate_batched_channels(where: Where) -> bool:
    batched = where.x is not None and where.x.ndim == 4
    replicate = where.arguments["padding_mode"] == "replicate"
    return batched and replicate and where.arguments["in_channels"] > 1


def replicate_inductor_backward() -> None:
    conv = torch.nn.Conv2d(2, 2, 3, padding=1, padding_mode="replicate")
    x = torch.randn(1, 2, 3, 3, requires_grad=True)
    try:
        torch.compile(conv, backend="inductor", fullgraph=True)(x).sum().backward()
    except AssertionError as error:  # inductor's stride assertion, in the backward
        raise AssertionError(f"backward raised: {str(error)[:200]}") from error


REPLICATE_INDUCTOR_BACKWARD = KnownFailure(
    id="conv2d-replicate-inductor-backward",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    paths=running_kernels("inductor"),
    covers=_replicate_batched_channels,
    repro=replicate_inductor_backward,
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.compile (inductor) Conv2d with padding_mode='replicate', a batched input "
        "with more than one channel that requires grad: the backward raises "
        "AssertionError 'expected size 2==2, stride 1==9' from "
        "replication_pad2d_backward: layout optimisation saves the padded input "
        "channels_last, and the kernel's meta function returns it contiguous"
    ),
    upstream=(
        "not filed (no exact upstream issue found); related: "
        "https://github.com/pytorch/pytorch/issues/179442, "
        "https://github.com/pytorch/pytorch/issues/179837 (pad stride mismatches in "
        "the forward), https://github.com/pytorch/pytorch/issues/171622"
    ),
)


def _unbatched(where: Where) -> bool:
    """An unbatched (C, H, W) input."""
    return where.x is not None and where.x.ndim == 3


def inductor_dynamic_unbatched(path: str) -> None:
    conv = torch.nn.Conv2d(2, 2, 1)
    x = torch.randn(2, 4, 3)
    try:
        y = on_path(path, conv)(x)
    except Exception as error:  # InductorError, raised while inductor lowers the graph
        raise AssertionError(f"an unbatched input raised: {str(error)[:200]}") from error
    assert torch.allclose(y, conv(x)), "an unbatched input: values differ from eager"


INDUCTOR_DYNAMIC_UNBATCHED = KnownFailure(
    id="conv2d-inductor-dynamic-unbatched",
    layer=LAYER,
    breaks=Check.SURVIVES,
    paths=("compile:inductor-dynamic",),
    covers=_unbatched,
    repro=inductor_dynamic_unbatched,
    found_by="gradients",
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.compile(dynamic=True) (inductor) Conv2d on an unbatched (C, H, W) input "
        "fails to compile: InductorError 'TypeError: cannot determine truth value of "
        "Relational: 2*s50*s69 < 2*s69' for Conv2d(2, 2, 1) on a (2, 4, 3) input, forward "
        "alone, with or without a gradient (static shapes, Conv1d and AvgPool2d on "
        "unbatched inputs compile). Found by the rediscovery bench's first run of the "
        "path (2026-12-06), the gradients property at the compile profile; also on 2.14.1"
    ),
    upstream=(
        "not filed (no exact upstream issue found); related: "
        "https://github.com/pytorch/pytorch/issues/185510 (the same TypeError in stride "
        "sorting with dynamic=True)"
    ),
)


def _batch_of_several(where: Where) -> bool:
    """A batch of more than one input. The failure needs a compile of the same module
    earlier in the cache, on an input of the same width: which one came before is not
    this case's to know, so every such case is left to the entry. Over 120 pairs of
    compiles (a first input, then another, caches empty before the first; replicate
    padding's failures are its own entry's), 6 of the 42 pairs of the same width at a
    batch above 1 failed, with one to three input channels, one to three groups, zeros
    or circular padding; none of the 18 at batch 1, none of the 60 of another width."""
    return where.x is not None and where.x.ndim == 4 and where.x.shape[0] > 1


def inductor_dynamic_cached_backward(path: str) -> None:
    import os
    import tempfile

    conv = torch.nn.Conv2d(1, 1, 4, padding="same", bias=False)
    before = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache  # empty: the first compile fills it
        try:
            for shape in ((2, 1, 4, 5), (2, 1, 3, 5)):  # the same width, another height
                torch.compiler.reset()  # dynamo forgets the graph, as a new process would
                x = torch.randn(shape, requires_grad=True)
                try:
                    on_path(path, conv)(x).sum().backward()
                except AssertionError as error:  # inductor's stride assertion
                    raise AssertionError(f"{shape} after (2, 1, 4, 5): {error}") from error
        finally:
            if before is None:
                del os.environ["TORCHINDUCTOR_CACHE_DIR"]
            else:
                os.environ["TORCHINDUCTOR_CACHE_DIR"] = before


INDUCTOR_DYNAMIC_CACHED_BACKWARD = KnownFailure(
    id="conv2d-inductor-dynamic-cached-backward",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    paths=("compile:inductor-dynamic",),
    covers=_batch_of_several,
    repro=inductor_dynamic_cached_backward,
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.compile(dynamic=True) (inductor) Conv2d on a batch of more than one "
        "input, with a gradient: once a first input has compiled and filled "
        "inductor's caches (FX graph and AOTAutograd), a later compile of the same "
        "module (a new process, or after torch.compiler.reset()) on an input of the same "
        "width and another height loads a backward that asserts the first input's "
        "strides: AssertionError 'expected size 2==2, stride 24==30 at dim=0' for "
        "Conv2d(1, 1, 4, padding='same') on (2, 1, 3, 5) after (2, 1, 4, 5). Right with "
        "either cache off, in one process without a reset, and with empty caches; also "
        "on 2.14.1. The compile path keeps its cache between examples and runs, so "
        "whether a cell meets it depends on what was compiled before"
    ),
    upstream=(
        "not filed (no exact upstream issue found); related: "
        "https://github.com/pytorch/pytorch/issues/194001 (AOTAutogradCache's key lacks "
        "the shape guards), https://github.com/pytorch/pytorch/issues/165506 (a dynamic "
        "shape kernel reused for another shape in training)"
    ),
)

# Shared by every layer it breaks (Conv1d, AvgPool1d, MaxPool2d import it).
OPENVINO_FAKE_MODE_SUMMARY = (
    "torch.compile(backend='openvino') (openvino 2026.4.1) raises IndexError 'list index "
    "out of range' (or AssertionError 'sources must not be empty for symbol s..') while "
    "dynamo builds its guards: the backend traces the graph again with make_fx("
    "tracing_mode='fake'), which adopts dynamo's own fake mode from the tracing context; "
    "the real example inputs get size symbols with no source, and the size guards the "
    "layer's fake kernel adds on them cannot be expressed. Run outside that context "
    "(torch._guards.tracing(None)) the same backend compiles. Which configurations "
    "trigger it depends on the guards the kernel adds, and on the thread count (Conv2d(1, "
    "1, 2) on a (1, 1, 3, 3) input raises; Conv2d(1, 1, 1) on (1, 1, 2, 2) raises with "
    "several threads and compiles with one), so the entry covers the whole cell"
)
OPENVINO_FAKE_MODE_UPSTREAM = "not filed (no upstream issue found for openvino's make_fx)"


def _any(where: Where) -> bool:
    return True


def openvino_fake_mode_guard() -> None:
    conv = torch.nn.Conv2d(1, 1, 2)
    x = torch.randn(1, 1, 3, 3)
    try:
        y = on_path("compile:openvino", conv)(x)
    except Exception as error:  # dynamo's guard builder, not the layer
        raise AssertionError(f"{type(error).__name__}: {str(error)[:200]}") from error
    assert torch.allclose(y, conv(x)), (y, conv(x))


OPENVINO_FAKE_MODE_GUARD = KnownFailure(
    id="conv2d-openvino-fake-mode-guard",
    layer=LAYER,
    breaks=frozenset({Check.SHAPE, Check.VALUES}),
    paths=running_kernels("openvino"),
    covers=_any,
    repro=openvino_fake_mode_guard,
    observed=Observed(since="2.13.0"),
    summary=OPENVINO_FAKE_MODE_SUMMARY,
    upstream=OPENVINO_FAKE_MODE_UPSTREAM,
)

# Below float16's smallest normal (2^-14) there is only the fixed spacing 2^-24.
FLOAT16_SMALLEST_NORMAL = format_of("float16").smallest_normal
FLOAT16_LARGEST = format_of("float16").largest


def _columns_leave_float16(where: Where) -> bool:
    """A gradient reaching the output whose columns W^T g, rounded to float16, lose
    subnormals (some nonzero |g| below the smallest normal), or whose float16 sums may
    overflow: a column, or col2im's running sum of the columns, can pass 65504 even where
    the input gradient fits, wherever its absolute scale sum |w| |g| passes it."""
    if where.grad_y is None:
        return False
    g = abs(where.grad_y)
    if ((g > 0) & (g < FLOAT16_SMALLEST_NORMAL)).any():
        return True
    if where.params is None or "weight" not in where.params:
        return False
    if where.x is None:
        # No input to run the VJP on: a column sums one tap's products over the output
        # channels, and an input element at most every column of its in-channel.
        taps = abs(where.params["weight"]).sum(axis=(0, 2, 3)).max()
        return bool(np.nanmax(g, initial=0.0) * taps > FLOAT16_LARGEST)
    call = Inputs(where.x, where.arguments, dict(where.params), grad_y=where.grad_y)
    scale = layer_named(LAYER).vjp(call.absolute())["input"]
    # NaN where a NaN gradient reaches (torch's too: NaN in, NaN out); the other elements
    # still say whether a finite answer's sums may overflow.
    return bool(np.nanmax(scale, initial=0.0) > FLOAT16_LARGEST)


def half_backward_input_rounds_columns(path: str) -> None:
    conv = torch.nn.Conv2d(1, 1, 3, padding=1, bias=False).half()
    torch.nn.init.constant_(conv.weight, 0.25)
    x = torch.zeros(1, 1, 3, 3, dtype=torch.float16, requires_grad=True)
    y = on_path(path, conv)(x)
    y.backward(torch.full_like(y, 2.0**-24))  # float16's smallest subnormal
    # The centre input feeds all 9 outputs: 9 * 0.25 * 2^-24 = 2.25 * 2^-24, which rounds
    # to 2 * 2^-24 in float16; each product alone (0.25 * 2^-24) rounds to 0.
    got = x.grad[0, 0, 1, 1].item()
    assert got == 2.0**-23, f"input gradient {got}, the law rounds to {2.0**-23}"
    # col2im's running sum is float16 too: taps (1, 1, -1) under 40000 everywhere give
    # 40000 + 40000 - 40000 = 40000 at the middle input, which a float16 partial sum of
    # 80000 makes inf.
    conv = torch.nn.Conv2d(1, 1, (1, 3), bias=False).half()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 1.0, -1.0]).reshape(1, 1, 1, 3))
    x = torch.zeros(1, 1, 1, 5, dtype=torch.float16, requires_grad=True)
    y = on_path(path, conv)(x)
    y.backward(torch.full_like(y, 40000.0))
    assert x.grad[0, 0, 0, 2].item() == 40000.0, x.grad.flatten().tolist()


HALF_BACKWARD_INPUT_ROUNDS_COLUMNS = KnownFailure(
    id="conv2d-half-backward-input-rounds-columns",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    dtypes=("float16",),
    covers=_columns_leave_float16,
    paths=running_kernels("aten", "inductor"),
    repro=half_backward_input_rounds_columns,
    found_by="exact",
    # Right at `amx` on an Intel Xeon with AMX and avx512_fp16 (torch 2.13.0): uncapped,
    # oneDNN runs float16 there with the CPU's own float16 instructions.
    observed=Observed(since="2.6.0", kernel_sets=("default", "avx2", "avx512")),
    summary=(
        "CPU float16 Conv2d backward for the input rounds each column of W^T g to float16 "
        "before col2im adds the columns up, so among float16's subnormals the input "
        "gradient is lost or inflated: a 3x3 kernel of 0.25 under a grad_output of 2^-24 "
        "gives 0 at the centre where 9 * 0.25 * 2^-24 rounds to 2^-23 (and 6 channels "
        "of a 5x5 kernel give 32 subnormals for 24); and a column past 65504 overflows "
        "where the sum fits (a 1x2 kernel of 2 under grad_output (40000, -20000), padding "
        "(0, 1), gives inf for 40000); col2im's running sum of the columns is float16 "
        "as well (taps (1, 1, -1) under a grad_output of 40000: inf for 40000). Forward "
        "and the weight gradient round once and "
        "are right; Conv1d does the same (0 for 3 * 0.25 * 2^-24). Found by float16 runs "
        "of the training_steps property (LeNet5: a gradient of about 1e-7 reaching c1; "
        "c3's input gradient inf for 23489; c1's -inf for -48029 after an Adam step of "
        "lr 4.1 made every weight about 4); the models and training_steps properties "
        "leave only the covered comparison out. 2.1.2 has no float16 CPU convolution"
    ),
    upstream="not filed (no upstream issue found)",
)


# The two below were seen on an AMD EPYC with AVX-512 and avx512_bf16, torch 2.13.0: oneDNN
# runs channels_last bfloat16 convolutions there with its BRGEMM kernel
# (brg_conv_fwd:avx512_core_bf16); capped at AVX512_CORE (no bf16 instructions) or with
# mkldnn off, both cases are right. They neighbour the AMX entry above (one output column,
# a horizontal stride), which that machine's AVX-512 kernels do not reproduce. An Intel
# Xeon with AMX gives the same wrong values and the same crash at `avx512` and at `amx`.
BF16_KERNEL_SETS = ("avx512", "amx")
AVX512_BF16 = Observed(
    since="2.13.0",
    kernel_sets=BF16_KERNEL_SETS,
    cpu_flags=("avx512_bf16",),
    by="this project's runs on an AMD EPYC with avx512_bf16 and an Intel Xeon with AMX",
)


def _one_input_channel_strided_column(where: Where) -> bool:
    """One input channel, the output one column wide, reached with a horizontal stride
    above 1, in any layout."""
    if where.x is None:
        return False
    arguments = where.arguments
    out = layer_named(LAYER).out_shape(arguments, where.x.shape)
    strided = pair(arguments["stride"])[1] > 1
    return arguments["in_channels"] == 1 and out[-1] == 1 and strided


def _channels_last_one_input_channel_strided_column(where: Where) -> bool:
    """channels_last, one input channel, the output one column wide, reached with a
    horizontal stride above 1."""
    return where.layout == "channels_last" and _one_input_channel_strided_column(where)


def channels_last_one_input_channel_strided_column() -> None:
    for dtype in (torch.float32, torch.bfloat16):
        conv = torch.nn.Conv2d(1, 1, (4, 3), stride=(1, 2), bias=False).to(dtype)
        with torch.no_grad():
            conv.weight.fill_(1.0)
        x = torch.ones(3, 1, 9, 3, dtype=dtype).contiguous(memory_format=torch.channels_last)
        y = conv.to(memory_format=torch.channels_last)(x)
        # Output (3, 1, 6, 1); every window holds 4 x 3 ones: each output is 12, exactly
        # (seen: 12, 8, 12, 8, 9, 3, ... on 2.6.0, 2.13.0 and 2.14.1).
        assert torch.equal(y, torch.full_like(y, 12.0)), (dtype, y.flatten().tolist())


CHANNELS_LAST_ONE_INPUT_CHANNEL_STRIDED_COLUMN = KnownFailure(
    id="conv2d-channels-last-one-input-channel-strided-column",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float32", "bfloat16"),
    kernel_sets=("avx512", "amx"),
    # Measured on an Intel Xeon with AMX: 2.1.2 right; 2.6.0, 2.13.0 and 2.14.1 wrong. It
    # was scoped <2.13 once, from a smaller repro that 2.13.0 gets right: the region
    # narrowed (a scan: 251 of 5,184 one-column configurations wrong on 2.6.0, 99 on
    # 2.13.0, 100 on 2.14.1), it did not close.
    isolate=True,
    covers=_channels_last_one_input_channel_strided_column,
    paths=running_kernels("aten"),
    # The exact sweep found it first (3 seeds of 5); the layouts property finds it 5 of 5
    # since Conv2d's one-channel interaction meets channels_last in twelve rows.
    found_by="layouts",
    repro=channels_last_one_input_channel_strided_column,
    observed=Observed(
        since="2.6.0",
        kernel_sets=("avx512", "amx"),
        by="this project's runs on an AMD EPYC with AVX-512 and an Intel Xeon with AMX",
    ),
    summary=(
        "CPU Conv2d forward in float32 and bfloat16 with a channels_last input of one "
        "channel gives wrong outputs when the output is one column wide and the "
        "horizontal stride is above 1, at the avx512 and amx kernel sets (avx2 and "
        "default are right): Conv2d(1, 1, (4, 3), stride=(1, 2)) on ones (3, 1, 9, 3) "
        "gives 12, 8, 12, 8, 9, 3, ... where every output is 12. Every wrong case of a "
        "scan had a vertical stride of 1, a batch of 2 or more and a kernel 2 or more "
        "wide. 2.6.0 is wrong in a wider region (Conv2d(1, 2, 2, stride=(1, 2)) on "
        "(2, 1, 4, 3), right on 2.13.0: the entry was scoped <2.13 from it until the "
        "exact sweep met the narrower region on 2.13.0). The gradients are right; "
        "2.1.2 is right"
    ),
    upstream="not filed (no upstream issue found)",
)


def inductor_one_input_channel_strided_column(path: str) -> None:
    for dtype in (torch.float32, torch.bfloat16):
        conv = torch.nn.Conv2d(1, 1, (3, 4), stride=(1, 3), bias=False).to(dtype)
        with torch.no_grad():
            conv.weight.fill_(1.0)
        # A contiguous input: inductor hands oneDNN channels_last strides for it (one
        # channel, the same memory) and a channels_last weight.
        y = on_path(path, conv)(torch.ones(2, 1, 7, 5, dtype=dtype))
        # Output (2, 1, 5, 1); every window holds 3 x 4 ones: each output is 12, exactly.
        assert torch.equal(y, torch.full_like(y, 12.0)), (dtype, y.flatten().tolist())


INDUCTOR_ONE_INPUT_CHANNEL_STRIDED_COLUMN = KnownFailure(
    id="conv2d-inductor-one-input-channel-strided-column",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float32", "bfloat16"),
    kernel_sets=("avx512", "amx"),
    covers=_one_input_channel_strided_column,
    paths=("compile:inductor", "compile:inductor-dynamic"),
    found_by="forward",
    repro=inductor_one_input_channel_strided_column,
    observed=Observed(since="2.13.0", kernel_sets=("avx512", "amx")),
    summary=(
        "The kernel bug of conv2d-channels-last-one-input-channel-strided-column, reached "
        "through torch.compile (inductor, static or dynamic shapes) with a contiguous "
        "input: for one input channel inductor passes oneDNN the input with channels_last "
        "strides (the same memory) and a channels_last weight, and the output one column "
        "wide with a horizontal stride above 1 comes out wrong at the avx512 and amx "
        "kernel sets: Conv2d(1, 1, (3, 4), stride=(1, 3)) of ones on ones (2, 1, 7, 5) "
        "gives 0, 4 and 12 (and on the static path values near -4e18, memory never "
        "written) where every output is 12. float32 and bfloat16; float16 is right, batch "
        "1 is right, and so is oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2); also on "
        "2.14.1. Found by the forward property on compile:inductor-dynamic at the compile "
        "profile, seed 1 (2026-12-06)"
    ),
    upstream="not filed (no upstream issue found)",
)


def bfloat16_channels_last_1x1_strided_backward_crash() -> None:
    torch.set_num_threads(1)

    def call() -> None:
        conv = torch.nn.Conv2d(3, 2, 1, stride=(3, 1), dilation=(3, 1)).to(torch.bfloat16)
        x = torch.ones(1, 3, 12, 11, dtype=torch.bfloat16)
        conv = conv.to(memory_format=torch.channels_last)
        conv(x.contiguous(memory_format=torch.channels_last).requires_grad_()).sum().backward()

    # The first call runs bare, so that a release without the kernel says so. After it,
    # the corrupted heap shows as a segfault, a glibc abort ("corrupted size vs.
    # prev_size"), or an error quoting nonsense sizes from a later call; all are the bug.
    call()
    for _ in range(300):
        try:
            call()
        except RuntimeError as error:
            raise AssertionError(f"a later call failed on corrupted memory: {error}") from error


BFLOAT16_CHANNELS_LAST_1X1_STRIDED_BACKWARD_CRASH = KnownFailure(
    id="conv2d-bfloat16-channels-last-1x1-strided-backward-crash",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("bfloat16",),
    kernel_sets=BF16_KERNEL_SETS,
    isolate=True,
    covers=_channels_last_strided_1x1_without_conv_padding,
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_channels_last_1x1_strided_backward_crash,
    # Shrunk with a guard page after every aligned block (docs/kernel-sets.md): the first
    # such call faults, in a JIT kernel's store, 256 bytes past a 768-byte block. The
    # repro failed in 36 of 36 fresh processes on 2.1.2, 2.6.0 and 2.14.1 at both sets
    # (one of them hung), and in 32 of 32 on 2.13.0; it runs clean at avx2 and default.
    observed=Observed(
        since="2.1.2",
        kernel_sets=BF16_KERNEL_SETS,
        cpu_flags=("avx512_bf16",),
        by="this project's exact sweep on an Intel Xeon with AMX, at amx and capped at avx512",
    ),
    summary=(
        "CPU bfloat16 Conv2d backward with a channels_last input, a 1x1 kernel, a stride "
        "above 1 and no padding inside the convolution writes past a oneDNN buffer at the "
        "avx512 and amx kernel sets (avx2 and default are right), so a later call "
        "segfaults, aborts in glibc, hangs, or raises with nonsense sizes. With a guard "
        "page after every aligned block the first such call faults. Seen where the "
        "vertical stride is 2 or 3, the horizontal stride 1, with 2 to 9 input channels "
        "and one group (96 of 6,048 1x1 configurations of a scan at avx512); at amx "
        "only with a dilation above 1 too (without one, another kernel runs). At avx512 "
        "a dilation above 1 also gives a wrong input gradient, in a fresh process: every "
        "input channel takes the first channel's weight (Conv2d(3, 1, 1, stride=(2, 1), "
        "dilation=2, bias=False) with weights 1, 2, -1 on ones (2, 3, 10, 12): 1 where "
        "2 and -1 are due, 240 of 720 elements, on 2.1.2 to 2.14.1; the rediscovery "
        "bench met it there). Recorded first, before it was shrunk, as "
        "conv2d-bfloat16-heap-corruption over every channels_last call"
    ),
    upstream=(
        "not filed; the float32 AVX2 twin is https://github.com/uxlfoundation/oneDNN/issues/6035"
    ),
)


def _channels_last_grouped_single_column(where: Where) -> bool:
    """channels_last, one input channel per group and several outputs per group, the
    output one column wide, reached with a horizontal stride above 1."""
    if where.x is None or where.layout != "channels_last":
        return False
    arguments = where.arguments
    groups = arguments["groups"]
    per_group = groups > 1 and arguments["in_channels"] == groups
    several_out = arguments["out_channels"] > groups
    out = layer_named(LAYER).out_shape(arguments, where.x.shape)
    return per_group and several_out and out[-1] == 1 and pair(arguments["stride"])[1] > 1


def bfloat16_channels_last_grouped_single_column() -> None:
    x = torch.ones(1, 2, 5, 3, dtype=torch.bfloat16).contiguous(memory_format=torch.channels_last)
    w = torch.ones(4, 1, 3, 3, dtype=torch.bfloat16)
    y = torch.nn.functional.conv2d(x, w, None, stride=(1, 2), groups=2)
    # Output 3x1 per channel; every window holds 3 x 3 taps of 1 * 1: each output is 9
    # (seen: 9, 6, 6 per channel with one thread; 9, 5, 9 with four).
    assert torch.equal(y, torch.full_like(y, 9.0)), y.flatten().tolist()


BFLOAT16_CHANNELS_LAST_GROUPED_SINGLE_COLUMN = KnownFailure(
    id="conv2d-bfloat16-channels-last-grouped-single-column",
    layer=LAYER,
    breaks=frozenset({Check.VALUES, Check.EXACT}),
    dtypes=("bfloat16",),
    kernel_sets=BF16_KERNEL_SETS,
    isolate=True,
    covers=_channels_last_grouped_single_column,
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_channels_last_grouped_single_column,
    observed=dataclasses.replace(AVX512_BF16, since="2.6.0"),
    summary=(
        "CPU bfloat16 Conv2d with a channels_last input, one input channel per group and "
        "several output channels per group, gives wrong outputs when the output is one "
        "column wide and the horizontal stride is above 1, on CPUs with avx512_bf16 "
        "(kernel sets avx512 and amx): "
        "Conv2d(2, 4, 3, stride=(1, 2), groups=2) on ones (1, 2, 5, 3) gives 9, 6, 6 per "
        "channel (the value depends on the thread count) where every output is 9. The "
        "forward only; the gradients are right"
    ),
    upstream=(
        "related: https://github.com/pytorch/pytorch/issues/169688 (open: the AMX BRGEMM "
        "convolution's strided single column)"
    ),
)


def _zero_padded_axis(where: Where, axis: int) -> tuple[int, ...] | None:
    """(size, before, after, kernel, dilation, stride) along axis 0 (H) or 1 (W), the
    arguments of reference.geometry's padding predicates; None without an input or with
    a padding mode that copies the input."""
    if where.x is None or where.arguments["padding_mode"] != "zeros":
        return None
    arguments = where.arguments
    kernel, dilation, stride = (
        pair(arguments[name])[axis] for name in ("kernel_size", "dilation", "stride")
    )
    padding = conv2d_padding(arguments["kernel_size"], arguments["dilation"], arguments["padding"])
    before, after = padding[2 * axis : 2 * axis + 2]
    return where.x.shape[axis - 2], before, after, kernel, dilation, stride


def _reads_only_padding(where: Where, axis: int, min_dilation: int = 2) -> bool:
    """Every output row (axis 0) or column (axis 1) reads only zero padding: no tap of
    any output position along the axis lands on the input, at a dilation of at least
    `min_dilation` along it (from 2.13 on, undilated, the same geometry runs)."""
    geometry = _zero_padded_axis(where, axis)
    return geometry is not None and geometry[4] >= min_dilation and reads_only_padding(*geometry)


def _padding_only_columns(where: Where) -> bool:
    return _reads_only_padding(where, axis=1)


def _channels_last_padding_only_columns(where: Where) -> bool:
    return where.layout == "channels_last" and _reads_only_padding(where, axis=1)


def _channels_last_biased_padding_only_columns(where: Where) -> bool:
    return where.arguments["bias"] and _channels_last_padding_only_columns(where)


def _padding_only_rows(where: Where) -> bool:
    return _reads_only_padding(where, axis=0)


def bfloat16_channels_last_padding_only_columns_crash() -> None:
    x = torch.ones(1, 2, 4, 1, dtype=torch.bfloat16).contiguous(memory_format=torch.channels_last)
    w = torch.ones(4, 1, 1, 1, dtype=torch.bfloat16)
    # Output (1, 4, 6, 2), every column reading padding: zeros. Seen: a segfault.
    y = torch.nn.functional.conv2d(x, w, None, stride=(1, 2), padding=1, dilation=2, groups=2)
    assert torch.equal(y, torch.zeros_like(y)), y.flatten().tolist()


def channels_last_padding_only_columns_crash() -> None:
    x = torch.ones(1, 2, 4, 1).contiguous(memory_format=torch.channels_last)
    w, b = torch.ones(4, 1, 1, 1), torch.zeros(4)
    # Output (1, 4, 6, 2), every column reading padding: the bias, 0. Seen: a segfault
    # (float32 needs the bias; without one it runs).
    y = torch.nn.functional.conv2d(x, w, b, stride=(1, 2), padding=1, dilation=2, groups=2)
    assert torch.equal(y, torch.zeros_like(y)), y.flatten().tolist()


def half_padding_only_columns_crash() -> None:
    x = torch.ones(1, 2, 4, 1, dtype=torch.float16)
    w = torch.ones(4, 1, 1, 1, dtype=torch.float16)
    # Output (1, 4, 6, 2), every column reading padding: zeros. Seen: a segfault.
    y = torch.nn.functional.conv2d(x, w, None, stride=(1, 2), padding=1, dilation=2, groups=2)
    assert torch.equal(y, torch.zeros_like(y)), y.flatten().tolist()


# The columns' crash is oneDNN's: its BRGEMM convolution looks up the kernel for a block
# of outputs padded across its whole width with an empty tap range and calls a null one
# (oneDNN's diagnosis, pull 5944).
PADDING_ONLY_COLUMNS_UPSTREAM = (
    "https://github.com/pytorch/pytorch/issues/195394 (open) and "
    "https://github.com/uxlfoundation/oneDNN/issues/5942: fixed in oneDNN by pull 5944 "
    "(after v3.14.0), not yet in torch 2.14.1"
)
PADDING_ONLY_COLUMNS_SUMMARY = (
    "CPU {dtype} Conv2d {layout}whose every output column reads only zero padding, at "
    "a horizontal dilation of 2 or more, crashes the process (segfault) in the forward, "
    "at kernel sets {sets}: Conv2d(2, 4, 1, stride=(1, 2), padding=1, dilation=2, "
    "groups=2) on ones (1, 2, 4, 1), whose output is all zeros. An undilated kernel "
    "and the default kernel set run it right"
)
AMX_SWEEP = Observed(
    since="2.13.0",
    kernel_sets=("amx",),
    by="this project's exact sweep and scans on an Intel Xeon with AMX",
)


def _padding_only_columns_any_dilation(where: Where) -> bool:
    """Every output column reads only zero padding, at any horizontal dilation, with a
    channels_last input (float16: either layout)."""
    layout_seen = where.dtype == "float16" or where.layout == "channels_last"
    return layout_seen and _reads_only_padding(where, axis=1, min_dilation=1)


def padding_only_columns_crash_any_dilation() -> None:
    conv = torch.nn.Conv2d(1, 2, (3, 1), stride=(3, 2), padding=1, dilation=(3, 1), bias=False)
    conv = conv.to(torch.bfloat16).to(memory_format=torch.channels_last)
    x = torch.ones(2, 1, 11, 1, dtype=torch.bfloat16).contiguous(memory_format=torch.channels_last)
    # The output's columns read columns -1 and 1 of a one-column input, only padding, at a
    # horizontal dilation of 1: every output is 0. Seen on 2.6.0: a segfault.
    y = conv(x)
    assert torch.equal(y, torch.zeros_like(y)), y.flatten().tolist()


PADDING_ONLY_COLUMNS_CRASH_ANY_DILATION = KnownFailure(
    id="conv2d-padding-only-columns-crash-any-dilation",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("float32", "float16", "bfloat16"),
    kernel_sets=BF16_KERNEL_SETS,
    # 2.1.2, 2.13.0 and 2.14.1 run the repro right; releases between 2.6 and 2.13 were
    # not run here.
    releases=">=2.6,<2.13",
    isolate=True,
    covers=_padding_only_columns_any_dilation,
    paths=running_kernels("aten"),
    found_by="exact",
    repro=padding_only_columns_crash_any_dilation,
    observed=Observed(
        since="2.6.0",
        kernel_sets=BF16_KERNEL_SETS,
        by="this project's exact sweep on torch 2.6.0, on an Intel Xeon with AMX",
    ),
    summary=(
        "torch 2.6.0's CPU Conv2d whose every output column reads only zero padding "
        "segfaults in the forward at any horizontal dilation, with or without a bias: "
        "float32 and bfloat16 with a channels_last input at kernel sets avx512 and amx, "
        "float16 in either layout at amx (avx512 runs float16; avx2 runs all). "
        "Conv2d(1, 2, (3, 1), stride=(3, 2), padding=1, dilation=(3, 1), bias=False) on "
        "(2, 1, 11, 1), whose output is 0. 2.13.0 and 2.14.1 crash only at a dilation of "
        "2 or more (the padding-only-columns entries, oneDNN#5942); 2.1.2 is right. On "
        "2.6.0 the sweep's streams crashed 28 times in bfloat16 channels_last, every one "
        "such a configuration, but not every such configuration crashes (a forward-only "
        "scan: 15 of 68)"
    ),
    upstream="not filed (no upstream issue found); related: " + PADDING_ONLY_COLUMNS_UPSTREAM,
)


BFLOAT16_CHANNELS_LAST_PADDING_ONLY_COLUMNS_CRASH = KnownFailure(
    id="conv2d-bfloat16-channels-last-padding-only-columns-crash",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("bfloat16",),
    kernel_sets=BF16_KERNEL_SETS,
    isolate=True,
    covers=_channels_last_padding_only_columns,
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_channels_last_padding_only_columns_crash,
    observed=AVX512_BF16,
    summary=PADDING_ONLY_COLUMNS_SUMMARY.format(
        dtype="bfloat16", layout="with a channels_last input ", sets="avx512 and amx"
    )
    + (
        " (first recorded, by a scan of 3,888 small configurations, as a 1x1 kernel's "
        "crash: conv2d-bfloat16-channels-last-1x1-dilated-crash; kernels 2 wide crash too)"
    ),
    upstream=PADDING_ONLY_COLUMNS_UPSTREAM,
)

CHANNELS_LAST_PADDING_ONLY_COLUMNS_CRASH = KnownFailure(
    id="conv2d-channels-last-padding-only-columns-crash",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("float32",),
    kernel_sets=("avx2", "avx512", "amx"),
    isolate=True,
    covers=_channels_last_biased_padding_only_columns,
    paths=running_kernels("aten"),
    found_by="exact",
    repro=channels_last_padding_only_columns_crash,
    observed=dataclasses.replace(AMX_SWEEP, kernel_sets=("avx2", "avx512", "amx")),
    summary=PADDING_ONLY_COLUMNS_SUMMARY.format(
        dtype="float32",
        layout="with a channels_last input and a bias ",
        sets="avx2, avx512 and amx",
    )
    + " (with a zero bias for the repro; without a bias float32 runs it)",
    upstream=PADDING_ONLY_COLUMNS_UPSTREAM,
)

HALF_PADDING_ONLY_COLUMNS_CRASH = KnownFailure(
    id="conv2d-half-padding-only-columns-crash",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("float16",),
    kernel_sets=("amx",),
    isolate=True,
    covers=_padding_only_columns,
    paths=running_kernels("aten"),
    found_by="exact",
    repro=half_padding_only_columns_crash,
    observed=AMX_SWEEP,
    summary=PADDING_ONLY_COLUMNS_SUMMARY.format(
        dtype="float16", layout="(contiguous or channels_last) ", sets="amx"
    ),
    upstream=PADDING_ONLY_COLUMNS_UPSTREAM,
)


def bfloat16_amx_padding_only_rows_crash() -> None:
    conv = torch.nn.Conv2d(1, 1, 4, padding="same", dilation=3, bias=False)
    conv = conv.to(torch.bfloat16)
    x = torch.ones(1, 1, 1, 4, dtype=torch.bfloat16, requires_grad=True)
    # One output row, its taps at rows -4, -1, 2 and 5 of a one-row input: all padding.
    # The output and the input gradient are zeros; seen: a segfault in the backward.
    y = conv(x)
    y.backward(torch.ones_like(y))
    assert torch.equal(x.grad, torch.zeros_like(x.grad)), x.grad.flatten().tolist()


BFLOAT16_AMX_PADDING_ONLY_ROWS_CRASH = KnownFailure(
    id="conv2d-bfloat16-amx-padding-only-rows-crash",
    layer=LAYER,
    breaks=Check.SURVIVES,
    dtypes=("bfloat16",),
    kernel_sets=("amx",),
    isolate=True,
    covers=_padding_only_rows,
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_amx_padding_only_rows_crash,
    # 2.6.0 crashes too (the repro and the forward case); 2.1.2 does not.
    observed=dataclasses.replace(AMX_SWEEP, since="2.6.0"),
    summary=(
        "CPU bfloat16 Conv2d whose every output row reads only zero padding, at a "
        "vertical dilation of 2 or more, crashes the process (segfault) at kernel set "
        "amx, in either layout: Conv2d(1, 1, 4, padding='same', dilation=3) on a one-row "
        "input (1, 1, 1, 4) crashes in the input gradient's kernel; a 4x2 kernel with "
        "groups=3 crashed in the forward. Right at avx512 and below"
    ),
    upstream=(
        "not filed; related: https://github.com/uxlfoundation/oneDNN/issues/5942 (the "
        "same kernel's outputs padded across a whole block, there along the width)"
    ),
)


def float32_in_bfloat16_padding_only_rows_crash() -> None:
    # The backend switch fp32-bf16: oneDNN may run float32 convolutions in bfloat16.
    torch.backends.mkldnn.conv.fp32_precision = "bf16"
    conv = torch.nn.Conv2d(1, 1, 4, padding="same", dilation=3, bias=False)
    x = torch.ones(1, 1, 1, 4, requires_grad=True)
    # bfloat16's entry above, in float32: the input gradient is zeros; seen: a segfault.
    y = conv(x)
    y.backward(torch.ones_like(y))
    assert torch.equal(x.grad, torch.zeros_like(x.grad)), x.grad.flatten().tolist()


# This project's first runs under --switch fp32-bf16 (float32, the exact property,
# seeds 1 to 3), on an Intel Xeon with AMX; each repro checked on 2.13.0 and 2.14.1 at
# amx, avx512 and avx2 (the setting arrived in torch 2.9).
FIRST_FP32_BF16_RUN = dataclasses.replace(
    AMX_SWEEP, by="this project's first runs under --switch fp32-bf16 (Intel Xeon with AMX)"
)


FP32_BF16_PADDING_ONLY_ROWS_CRASH = reached_under_switch(
    BFLOAT16_AMX_PADDING_ONLY_ROWS_CRASH,
    "fp32-bf16",
    repro=float32_in_bfloat16_padding_only_rows_crash,
    observed=FIRST_FP32_BF16_RUN,
    summary=(
        "CPU float32 Conv2d under torch.backends.mkldnn.conv.fp32_precision = 'bf16' "
        "(oneDNN may compute float32 convolutions in bfloat16) crashes the process "
        "(segfault) where every output row reads only zero padding, at kernel set amx: "
        "conv2d-bfloat16-amx-padding-only-rows-crash, reached from float32. "
        "Conv2d(1, 1, 4, padding='same', dilation=3) on a one-row input (1, 1, 1, 4) "
        "crashes in the input gradient's kernel, on 2.13.0 and 2.14.1 (the setting "
        "arrived in 2.9); right with the setting off, and at avx512 and avx2"
    ),
)


def float32_in_bfloat16_strided_single_column() -> None:
    # The backend switch fp32-bf16: oneDNN may run float32 convolutions in bfloat16.
    torch.backends.mkldnn.conv.fp32_precision = "bf16"
    x = torch.ones(2, 3, 7, 3)
    w = torch.ones(1, 3, 2, 2)
    y = torch.nn.functional.conv2d(x, w, None, stride=(1, 2), padding=0, dilation=2)
    # Output (2, 1, 5, 1); every window holds 3 channels x 4 taps of 1 * 1: each output is
    # 12, exact in bfloat16. Seen: [12, 12, 12, 6, 0] in each sample.
    assert torch.equal(y, torch.full_like(y, 12.0)), y.flatten().tolist()


FP32_BF16_STRIDED_SINGLE_COLUMN = reached_under_switch(
    BFLOAT16_AMX_STRIDED_SINGLE_COLUMN,
    "fp32-bf16",
    repro=float32_in_bfloat16_strided_single_column,
    observed=FIRST_FP32_BF16_RUN,
    summary=(
        "CPU float32 Conv2d under torch.backends.mkldnn.conv.fp32_precision = 'bf16' "
        "gives wrong outputs where the output is one column wide and the horizontal "
        "stride is above 1, at kernel set amx: conv2d-bfloat16-amx-strided-single-column, "
        "reached from float32 (max abs error 1.4e17 in the exact case that found it). "
        "Conv2d(3, 1, 2, stride=(1, 2), dilation=2) on ones (2, 3, 7, 3) gives "
        "[12, 12, 12, 6, 0] per sample where every output is 12; bfloat16's own repro "
        "(one sample) is right here, and a scan of one-column outputs found 1 wrong of "
        "178 with one sample, 10 of 203 with several. On 2.13.0 and 2.14.1; right with "
        "the setting off, and at avx512 and avx2"
    ),
)


def fold_bias_overflows(where: Where) -> bool:
    """The fusion property's case (the BatchNorm's arguments under hp["norm"], the drawn
    values in params, "norm."-prefixed for the BatchNorm's) in which the fold's
    intermediate (b - mean) * rsqrt(var + eps) passes the dtype's largest value. Within
    four roundings of it the dtype's rounding may go either way: covered too."""
    norm = where.hp.get("norm")
    values = where.params or {}
    if norm is None or "norm.running_mean" not in values:
        return False
    mean = np.asarray(values["norm.running_mean"], dtype=np.float64)
    var = np.asarray(values["norm.running_var"], dtype=np.float64)
    bias = np.asarray(values.get("bias", np.zeros_like(mean)), dtype=np.float64)
    number_format = format_of(where.dtype)
    reach = number_format.largest * (1 - 4 * number_format.unit_roundoff)
    with np.errstate(divide="ignore", invalid="ignore"):
        intermediate = np.abs((bias - mean) / np.sqrt(var + norm["eps"]))
    return bool(np.any(intermediate > reach))


def fold_bias_intermediate_overflow() -> None:
    conv = torch.nn.Conv2d(1, 1, 1, bias=False).half().eval()
    norm = torch.nn.BatchNorm2d(1, eps=1e-10).half().eval()
    with torch.no_grad():
        conv.weight.fill_(1.0)
        norm.running_mean.fill_(91.5)
        norm.running_var.fill_(1.55e-6)
        norm.weight.fill_(-0.125)
    fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, norm)
    x = torch.zeros(1, 1, 1, 1, dtype=torch.float16)
    # The model: -0.125 * (0 - 91.5) / sqrt(1.55e-6) = 9187, in float16's range; the fold
    # computes (0 - 91.5) * 803 = -73500 first, which is -inf in float16.
    model, folded = norm(conv(x)).item(), fused(x).item()
    assert abs(folded - model) <= 1e-2 * abs(model), f"folded {folded}, the model {model}"


FOLD_BIAS_INTERMEDIATE_OVERFLOW = KnownFailure(
    id="conv2d-fusion-bias-intermediate-overflow",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=fold_bias_overflows,
    found_by="fusion",
    # The fold is Python arithmetic on the parameters, on whatever device they are: the
    # second CUDA run met it there (a folded output of -inf for -34752).
    devices=("cpu", "cuda"),
    repro=fold_bias_intermediate_overflow,
    observed=Observed(since="2.6.0", devices=("cpu", "cuda")),
    summary=(
        "torch.nn.utils.fusion.fuse_conv_bn_weights (fuse_conv_bn_eval, and fx fuse on a "
        "convolution then a BatchNorm) computes the folded bias as "
        "((b - mean) * rsqrt(var + eps)) * gamma + beta in the parameters' dtype, so the "
        "intermediate overflows where the bias fits: in float16, mean 91.5, var 1.55e-6, "
        "gamma -0.125 give (0 - 91.5) * 803 = -inf and a folded bias of +inf, where the "
        "model's output is 9187. Its weight fold, and fuse_linear_bn_weights' bias, "
        "multiply gamma into the scale first and do not overflow"
    ),
    upstream="not filed (no upstream issue found)",
)


def _strided_padding_only_column_tap(where: Where) -> bool:
    """A horizontal stride of 2 or more, and a kernel column that reads only zero padding
    at every output position."""
    geometry = _zero_padded_axis(where, axis=1)
    return geometry is not None and geometry[5] > 1 and bool(padding_only_taps(*geometry))


def bfloat16_amx_padding_only_tap_weight_grad() -> None:
    import ctypes

    # One output column reads columns -2..1 of a one-column input: kernel columns 0, 1
    # and 3 read only padding, so their weight gradient is 0, and column 2's is 3.
    # glibc fills every new block with 0x5A bytes (M_PERTURB), so an element the kernel
    # never writes reads 4.6e16 on the first call, not what the heap held before.
    ctypes.CDLL(None).mallopt(-6, 0xA5)
    conv = torch.nn.Conv2d(3, 2, (1, 4), stride=(1, 2), padding=(0, 2)).to(torch.bfloat16)
    torch.nn.init.ones_(conv.weight)
    conv(torch.ones(3, 3, 1, 1, dtype=torch.bfloat16)).sum().backward()
    want = torch.zeros(2, 3, 1, 4, dtype=torch.bfloat16)
    want[..., 2] = 3
    assert torch.equal(conv.weight.grad, want), conv.weight.grad[0].tolist()


BFLOAT16_AMX_PADDING_ONLY_TAP_WEIGHT_GRAD = KnownFailure(
    id="conv2d-bfloat16-amx-padding-only-tap-weight-grad",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    dtypes=("bfloat16",),
    kernel_sets=("amx",),
    isolate=True,
    covers=_strided_padding_only_column_tap,
    quantities=("weight",),
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_amx_padding_only_tap_weight_grad,
    observed=dataclasses.replace(
        AMX_SWEEP, since="2.1.2", by="this project's runs on an Intel Xeon with AMX"
    ),
    summary=(
        "CPU bfloat16 Conv2d backward at kernel set amx leaves the weight gradient of a "
        "kernel column that reads only zero padding unwritten, at a horizontal stride of "
        "2 or more: it holds whatever the memory held, where it must be 0. "
        "Conv2d(3, 2, (1, 4), stride=(1, 2), padding=(0, 2)) on ones (3, 3, 1, 1) gives "
        "columns 1 and 3 of 4.6e16 with glibc's malloc perturbation on (the suite's runs), "
        "where they are 0. A scan with it (kernels 1, 2, 4 each way, strides 1 and 2, "
        "inputs 1 to 3 each way, both layouts): 64 of 636 configurations with a "
        "padding-only row or column fail, every one a column at a horizontal stride of 2; "
        "kernel rows that read only padding are right. Met by hand after Conv1d's exact "
        "sweep found its twin (conv1d-bfloat16-amx-padding-only-tap-weight-grad)"
    ),
    upstream="not filed (no upstream issue found)",
)


def _channels_last_narrow_padding_only_column_tap(where: Where) -> bool:
    """channels_last, an input one or two columns wide, and a kernel column that reads
    only padding at a horizontal stride of 2 or more and a horizontal dilation of 1."""
    if where.layout != "channels_last" or where.x is None or where.x.shape[-1] > 2:
        return False
    undilated = pair(where.arguments["dilation"])[1] == 1
    return undilated and _strided_padding_only_column_tap(where)


def bfloat16_avx512_channels_last_padding_only_tap_weight_grad() -> None:
    import ctypes

    # One output column reads columns -1 and 0 of a one-column input: kernel column 0
    # reads only padding, so its weight gradient is 0; column 1 sums the windows' ones.
    # An element the kernel never writes reads about 6e16 with glibc's perturbation on.
    ctypes.CDLL(None).mallopt(-6, 0xA5)
    conv = torch.nn.Conv2d(6, 4, (4, 2), stride=2, padding=1, groups=2, bias=False)
    conv = conv.to(torch.bfloat16).to(memory_format=torch.channels_last)
    x = torch.ones(2, 6, 7, 1, dtype=torch.bfloat16)
    conv(x.contiguous(memory_format=torch.channels_last)).sum().backward()
    column = conv.weight.grad[..., 0]
    assert torch.equal(column, torch.zeros_like(column)), column[0].tolist()


BFLOAT16_AVX512_CHANNELS_LAST_PADDING_ONLY_TAP_WEIGHT_GRAD = KnownFailure(
    id="conv2d-bfloat16-avx512-channels-last-padding-only-tap-weight-grad",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    dtypes=("bfloat16",),
    kernel_sets=("avx512",),
    isolate=True,
    covers=_channels_last_narrow_padding_only_column_tap,
    quantities=("weight",),
    paths=running_kernels("aten"),
    found_by="exact",
    repro=bfloat16_avx512_channels_last_padding_only_tap_weight_grad,
    observed=Observed(
        since="2.1.2",
        kernel_sets=("avx512",),
        cpu_flags=("avx512_bf16",),
        by="this project's exact sweep on an Intel Xeon with AMX, capped at avx512",
    ),
    summary=(
        "The amx entry's bug (conv2d-bfloat16-amx-padding-only-tap-weight-grad) at kernel "
        "set avx512, in the channels_last layout alone: the weight gradient of a kernel "
        "column that reads only zero padding, at a horizontal stride of 2 or more, is "
        "never written. Conv2d(6, 4, (4, 2), stride=2, padding=1, groups=2) on ones "
        "(2, 6, 7, 1) gives column 0 about 6e16 where it is 0, on 2.1.2, 2.6.0, 2.13.0 "
        "and 2.14.1. A scan at avx512 over 548 sweep configurations with a padding-only "
        "row or column: 7 wrong in channels_last, every one such a column; 0 of 736 in "
        "the contiguous layout. A second (AMD EPYC, 2026-12-07), over 12,000 sweep "
        "configurations in channels_last with such a column (1x1 kernels and the "
        "crashing dilated padding-only rows and columns left out): 397 of 3,961 wrong "
        "at a horizontal dilation of 1 on an input one or two columns wide, 0 of 8,039 "
        "elsewhere, so only there is the case left unjudged. Hidden until the bfloat16 "
        "heap corruption was shrunk: that entry carved out every channels_last call at "
        "avx512"
    ),
    upstream="not filed (no upstream issue found)",
)


def _depthwise_non_positive_dilation(where: Where) -> bool:
    arguments = where.arguments
    depthwise = arguments["groups"] > 1 and arguments["groups"] == arguments["in_channels"]
    return depthwise and min(pair(arguments["dilation"])) <= 0


def cuda_depthwise_zero_dilation_accepted() -> None:
    conv = torch.nn.Conv2d(2, 2, 1, dilation=0, groups=2).cuda()
    try:
        y = conv(torch.ones(1, 2, 2, 2, device="cuda"))
    except RuntimeError:
        return  # the CPU's "non-positive dilation is not supported"
    raise AssertionError(f"dilation 0 accepted: output {tuple(y.shape)}")


CUDA_DEPTHWISE_ZERO_DILATION_ACCEPTED = KnownFailure(
    id="conv2d-cuda-depthwise-zero-dilation-accepted",
    layer=LAYER,
    breaks=Check.RAISES,
    covers=_depthwise_non_positive_dilation,
    devices=("cuda",),
    repro=cuda_depthwise_zero_dilation_accepted,
    observed=SECOND_CUDA_RUN,
    summary=(
        "CUDA Conv2d with groups equal to in_channels (a depthwise convolution) accepts "
        "dilation 0 and returns an output, where the CPU raises RuntimeError "
        "('non-positive dilation is not supported') as documented: Conv2d(2, 2, 1, "
        "dilation=0, groups=2) on ones (1, 2, 2, 2). Found by the errors property of the "
        "second CUDA run"
    ),
    upstream="not filed (searched pytorch issues: depthwise conv dilation 0 CUDA)",
)


def freezing_double() -> None:
    import torch._inductor.config

    conv = torch.nn.Conv2d(1, 1, 1).double().eval()
    torch.compiler.reset()
    with torch._inductor.config.patch(freezing=True), torch.no_grad():
        try:
            torch.compile(conv, backend="inductor", fullgraph=True)(torch.ones(1, 1, 1).double())
        except Exception as error:  # BackendCompilerFailed wrapping oneDNN's RuntimeError
            raise AssertionError(str(error).splitlines()[1]) from error


FREEZING_DOUBLE = KnownFailure(
    id="conv2d-inductor-freezing-double",
    layer=LAYER,
    breaks=frozenset({Check.SHAPE, Check.VALUES, Check.EXACT}),
    dtypes=("float64",),
    paths=running_kernels("inductor-freezing"),
    repro=freezing_double,
    found_by="forward",
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.compile (inductor) with freezing, in inference: every float64 Conv2d fails "
        "to compile. The freezing pass prepacks the frozen weight for oneDNN "
        "(mkldnn._reorder_convolution_weight) without checking its dtype, and oneDNN "
        "refuses it: RuntimeError 'itensor_view_from_dense expects float/bfloat16/half/"
        "int8/fp8 tensor inputDouble'. Conv1d and Linear in float64 compile and are right. "
        "Also on 2.14.1"
    ),
    upstream="not filed (no upstream issue found)",
)


ENTRIES = (
    FOLD_BIAS_INTERMEDIATE_OVERFLOW,
    CUDA_DEPTHWISE_ZERO_DILATION_ACCEPTED,
    HALF_BACKWARD_INPUT_ROUNDS_COLUMNS,
    NEGATIVE_PADDING_CROPS,
    OPENVINO_FAKE_MODE_GUARD,
    CHANNELS_LAST_1X1_STRIDED_BACKWARD_CRASH,
    BFLOAT16_AMX_STRIDED_SINGLE_COLUMN,
    BFLOAT16_CHANNELS_LAST_1X1_STRIDED_BACKWARD_CRASH,
    BFLOAT16_CHANNELS_LAST_GROUPED_SINGLE_COLUMN,
    CHANNELS_LAST_ONE_INPUT_CHANNEL_STRIDED_COLUMN,
    INDUCTOR_ONE_INPUT_CHANNEL_STRIDED_COLUMN,
    BFLOAT16_CHANNELS_LAST_PADDING_ONLY_COLUMNS_CRASH,
    PADDING_ONLY_COLUMNS_CRASH_ANY_DILATION,
    CHANNELS_LAST_PADDING_ONLY_COLUMNS_CRASH,
    HALF_PADDING_ONLY_COLUMNS_CRASH,
    BFLOAT16_AMX_PADDING_ONLY_ROWS_CRASH,
    FP32_BF16_PADDING_ONLY_ROWS_CRASH,
    FP32_BF16_STRIDED_SINGLE_COLUMN,
    REPLICATE_INDUCTOR_BACKWARD,
    INDUCTOR_DYNAMIC_UNBATCHED,
    INDUCTOR_DYNAMIC_CACHED_BACKWARD,
    BFLOAT16_AMX_PADDING_ONLY_TAP_WEIGHT_GRAD,
    BFLOAT16_AVX512_CHANNELS_LAST_PADDING_ONLY_TAP_WEIGHT_GRAD,
    FREEZING_DOUBLE,
)
