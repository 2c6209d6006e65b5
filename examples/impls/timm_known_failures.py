"""timm_nn's known failures: where timm's drop-in layers are not torch.nn's (timm 1.0.31).

Found by the suite under `--impl examples.impls.timm_nn` (dev profile, every dtype, CPU)
or, where a failure hid behind another in the same property, by hand; each shrunk and
checked by hand against the mathematics and against torch.nn (the numbers in each
summary). Two kinds:

- timm's own: a constructor argument, default, accepted input or exception that differs
  from torch.nn's documented ones (LabelSmoothingCrossEntropy, Conv2dSame, Sigmoid, Tanh,
  BatchNormAct2d, LayerNorm).
- inherited: timm's layer computes with torch's kernel (F.batch_norm, F.layer_norm) or
  repeats torch's forward line for line (BatchNormAct2d.forward is a copy of
  torch.nn.BatchNorm2d.forward), so torch's own known failure is timm's too. Each names
  the entry of tests/known_failures/layers/ it repeats and keeps its scope.

Every repro raises AssertionError while timm_nn is wrong (selftest/test_example_impls.py).
Where's scope cannot reach some distinctions (an error case's input rank, a loss's
target kind): those entries say so at their predicate.
"""

from __future__ import annotations

import contextlib
import math

import torch

from examples.impls.entry_helpers import raised, strided_same
from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.known_failures.layers import batch_norm2d, layer_norm

TIMM = "timm 1.0.31"
OBSERVED = Observed(since="2.13.0", by=f"this project's runs, {TIMM}")
# Failures of torch's FMA kernels (LayerNorm's): seen on AVX2, AVX-512 and AMX machines.
OBSERVED_FMA = Observed(since="2.13.0", kernel_sets=layer_norm.FMA_KERNEL_SETS, by=OBSERVED.by)


# ---- CrossEntropyLoss: timm.loss.LabelSmoothingCrossEntropy ------------------------------


def _smoothing_not_given(where: Where) -> bool:
    return "label_smoothing" not in where.hp


def cross_entropy_default_smoothing() -> None:
    from examples.impls import timm_nn

    # p = softmax([0, ln 3]) = [1/4, 3/4]: torch's default (no smoothing) is -ln(3/4).
    x, target = torch.tensor([[0.0, math.log(3.0)]]), torch.tensor([1])
    loss = timm_nn.CrossEntropyLoss()(x, target).item()
    assert abs(loss - -math.log(0.75)) < 1e-6, f"{loss} != -ln(3/4) = {-math.log(0.75)}"


CROSS_ENTROPY_DEFAULT_SMOOTHING = KnownFailure(
    id="timm-cross_entropy_loss-default-label-smoothing",
    layer="CrossEntropyLoss",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    covers=_smoothing_not_given,
    repro=cross_entropy_default_smoothing,
    observed=OBSERVED,
    summary=(
        "timm's LabelSmoothingCrossEntropy smooths by 0.1 unless told otherwise; "
        "torch.nn.CrossEntropyLoss's label_smoothing defaults to 0.0. For logits "
        "[0, ln 3] and target 1 timm gives 0.9 * -ln(3/4) + 0.1 * (ln 4 - ln(3/4)) / 2 "
        "= 0.34261, torch -ln(3/4) = 0.28768"
    ),
    upstream=f"by design ({TIMM}: LabelSmoothingCrossEntropy(smoothing=0.1))",
)


def _not_batched_2d(where: Where) -> bool:
    return where.x is not None and where.x.ndim != 2


def cross_entropy_only_batched_2d() -> None:
    from examples.impls import timm_nn

    loss = timm_nn.CrossEntropyLoss(label_smoothing=0.0)
    # (C,) logits and a 0-d target: torch gives -log_softmax(x)[1] = -ln(3/4).
    seen = raised(lambda: loss(torch.tensor([0.0, math.log(3.0)]), torch.tensor(1)), ())
    # (N, C, d) with d = C: classes are dim 1; timm takes the last dim as classes.
    x = torch.tensor([[[0.0, 1.0], [3.0, -1.0]]])
    target = torch.tensor([[1, 0]])
    p = torch.log_softmax(x, dim=1)
    expected = -(p[0, 1, 0] + p[0, 0, 1]).item() / 2  # 0.087758
    got = loss(x, target).item()
    assert seen == "nothing" and abs(got - expected) < 1e-6, (seen, got, expected)


