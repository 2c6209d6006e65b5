"""learner_nn's known failures: where a learner's textbook formulas are not torch.nn's.

Found by the suite under `--impl examples.impls.learner_nn` (dev profile, every dtype,
CPU), each shrunk and checked by hand against the mathematics and against torch.nn (the
numbers in each summary); a failure that hid behind another in the same property was
found by hand and says so. None was put in on purpose (examples/impls/learner_nn.py).

ENTRIES are per layer, scoped like torch's own (tests/known_failures/layers/).
CONTAINER_FINDINGS are what the model, freezing and chapter-claim properties found in
the containers and reprs: those properties take no known failures (they carve nothing
out), so they are (id, summary, repro) here, and their repros are held to failing too.
"""

from __future__ import annotations

import collections
import contextlib
import math
from collections.abc import Callable

import numpy as np
import torch

from examples.impls.entry_helpers import exception_name
from tests.known_failures.entry import Check, KnownFailure, Observed, Where, constant_over

OBSERVED = Observed(since="2.13.0", by="this project's runs of examples.impls.learner_nn")
BY_HAND = Observed(since="2.13.0", by="by hand (behind another failure of the property)")
UPSTREAM = "a learner's implementation (examples/impls/learner_nn.py): no upstream"


def _exp_limit(dtype: str) -> float:
    """The largest x whose e^x the dtype holds: 88.72 (float32, bfloat16), 11.09 (float16),
    709.78 (float64)."""
    return math.log(torch.finfo(getattr(torch, dtype)).max)


# ---- Linear ------------------------------------------------------------------------------


def linear_no_factory_arguments() -> None:
    from examples.impls import learner_nn

    try:
        layer = learner_nn.Linear(2, 3, device="meta", dtype=torch.float64)
    except TypeError as error:
        raise AssertionError(f"Linear(device=, dtype=): {error}") from error
    assert layer.weight.device.type == "meta" and layer.weight.dtype == torch.float64


LINEAR_NO_FACTORY_ARGUMENTS = KnownFailure(
    id="learner-linear-no-factory-arguments",
    layer="Linear",
    breaks=Check.META_DEVICE,
    repro=linear_no_factory_arguments,
    observed=OBSERVED,
    devices=("cpu", "meta"),
    summary=(
        "learner_nn.Linear takes no device= or dtype= (torch's factory arguments): "
        "Linear(1, 1, device='meta') raises TypeError, so the layer cannot be built on "
        "the meta device"
    ),
    upstream=UPSTREAM,
)


def _no_features(where: Where) -> bool:
    return where.arguments["in_features"] <= 0


def linear_size_checks() -> None:
    from examples.impls import learner_nn

    # torch: Linear(0, 1) is valid (its output is the bias); Linear(-1, 1) RuntimeError.
    seen = {"zero": exception_name(lambda: learner_nn.Linear(0, 1)(torch.zeros(2, 0)))}
    seen["negative"] = exception_name(lambda: learner_nn.Linear(-1, 1))
    assert seen == {"zero": "nothing", "negative": "RuntimeError"}, seen


LINEAR_SIZE_CHECKS = KnownFailure(
    id="learner-linear-size-checks",
    layer="Linear",
    breaks=frozenset({Check.RAISES, Check.SHAPE, Check.VALUES}),
    covers=_no_features,
    repro=linear_size_checks,
    observed=OBSERVED,
    summary=(
        "learner_nn.Linear computes its init bound 1 / sqrt(in_features) before anything "
        "else: Linear(0, n) raises ZeroDivisionError where torch builds it (bound 0, "
        "output = bias), and Linear(-1, n) raises ValueError ('math domain error') where "
        "torch raises RuntimeError (negative dimension)"
    ),
    upstream=UPSTREAM,
)


# ---- ReLU ---------------------------------------------------------------------------------


def _has_zero(where: Where) -> bool:
    return where.x is not None and bool((where.x == 0).any())


def relu_gradient_at_zero() -> None:
    from examples.impls import learner_nn

    x = torch.tensor([0.0, -0.0, 1.0], requires_grad=True)
    learner_nn.ReLU()(x).backward(torch.ones(3))
    # torch's convention: the gradient of max(0, x) is 0 at x = 0 (and 1 above).
    assert x.grad.tolist() == [0.0, 0.0, 1.0], x.grad


RELU_GRADIENT_AT_ZERO = KnownFailure(
    id="learner-relu-gradient-at-zero",
    layer="ReLU",
    breaks=frozenset({Check.GRADIENTS, Check.EXACT}),
    covers=_has_zero,
    repro=relu_gradient_at_zero,
    observed=OBSERVED,
    summary=(
        "learner_nn.ReLU is torch.maximum(x, zeros): at x = +-0 (a tie) maximum's "
        "backward splits the gradient, 0.5 to each side, so the input gradient is g/2 "
        "where torch's ReLU gives 0 (x.grad = [0.5, 0.5, 1] for x = [0, -0, 1], g = 1). "
        "Both are subgradients of max(0, x) at 0; torch documents and the suite holds 0"
    ),
    upstream=UPSTREAM,
)


def _has_negative_zero(where: Where) -> bool:
    return where.x is not None and bool(((where.x == 0) & np.signbit(where.x)).any())


def relu_sign_of_zero() -> None:
    from examples.impls import learner_nn

    # 64 elements: the vectorised maximum kernel (a short tensor keeps -0 by chance).
    y = learner_nn.ReLU()(torch.full((64,), -0.0))
    assert bool(torch.signbit(y).all()), f"ReLU(-0) = +0 in {int((~torch.signbit(y)).sum())}/64"


RELU_SIGN_OF_ZERO = KnownFailure(
    id="learner-relu-sign-of-zero",
    layer="ReLU",
    breaks=frozenset({Check.VALUES, Check.EXACT}),
    covers=_has_negative_zero,
    repro=relu_sign_of_zero,
    observed=OBSERVED,
    summary=(
        "learner_nn.ReLU maps -0 to +0 in torch.maximum's vectorised kernel (IEEE "
        "754-2019 maximum orders -0 below +0); torch's ReLU returns x itself where "
        "x >= 0, so -0 stays -0. Found by the chapter claim 'ReLU computes max(0, x)' "
        "(453 of 6400 elements); the values are equal, only the sign bit differs"
    ),
    upstream=UPSTREAM,
)


def _inplace(where: Where) -> bool:
    return bool(where.hp.get("inplace"))


def _writes_in_place(make: Callable[[], torch.nn.Module]) -> None:
    x = torch.tensor([-2.0, 3.0])
    y = make()(x)
    assert y is x or y.data_ptr() == x.data_ptr(), "inplace=True returned a new tensor"


def relu_inplace_ignored() -> None:
    from examples.impls import learner_nn

    _writes_in_place(lambda: learner_nn.ReLU(inplace=True))


RELU_INPLACE_IGNORED = KnownFailure(
    id="learner-relu-inplace-ignored",
    layer="ReLU",
    breaks=Check.VALUES,
    covers=_inplace,
    repro=relu_inplace_ignored,
    observed=OBSERVED,
    summary=(
        "learner_nn.ReLU(inplace=True) stores the flag and returns a new tensor, leaving "
        "its input as it was; torch's writes max(0, x) into the input and returns it"
    ),
    upstream=UPSTREAM,
)


# ---- Sigmoid ------------------------------------------------------------------------------


def _far_below_zero(where: Where) -> bool:
    # e^-x overflows below -limit; in float64 the chain rule's g / (1 + e^-x)^2 underflows
    # first, from about -300 on.
    limit = 300.0 if where.dtype == "float64" else _exp_limit(where.dtype)
    return where.x is not None and bool((where.x < -limit).any())


def sigmoid_gradient_far_below_zero() -> None:
    from examples.impls import learner_nn

    x = torch.tensor([-100.0], requires_grad=True)
    learner_nn.Sigmoid()(x).backward(torch.ones(1))
    # sigma'(-100) = e^-100 / (1 + e^-100)^2 = 3.7e-44, a float32 subnormal.
    assert x.grad.isfinite().all(), f"sigmoid'(-100) = {x.grad.item()}, exactly 3.7e-44"