CROSS_ENTROPY_ONLY_BATCHED_2D = KnownFailure(
    id="timm-cross_entropy_loss-only-batched-2d",
    layer="CrossEntropyLoss",
    breaks=frozenset({Check.SHAPE, Check.VALUES, Check.GRADIENTS, Check.EXACT}),
    covers=_not_batched_2d,
    repro=cross_entropy_only_batched_2d,
    observed=OBSERVED,
    summary=(
        "timm's LabelSmoothingCrossEntropy takes only (N, C) logits: it reads classes "
        "along the last dim and gathers with target.unsqueeze(1). An unbatched (C,) "
        "input with a 0-d target raises IndexError (dimension out of range); an "
        "(N, C, d1, ...) input raises RuntimeError unless d_last = C, and then normalises "
        "over the wrong dim: 0.81326 for logits [[[0, 1], [3, -1]]] and targets [[1, 0]], "
        "where torch's class-dim-1 loss is 0.087758"
    ),
    upstream=f"by design ({TIMM}: written for (N, C) classifier logits)",
)


def _any_cross_entropy(where: Where) -> bool:
    # Where holds no call arguments, so probability targets cannot be told from class
    # indices: unscoped (the entry documents the finding; its cases stay red).
    return False


def cross_entropy_probability_targets() -> None:
    from examples.impls import timm_nn

    loss = timm_nn.CrossEntropyLoss(label_smoothing=0.0)
    x, probabilities = torch.tensor([[0.0, math.log(3.0)]]), torch.tensor([[0.5, 0.5]])
    # torch: -(ln(1/4) + ln(3/4)) / 2 = 0.83698.
    expected = -(math.log(0.25) + math.log(0.75)) / 2
    try:
        got = loss(x, probabilities).item()
    except RuntimeError as error:
        raise AssertionError(f"probability targets rejected: {error}") from error
    assert abs(got - expected) < 1e-6, (got, expected)


CROSS_ENTROPY_PROBABILITY_TARGETS = KnownFailure(
    id="timm-cross_entropy_loss-probability-targets",
    layer="CrossEntropyLoss",
    breaks=frozenset({Check.SHAPE, Check.VALUES, Check.GRADIENTS}),
    covers=_any_cross_entropy,
    repro=cross_entropy_probability_targets,
    observed=OBSERVED,
    summary=(
        "timm's LabelSmoothingCrossEntropy takes class indices only: a target of class "
        "probabilities (same shape as the input, accepted by torch since 1.10) raises "
        "RuntimeError (gather() expects an int64 index), where torch gives "
        "-sum(p * log_softmax(x)): 0.83698 for logits [0, ln 3] and p = [1/2, 1/2]"
    ),
    upstream=f"by design ({TIMM}: timm's SoftTargetCrossEntropy is its probability loss)",
)


def _full_smoothing(where: Where) -> bool:
    return where.hp.get("label_smoothing") == 1.0


def cross_entropy_full_smoothing_rejected() -> None:
    from examples.impls import timm_nn

    # label_smoothing = 1: the target is uniform, the loss mean(-log_softmax(x)) =
    # (ln(1 + e) + ln(1 + e^-1)) / 2 = 0.81326 for logits [0, 1].
    x, target = torch.tensor([[0.0, 1.0]]), torch.tensor([0])
    expected = (math.log(1 + math.e) + math.log(1 + math.exp(-1))) / 2
    try:
        got = timm_nn.CrossEntropyLoss(label_smoothing=1.0)(x, target).item()
    except AssertionError as error:
        raise AssertionError("CrossEntropyLoss(label_smoothing=1.0) rejected") from error
    assert abs(got - expected) < 1e-6, (got, expected)


CROSS_ENTROPY_FULL_SMOOTHING_REJECTED = KnownFailure(
    id="timm-cross_entropy_loss-full-smoothing-rejected",
    layer="CrossEntropyLoss",
    breaks=frozenset({Check.SHAPE, Check.VALUES, Check.GRADIENTS, Check.EXACT}),
    covers=_full_smoothing,
    repro=cross_entropy_full_smoothing_rejected,
    observed=OBSERVED,
    summary=(
        "timm's LabelSmoothingCrossEntropy asserts smoothing < 1.0, so "
        "label_smoothing = 1 (in torch's documented [0, 1]: the uniform target, loss "
        "0.81326 for logits [0, 1]) fails at construction with a bare AssertionError"
    ),
    upstream=f"by design ({TIMM}: assert smoothing < 1.0)",
)


def cross_entropy_error_types() -> None:
    from examples.impls import timm_nn

    x = torch.zeros(1, 1)
    loss = timm_nn.CrossEntropyLoss(label_smoothing=0.0)
    seen = {
        "target out of range": raised(lambda: loss(x, torch.tensor([1])), IndexError),
        "label_smoothing=1.5": raised(
            lambda: timm_nn.CrossEntropyLoss(label_smoothing=1.5)(x, torch.tensor([0])),
            RuntimeError,
        ),
    }
    wanted = {"target out of range": "IndexError", "label_smoothing=1.5": "RuntimeError"}
    assert seen == wanted, seen


CROSS_ENTROPY_ERROR_TYPES = KnownFailure(
    id="timm-cross_entropy_loss-error-types",
    layer="CrossEntropyLoss",
    breaks=Check.RAISES,
    repro=cross_entropy_error_types,
    observed=OBSERVED,
    summary=(
        "timm's LabelSmoothingCrossEntropy checks its input by gather and its argument "
        "by assert: a target index out of range raises RuntimeError (gather's 'index 1 "
        "is out of bounds for dimension 1 with size 1'), torch IndexError ('Target 1 is "
        "out of bounds'); label_smoothing > 1 raises a bare AssertionError at "
        "construction, torch RuntimeError at the call. A negative label_smoothing is "
        "accepted, as torch accepts it (cross_entropy_loss-negative-label-smoothing-"
        "accepted)"
    ),
    upstream=f"by design ({TIMM}: assert smoothing < 1.0)",
)


# ---- Conv2d: timm.layers.Conv2dSame for padding='same' ------------------------------------


def conv2d_strided_same_accepted() -> None:
    from examples.impls import timm_nn

    seen = raised(lambda: timm_nn.Conv2d(2, 2, 1, stride=2, padding="same"), ValueError)
    assert seen == "ValueError", f"Conv2d(stride=2, padding='same') raised {seen}"


CONV2D_STRIDED_SAME_ACCEPTED = KnownFailure(
    id="timm-conv2d-strided-same-accepted",
    layer="Conv2d",
    breaks=Check.RAISES,
    covers=strided_same,
    repro=conv2d_strided_same_accepted,
    observed=OBSERVED,
    summary=(
        "timm's Conv2dSame accepts padding='same' with stride > 1 and pads TensorFlow's "
        "way (total pad max((ceil(i/s) - 1) * s + (k - 1) * d + 1 - i, 0), the odd one "
        "after): Conv2d(2, 2, 1, stride=2, padding='same') maps a 3x3 input to 2x2; "
        "torch raises ValueError ('padding='same' is not supported for strided "
        "convolutions'). At stride 1 its padding is torch's 'same' exactly"
    ),
    upstream=f"by design ({TIMM}: TensorFlow-compatible 'SAME' for any stride)",
)


# ---- Sigmoid, Tanh: timm.layers.Sigmoid, timm.layers.Tanh ---------------------------------


def _inplace_given(where: Where) -> bool:
    return "inplace" in where.hp


def _takes_no_inplace(name: str) -> None:
    from examples.impls import timm_nn

    seen = raised(lambda: getattr(timm_nn, name)(inplace=True), TypeError)
    assert seen == "TypeError", f"{name}(inplace=True) raised {seen}"


def sigmoid_takes_inplace() -> None:
    _takes_no_inplace("Sigmoid")


def tanh_takes_inplace() -> None:
    _takes_no_inplace("Tanh")


def _inplace_summary(name: str) -> str:
    return (
        f"timm's {name} takes an inplace argument (inplace=True overwrites its input); "
        f"torch.nn.{name}() takes no argument and raises TypeError for one. The values "
        "are torch's: its forward is x.sigmoid() / x.tanh()"
    )


SIGMOID_TAKES_INPLACE = KnownFailure(
    id="timm-sigmoid-takes-inplace",
    layer="Sigmoid",
    breaks=Check.RAISES,
    covers=_inplace_given,
    repro=sigmoid_takes_inplace,
    observed=OBSERVED,
    summary=_inplace_summary("Sigmoid"),
    upstream=f"by design ({TIMM}: every timm activation takes inplace)",
)