SIGMOID_GRADIENT_FAR_BELOW_ZERO = KnownFailure(
    id="learner-sigmoid-gradient-far-below-zero",
    layer="Sigmoid",
    breaks=Check.GRADIENTS,
    covers=_far_below_zero,
    repro=sigmoid_gradient_far_below_zero,
    observed=OBSERVED,
    summary=(
        "learner_nn.Sigmoid is 1 / (1 + exp(-x)); its autograd gradient "
        "exp(-x) / (1 + exp(-x))^2 is inf / inf = NaN once exp(-x) overflows (x < -88.7 "
        "in float32 and bfloat16, x < -11.1 in float16), where sigma'(x) is finite "
        "(3.7e-44 at -100); in float64 the factor g / (1 + e^-x)^2 underflows to 0 before "
        "e^-x multiplies it (-0.0 for x = -299.6, reference -4.3e-178). The forward "
        "value is right (0)"
    ),
    upstream=UPSTREAM,
)


# ---- Tanh ---------------------------------------------------------------------------------


def _beyond_exp_range(where: Where) -> bool:
    return where.x is not None and bool((np.abs(where.x) > _exp_limit(where.dtype)).any())


def tanh_overflow() -> None:
    from examples.impls import learner_nn

    y = learner_nn.Tanh()(torch.tensor([100.0, -100.0]))
    assert y.tolist() == [1.0, -1.0], f"tanh(+-100) = {y.tolist()}"


TANH_OVERFLOW = KnownFailure(
    id="learner-tanh-overflow",
    layer="Tanh",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    covers=_beyond_exp_range,
    repro=tanh_overflow,
    observed=OBSERVED,
    summary=(
        "learner_nn.Tanh is (e^x - e^-x) / (e^x + e^-x): once e^|x| overflows (|x| > 88.7 "
        "in float32 and bfloat16, 11.1 in float16, 709.8 in float64) it is inf / inf = "
        "NaN, where tanh(x) = +-1 (NaN for x = 673.3 in float32, found by forward)"
    ),
    upstream=UPSTREAM,
)


def _small_nonzero(where: Where) -> bool:
    return where.x is not None and bool(((np.abs(where.x) < 0.5) & (where.x != 0)).any())


def tanh_cancellation() -> None:
    from examples.impls import learner_nn

    x = torch.tensor([1e-3], dtype=torch.float64)
    y = learner_nn.Tanh()(x).item()
    exact = math.tanh(1e-3)  # 9.9999966666679999e-4
    assert abs(y - exact) <= 4 * 2**-53 * exact, f"tanh(1e-3) = {y!r}, exactly {exact!r}"


TANH_CANCELLATION = KnownFailure(
    id="learner-tanh-cancellation",
    layer="Tanh",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    covers=_small_nonzero,
    repro=tanh_cancellation,
    observed=OBSERVED,
    summary=(
        "learner_nn.Tanh subtracts e^-x from e^x, which cancels for small |x|: the "
        "relative error grows like eps / |x| (float64 tanh(1e-3) off by 6.3e-15 relative, "
        "29 ulps), outside the few-ulp table torch's tanh keeps. Found by forward in "
        "float64 (x = -1.76e-3) and float16 (x = -9.4e-3)"
    ),
    upstream=UPSTREAM,
)


def tanh_gradient_not_even() -> None:
    from examples.impls import learner_nn

    g = torch.tensor(0.12573022)
    grads = []
    for value in (0.34558419, -0.34558419):
        x = torch.tensor(value, requires_grad=True)
        learner_nn.Tanh()(x).backward(g)
        grads.append(x.grad.item())
    # tanh' = 1 - tanh^2 is even: the gradients at x and -x are equal bit for bit.
    assert grads[0] == grads[1], grads


TANH_GRADIENT_NOT_EVEN = KnownFailure(
    id="learner-tanh-gradient-not-even",
    layer="Tanh",
    breaks=Check.EXACT,
    repro=tanh_gradient_not_even,
    observed=OBSERVED,
    summary=(
        "learner_nn.Tanh's autograd gradient (through e^x and e^-x separately) is not "
        "even: at x = +-0.34558 with g = 0.12573 float32 gives 0.11183385 and "
        "0.11183386; torch's 1 - tanh^2 is even bit for bit. On a grid of [-5, 5] 74% "
        "of the pairs differ (up to 3.2e-4 relative)"
    ),
    upstream=UPSTREAM,
)


# ---- Softmax ------------------------------------------------------------------------------


def _implicit_dim_over_several(where: Where) -> bool:
    # dim=None: torch's legacy dim is 0 for 0-, 1- and 3-D input, else 1; the learner's
    # sum(dim=None) takes every element, which is dim 0 only for 0- and 1-D input.
    return where.hp.get("dim") is None and where.x is not None and where.x.ndim >= 2