TANH_TAKES_INPLACE = KnownFailure(
    id="timm-tanh-takes-inplace",
    layer="Tanh",
    breaks=Check.RAISES,
    covers=_inplace_given,
    repro=tanh_takes_inplace,
    observed=OBSERVED,
    summary=_inplace_summary("Tanh"),
    upstream=f"by design ({TIMM}: every timm activation takes inplace)",
)


# ---- BatchNorm2d: timm.layers.BatchNormAct2d(apply_act=False) -----------------------------


def _any_error_case(where: Where) -> bool:
    # test_errors' Where holds the arguments, not the input's rank: every invalid input
    # of the layer is covered (the channel mismatch, whose exception is torch's, too).
    return True


def batch_norm2d_wrong_rank_assertion() -> None:
    from examples.impls import timm_nn

    seen = raised(lambda: timm_nn.BatchNorm2d(1)(torch.ones(2, 1, 2)), ValueError)
    assert seen == "ValueError", f"a 3-D input raised {seen}"


BATCH_NORM2D_WRONG_RANK_ASSERTION = KnownFailure(
    id="timm-batch_norm2d-wrong-rank-assertion",
    layer="BatchNorm2d",
    breaks=Check.RAISES,
    covers=_any_error_case,
    repro=batch_norm2d_wrong_rank_assertion,
    observed=Observed(since="2.13.0", by=f"by hand, {TIMM} (behind another errors failure)"),
    summary=(
        "timm's BatchNormAct2d rejects an input that is not 4-D with "
        "AssertionError('expected 4D input (got 3D input)') (timm's _assert); "
        "torch.nn.BatchNorm2d raises ValueError with the same message"
    ),
    upstream=f"by design ({TIMM}: _assert keeps forward traceable)",
)


def batch_norm2d_rejected_input_counts_a_batch() -> None:
    from examples.impls import timm_nn

    bn = timm_nn.BatchNorm2d(1)
    with contextlib.suppress(RuntimeError):  # two channels for a one-channel layer
        bn(torch.ones(2, 2, 2, 2))
    assert int(bn.num_batches_tracked) == 0, bn.num_batches_tracked


BATCH_NORM2D_REJECTED_INPUT_COUNTS_A_BATCH = KnownFailure(
    id="timm-batch_norm2d-rejected-input-counts-a-batch",
    layer="BatchNorm2d",
    breaks=Check.UNCHANGED_STATE,
    covers=batch_norm2d.counts_batches,
    repro=batch_norm2d_rejected_input_counts_a_batch,
    observed=OBSERVED,
    summary=(
        "inherited from torch (batch_norm2d-rejected-input-counts-a-batch): "
        "BatchNormAct2d.forward repeats torch's, incrementing num_batches_tracked before "
        "F.batch_norm validates the input, so a rejected input (channel mismatch) still "
        "counts a batch: 1 after BatchNorm2d(1) rejects a (2, 2, 2, 2) input"
    ),
    upstream=batch_norm2d.REJECTED_INPUT_COUNTS_A_BATCH.upstream,
    devices=("cpu", "cuda", "meta"),
)


def batch_norm2d_meta_cumulative_average() -> None:
    from examples.impls import timm_nn

    bn = timm_nn.BatchNorm2d(1, momentum=None, device="meta")
    try:
        shape = bn(torch.empty(1, 1, 1, 2, device="meta")).shape
    except RuntimeError as error:
        raise AssertionError(f"raised {error}") from error
    assert shape == (1, 1, 1, 2), shape


BATCH_NORM2D_META_CUMULATIVE_AVERAGE = KnownFailure(
    id="timm-batch_norm2d-meta-cumulative-average",
    layer="BatchNorm2d",
    breaks=Check.META_DEVICE,
    covers=batch_norm2d.cumulative_average_in_training,
    repro=batch_norm2d_meta_cumulative_average,
    observed=OBSERVED,
    summary=(
        "inherited from torch (batch_norm2d-meta-cumulative-average): BatchNormAct2d"
        "(momentum=None) in training computes 1.0 / float(num_batches_tracked) as torch "
        "does, which a meta tensor cannot answer ('Tensor.item() cannot be called on "
        "meta tensors'), where the output shape is fully determined"
    ),
    upstream=batch_norm2d.META_CUMULATIVE_AVERAGE.upstream,
    devices=("cpu", "cuda", "meta"),
)


def batch_norm2d_training_constant_channel() -> None:
    from examples.impls import timm_nn

    for dtype, eps, value in ((torch.float32, 1e-5, 6.0), (torch.float64, 0.1, 6.0)):
        bn = timm_nn.BatchNorm2d(1, eps=eps, affine=False, track_running_stats=False)
        plain = bn.to(dtype)(torch.full((1, 1, 1, 2), value, dtype=dtype))
        bn = timm_nn.BatchNorm2d(1, eps=0.3125, track_running_stats=False).to(dtype)
        with torch.no_grad():
            bn.bias.fill_(2.0)
        biased = bn(torch.full((1, 1, 1, 2), -8.0, dtype=dtype))
        # The batch mean is the value, the variance 0: the output is exactly the bias.
        assert torch.equal(plain, torch.zeros_like(plain)), (dtype, plain.flatten().tolist())
        assert torch.equal(biased, torch.full_like(biased, 2.0)), (dtype, biased.flatten().tolist())


BATCH_NORM2D_TRAINING_CONSTANT_CHANNEL = KnownFailure(
    id="timm-batch_norm2d-training-constant-channel",
    layer="BatchNorm2d",
    breaks=Check.EXACT,
    dtypes=("float32", "float64"),
    covers=batch_norm2d.constant_channel_in_training,
    repro=batch_norm2d_training_constant_channel,
    observed=OBSERVED,
    summary=(
        "inherited from torch (batch_norm2d-training-constant-channel): BatchNormAct2d "
        "calls F.batch_norm, whose CPU kernel folds the affine transform as "
        "x * a + (b - mean * a), so a constant channel (normalised value exactly 0) "
        "gives 6.1035e-05 for x = 6 in float32 without affine, not 0 (AVX2 kernels)"
    ),
    upstream=batch_norm2d.TRAINING_CONSTANT_CHANNEL.upstream,
)


def batch_norm2d_float16_invstd_overflow() -> None:
    from examples.impls import timm_nn

    bn = timm_nn.BatchNorm2d(1, eps=2.2e-10).half()
    y = bn(torch.full((2, 1, 1, 1), 0.5, dtype=torch.float16))
    assert torch.equal(y, torch.zeros_like(y)), y


BATCH_NORM2D_FLOAT16_INVSTD_OVERFLOW = KnownFailure(
    id="timm-batch_norm2d-float16-invstd-overflow",
    layer="BatchNorm2d",
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=batch_norm2d.tiny_eps,
    repro=batch_norm2d_float16_invstd_overflow,
    observed=OBSERVED,
    summary=(
        "inherited from torch (batch_norm2d-float16-invstd-overflow): F.batch_norm in "
        "float16 stores 1/sqrt(var + eps) in float16, which overflows for "
        "eps < 65504**-2, so a constant channel gives NaN where the output is 0 "
        "(found by forward and modes with eps = 1e-10)"
    ),
    upstream=batch_norm2d.FLOAT16_INVSTD_OVERFLOW.upstream,
)


# ---- LayerNorm: timm.layers.LayerNorm -----------------------------------------------------


def _eps_not_given(where: Where) -> bool:
    return "eps" not in where.hp


def layer_norm_default_eps() -> None:
    from examples.impls import timm_nn

    # Mean 0, variance 1e-6: torch's default eps 1e-5 gives 1e-3 / sqrt(1.1e-5) = 0.30151.
    y = timm_nn.LayerNorm(2).double()(torch.tensor([[-1e-3, 1e-3]], dtype=torch.float64))
    expected = 1e-3 / math.sqrt(1e-6 + 1e-5)
    assert abs(y[0, 1].item() - expected) < 1e-9, (y[0, 1].item(), expected)


LAYER_NORM_DEFAULT_EPS = KnownFailure(
    id="timm-layer_norm-default-eps",
    layer="LayerNorm",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    covers=_eps_not_given,
    repro=layer_norm_default_eps,
    observed=Observed(since="2.13.0", by=f"by hand, {TIMM} (the suite always passes eps)"),
    summary=(
        "timm's LayerNorm defaults to eps = 1e-6; torch.nn.LayerNorm documents 1e-5 "
        "(LayerSpec.defaults). A row [-1e-3, 1e-3] (variance 1e-6) normalises to "
        "+-0.70711 with timm's default and +-0.30151 with torch's; for [1, 2, 4, 8] the "
        "outputs differ by 9.5e-7. The suite always draws eps, so only a check of the "
        "defaults sees it"
    ),
    upstream=f"by design ({TIMM}: LayerNorm(num_channels, eps=1e-6))",
)