def softmax_implicit_dim() -> None:
    import warnings

    from examples.impls import learner_nn

    x = torch.tensor([[0.12573022], [-0.13210486]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own advice to pass dim
        expected = torch.nn.Softmax()(x)  # dim 1: each row alone, [[1], [1]]
    y = learner_nn.Softmax()(x)
    assert torch.equal(y, expected), y.flatten().tolist()


SOFTMAX_IMPLICIT_DIM = KnownFailure(
    id="learner-softmax-implicit-dim",
    layer="Softmax",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS, Check.EXACT}),
    covers=_implicit_dim_over_several,
    repro=softmax_implicit_dim,
    observed=OBSERVED,
    summary=(
        "learner_nn.Softmax(dim=None) normalises over the whole tensor (sum(dim=None)); "
        "torch's implicit dim is 1 for 2-D and 4-D input (0 for 0-, 1- and 3-D), so a "
        "(2, 1) input gives [0.5641, 0.4359] where torch gives [1, 1]"
    ),
    upstream=UPSTREAM,
)


def _exp_out_of_range(where: Where) -> bool:
    if where.x is None or where.x.size == 0:
        return False
    limit = _exp_limit(where.dtype) - math.log(where.x.size)
    return bool((np.abs(where.x) > limit).any())


def softmax_unshifted_overflow() -> None:
    from examples.impls import learner_nn

    y = learner_nn.Softmax(dim=0)(torch.tensor([100.0, 99.0]))
    # Shift-invariant: softmax([100, 99]) = softmax([1, 0]) = [0.7311, 0.2689].
    expected = torch.tensor([1 / (1 + math.exp(-1)), 1 / (1 + math.e)])
    assert torch.allclose(y, expected), y.tolist()


SOFTMAX_UNSHIFTED_OVERFLOW = KnownFailure(
    id="learner-softmax-unshifted-overflow",
    layer="Softmax",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    covers=_exp_out_of_range,
    repro=softmax_unshifted_overflow,
    observed=OBSERVED,
    summary=(
        "learner_nn.Softmax exponentiates x unshifted: once e^x overflows (x > 88.7 in "
        "float32, 11.1 in float16) the output is inf / inf = NaN, and a row entirely "
        "below about -103 (float32) gives 0 / 0; torch subtracts the row maximum first "
        "(softmax([100, 99]) = [0.7311, 0.2689]; NaN for x = 673.3, found by forward)"
    ),
    upstream=UPSTREAM,
)


def _equal_logits(where: Where) -> bool:
    dim = where.hp.get("dim")
    x = where.x
    if x is None or x.ndim == 0:
        return False
    axes = tuple(range(x.ndim)) if dim is None else (dim % x.ndim,)
    return constant_over(x, axes)


def softmax_equal_logits_inexact() -> None:
    from examples.impls import learner_nn

    x = torch.tensor([3.3, 3.3], dtype=torch.float64, requires_grad=True)
    learner_nn.Softmax(dim=0)(x).backward(torch.tensor([1.0, 2.0], dtype=torch.float64))
    # s = [1/2, 1/2]: the gradient s * (g - sum(g * s)) = [-1/4, 1/4] is exact.
    assert x.grad.tolist() == [-0.25, 0.25], x.grad.tolist()


SOFTMAX_EQUAL_LOGITS_INEXACT = KnownFailure(
    id="learner-softmax-equal-logits-inexact",
    layer="Softmax",
    breaks=Check.EXACT,
    covers=_equal_logits,
    repro=softmax_equal_logits_inexact,
    observed=OBSERVED,
    summary=(
        "learner_nn.Softmax's gradient for equal logits is not exact: e^x is not a power "
        "of two, and autograd through e / sum(e) rounds: float64 x = [3.3, 3.3], g = [1, 2] "
        "gives [-0.25000000000000006, 0.24999999999999997] where (g - mean(g)) / K = "
        "[-1/4, 1/4] exactly (found at x = 23.64); torch's shift makes every "
        "e^(x - max) = 1"
    ),
    upstream=UPSTREAM,
)


# ---- Dropout ------------------------------------------------------------------------------


def _drops_everything(where: Where) -> bool:
    return bool(where.training) and where.arguments["p"] == 1.0