def layer_norm_weight_grad_of_constant_rows() -> None:
    from examples.impls import timm_nn

    ln = timm_nn.LayerNorm(1, eps=0.5)
    with torch.no_grad():
        ln.weight.fill_(2.0)
        ln.bias.fill_(-1.0)
    ln(torch.tensor([-7.0])).backward(torch.tensor([-1.0]))
    # One element is a constant row: x_hat = 0, so weight.grad = g * x_hat = 0 exactly.
    assert ln.weight.grad.item() == 0.0, ln.weight.grad


LAYER_NORM_WEIGHT_GRAD_OF_CONSTANT_ROWS = KnownFailure(
    id="timm-layer_norm-weight-grad-of-constant-rows",
    layer="LayerNorm",
    breaks=Check.EXACT,
    dtypes=("float32", "float64"),
    kernel_sets=layer_norm.FMA_KERNEL_SETS,
    covers=layer_norm.WEIGHT_GRAD_OF_CONSTANT_ROWS.covers,
    repro=layer_norm_weight_grad_of_constant_rows,
    observed=OBSERVED_FMA,
    summary=(
        "inherited from torch (layer_norm-weight-grad-of-constant-rows): timm's "
        "LayerNorm calls F.layer_norm, whose vectorised backward leaves "
        "weight.grad = -3.5763e-07 for the one-element row -7 (eps 0.5, g = -1), "
        "where x_hat = 0 makes it exactly 0"
    ),
    upstream=layer_norm.WEIGHT_GRAD_OF_CONSTANT_ROWS.upstream,
)


def layer_norm_half_forward_of_constant_rows() -> None:
    from examples.impls import timm_nn

    for dtype in (torch.bfloat16, torch.float16):
        ln = timm_nn.LayerNorm(4, eps=1e-3, elementwise_affine=False).to(dtype)
        y = ln(torch.full((2, 4), 3.0, dtype=dtype))
        assert torch.equal(y, torch.zeros_like(y)), (dtype, y)


LAYER_NORM_HALF_FORWARD_OF_CONSTANT_ROWS = KnownFailure(
    id="timm-layer_norm-half-forward-of-constant-rows",
    layer="LayerNorm",
    breaks=Check.EXACT,
    dtypes=("float16", "bfloat16"),
    kernel_sets=layer_norm.FMA_KERNEL_SETS,
    covers=layer_norm.HALF_FORWARD_OF_CONSTANT_ROWS.covers,
    repro=layer_norm_half_forward_of_constant_rows,
    observed=OBSERVED_FMA,
    summary=(
        "inherited from torch (layer_norm-half-forward-of-constant-rows): F.layer_norm "
        "in float16 and bfloat16 computes x * rstd - mean * rstd with a fused "
        "multiply-add, so a constant row is not exactly 0 (found by the exact cases, "
        "normalized_shape (1,), eps 1e-3)"
    ),
    upstream=layer_norm.HALF_FORWARD_OF_CONSTANT_ROWS.upstream,
)

ENTRIES = (
    CROSS_ENTROPY_DEFAULT_SMOOTHING,
    CROSS_ENTROPY_ONLY_BATCHED_2D,
    CROSS_ENTROPY_PROBABILITY_TARGETS,
    CROSS_ENTROPY_FULL_SMOOTHING_REJECTED,
    CROSS_ENTROPY_ERROR_TYPES,
    CONV2D_STRIDED_SAME_ACCEPTED,
    SIGMOID_TAKES_INPLACE,
    TANH_TAKES_INPLACE,
    BATCH_NORM2D_WRONG_RANK_ASSERTION,
    BATCH_NORM2D_REJECTED_INPUT_COUNTS_A_BATCH,
    BATCH_NORM2D_META_CUMULATIVE_AVERAGE,
    BATCH_NORM2D_TRAINING_CONSTANT_CHANNEL,
    BATCH_NORM2D_FLOAT16_INVSTD_OVERFLOW,
    LAYER_NORM_DEFAULT_EPS,
    LAYER_NORM_WEIGHT_GRAD_OF_CONSTANT_ROWS,
    LAYER_NORM_HALF_FORWARD_OF_CONSTANT_ROWS,
)