def dropout_p_one() -> None:
    from examples.impls import learner_nn

    y = learner_nn.Dropout(p=1.0)(torch.tensor([0.5, -2.0]))
    assert torch.equal(y, torch.zeros(2)), y.tolist()


DROPOUT_P_ONE = KnownFailure(
    id="learner-dropout-p-one",
    layer="Dropout",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS, Check.EXACT}),
    covers=_drops_everything,
    repro=dropout_p_one,
    observed=OBSERVED,
    summary=(
        "learner_nn.Dropout(p=1) in training returns x * 0 / (1 - 1) = NaN for every "
        "element; torch's zeros everything (its output is 0)"
    ),
    upstream=UPSTREAM,
)


def dropout_inplace_ignored() -> None:
    from examples.impls import learner_nn

    _writes_in_place(lambda: learner_nn.Dropout(p=0.0, inplace=True))


DROPOUT_INPLACE_IGNORED = KnownFailure(
    id="learner-dropout-inplace-ignored",
    layer="Dropout",
    breaks=frozenset({Check.VALUES, Check.EXACT}),
    covers=_inplace,
    repro=dropout_inplace_ignored,
    observed=OBSERVED,
    summary=(
        "learner_nn.Dropout(inplace=True) returns a new tensor in training (and its input "
        "unchanged); torch's writes the result into the input"
    ),
    upstream=UPSTREAM,
)


def _half_in_training(where: Where) -> bool:
    return bool(where.training) and where.dtype in ("float16", "bfloat16")


def dropout_promotes_half() -> None:
    from examples.impls import learner_nn

    for dtype in (torch.float16, torch.bfloat16):
        y = learner_nn.Dropout(p=0.5)(torch.ones(4, dtype=dtype))
        assert y.dtype == dtype, f"{dtype} in, {y.dtype} out"


DROPOUT_PROMOTES_HALF = KnownFailure(
    id="learner-dropout-promotes-half",
    layer="Dropout",
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    dtypes=("float16", "bfloat16"),
    covers=_half_in_training,
    repro=dropout_promotes_half,
    observed=BY_HAND,
    summary=(
        "learner_nn.Dropout's mask is (rand > p).float(), float32, so a float16 or "
        "bfloat16 input comes out float32 in training; the next float16 Linear then "
        "raises 'expected m1 and m2 to have the same dtype' (how the model properties "
        "found it: MyNetwork, DynamicNet, ModuleList in float16 and bfloat16)"
    ),
    upstream=UPSTREAM,
)


def _p_outside(where: Where) -> bool:
    p = where.arguments["p"]
    return not 0 <= p <= 1


def dropout_p_outside_accepted() -> None:
    from examples.impls import learner_nn

    seen = {p: exception_name(lambda p=p: learner_nn.Dropout(p=p)) for p in (-1.0, 1.5)}
    assert seen == {-1.0: "ValueError", 1.5: "ValueError"}, seen


DROPOUT_P_OUTSIDE_ACCEPTED = KnownFailure(
    id="learner-dropout-p-outside-accepted",
    layer="Dropout",
    breaks=Check.RAISES,
    covers=_p_outside,
    repro=dropout_p_outside_accepted,
    observed=OBSERVED,
    summary=(
        "learner_nn.Dropout accepts any p: Dropout(p=-1.0) and Dropout(p=1.5) build, "
        "where torch raises ValueError ('dropout probability has to be between 0 and 1')"
    ),
    upstream=UPSTREAM,
)


# ---- Flatten ------------------------------------------------------------------------------


def flatten_argument_checks() -> None:
    from examples.impls import learner_nn

    seen = {
        "start after end": exception_name(lambda: learner_nn.Flatten(1, 0)(torch.ones(1, 1))),
        "start out of range": exception_name(lambda: learner_nn.Flatten(2, 0)(torch.ones(1, 2))),
    }
    assert seen == {"start after end": "RuntimeError", "start out of range": "IndexError"}, seen


FLATTEN_ARGUMENT_CHECKS = KnownFailure(
    id="learner-flatten-argument-checks",
    layer="Flatten",
    breaks=Check.RAISES,
    repro=flatten_argument_checks,
    observed=OBSERVED,
    summary=(
        "learner_nn.Flatten checks neither dim: Flatten(1, 0) on a (1, 1) input returns "
        "shape (1, 1, 1) where torch raises RuntimeError ('start_dim cannot come after "
        "end_dim'), and a start_dim out of range raises reshape's RuntimeError where "
        "torch raises IndexError ('Dimension out of range')"
    ),
    upstream=UPSTREAM,
)


def _empty(where: Where) -> bool:
    return where.x is not None and where.x.size == 0


def flatten_empty() -> None:
    from examples.impls import learner_nn

    try:
        shape = learner_nn.Flatten()(torch.ones(0, 2, 3)).shape
    except RuntimeError as error:
        raise AssertionError(f"a (0, 2, 3) input: {error}") from error
    assert shape == (0, 6), shape


FLATTEN_EMPTY = KnownFailure(
    id="learner-flatten-empty",
    layer="Flatten",
    breaks=frozenset({Check.SHAPE, Check.VALUES, Check.GRADIENTS}),
    covers=_empty,
    repro=flatten_empty,
    observed=BY_HAND,
    summary=(
        "learner_nn.Flatten reshapes to (..., -1, ...), which cannot infer the merged "
        "size of an empty tensor: a (0, 2, 3) input raises 'cannot reshape tensor of 0 "
        "elements into shape [0, -1]', where torch returns shape (0, 6)"
    ),
    upstream=UPSTREAM,
)

ENTRIES = (
    LINEAR_NO_FACTORY_ARGUMENTS,
    LINEAR_SIZE_CHECKS,
    RELU_GRADIENT_AT_ZERO,
    RELU_SIGN_OF_ZERO,
    RELU_INPLACE_IGNORED,
    SIGMOID_GRADIENT_FAR_BELOW_ZERO,
    TANH_OVERFLOW,
    TANH_CANCELLATION,
    TANH_GRADIENT_NOT_EVEN,
    SOFTMAX_IMPLICIT_DIM,
    SOFTMAX_UNSHIFTED_OVERFLOW,
    SOFTMAX_EQUAL_LOGITS_INEXACT,
    DROPOUT_P_ONE,
    DROPOUT_INPLACE_IGNORED,
    DROPOUT_PROMOTES_HALF,
    DROPOUT_P_OUTSIDE_ACCEPTED,
    FLATTEN_ARGUMENT_CHECKS,
    FLATTEN_EMPTY,
)


# ---- containers and reprs (model, freezing and chapter-claim properties) -----------------


def sequential_takes_an_ordered_dict() -> None:
    from examples.impls import learner_nn

    try:
        model = learner_nn.Sequential(collections.OrderedDict(fc1=learner_nn.Linear(2, 2)))
    except TypeError as error:
        raise AssertionError(f"Sequential(OrderedDict): {error}") from error
    assert model.fc1 is next(iter(model.children()))


def sequential_indexing() -> None:
    from examples.impls import learner_nn

    first = learner_nn.ReLU()
    model = learner_nn.Sequential(first, learner_nn.Sigmoid())
    with contextlib.suppress(TypeError):
        assert model[0] is first and len(model) == 2
        return
    raise AssertionError("Sequential has no model[i] or len(model)")


def linear_repr() -> None:
    from examples.impls import learner_nn

    shown = repr(learner_nn.Linear(784, 256))
    assert shown == "Linear(in_features=784, out_features=256, bias=True)", shown


CONTAINER_FINDINGS: tuple[tuple[str, str, Callable[[], None]], ...] = (
    (
        "learner-sequential-ordered-dict",
        "learner_nn.Sequential takes modules only: Sequential(OrderedDict(...)) raises "
        "TypeError ('collections.OrderedDict is not a Module subclass'), so the chapter's "
        "named Sequential (model.fc1) cannot be built (models, freezing, container claims)",
        sequential_takes_an_ordered_dict,
    ),
    (
        "learner-sequential-indexing",
        "learner_nn.Sequential has no __getitem__ or __len__: model[0] raises TypeError "
        "('Sequential' object is not subscriptable), where torch's returns the first layer "
        "(found by hand)",
        sequential_indexing,
    ),
    (
        "learner-linear-repr",
        "learner_nn's layers have no extra_repr: print(model) shows 'Linear()' where torch "
        "shows 'Linear(in_features=784, out_features=256, bias=True)' (the chapter claim "
        "my_network.print; Dropout() likewise)",
        linear_repr,
    ),
)
