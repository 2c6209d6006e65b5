"""Property 7, modes: train()/eval() reach every submodule and return the module; Dropout and
BatchNorm switch exactly as specified; every other layer computes the same in both modes;
no_grad and inference_mode change no value.

Each test files its result under the one "modes" column of the report.
"""

from __future__ import annotations

import copy
import math
from functools import cache

import numpy as np
import torch
from hypothesis import given, note, strategies as st
from scipy import stats

from spec.registry import LAYERS
from spec.statistics import ALPHA, POWER, RELATIVE_ERROR
from spec.values import arrays
from tests.harness import (
    as_received,
    assert_matches_reference,
    build,
    build_case,
    draw_case,
    draw_hyperparams,
    module_buffers,
    to_numpy,
    to_torch,
    tolerance_bound,
    torch_dtype,
)

PROPERTY = "modes"
SEEDS = st.integers(0, 2**63 - 1)

# ---- (a) containers ---------------------------------------------------------------------

# The layer under test sits among up to MAX_WIDTH siblings on each side, in containers
# nested up to MAX_DEPTH deep: enough for a non-recursive train() at any level to show.
MAX_DEPTH = 3
MAX_WIDTH = 2


@st.composite
def _tree(draw: st.DrawFn, depth: int) -> tuple:
    """("leaf", spec, hp) or (container class name, [subtrees]), drawn over the registry."""
    if depth == 0 or draw(st.booleans(), label="leaf here"):
        spec = draw(st.sampled_from(LAYERS), label="leaf layer")
        return ("leaf", spec, draw(spec.hyperparams(), label=f"{spec.name} hyperparams"))
    kind = draw(st.sampled_from(["Sequential", "ModuleList"]), label="container")
    children = draw(st.lists(_tree(depth - 1), min_size=0, max_size=MAX_WIDTH), label="children")
    return (kind, children)


def _build_tree(nn, tree, device, dtype):
    if tree[0] == "leaf":
        return build(nn, tree[1], tree[2], device, dtype)
    children = [_build_tree(nn, child, device, dtype) for child in tree[1]]
    return nn.Sequential(*children) if tree[0] == "Sequential" else nn.ModuleList(children)


@given(data=st.data())
def test_modes_reach_every_submodule(layer, device, dtype, nn, conformance_record, data):
    conformance_record["examples"] += 1
    conformance_record["property"] = PROPERTY
    hp, _ = draw_hyperparams(data, layer)
    before = data.draw(st.lists(_tree(MAX_DEPTH - 1), max_size=MAX_WIDTH), label="before")
    after = data.draw(st.lists(_tree(MAX_DEPTH - 1), max_size=MAX_WIDTH), label="after")
    tree = (
        data.draw(st.sampled_from(["Sequential", "ModuleList"]), label="root"),
        [*before, ("leaf", layer, hp), *after],
    )
    root = _build_tree(nn, tree, device, dtype)
    modules = list(root.modules())
    # Start from a mixed state, so a call that sets nothing cannot pass by luck.
    for module in modules:
        module.training = data.draw(st.booleans(), label="initial training flag")
    target = data.draw(st.sampled_from(modules), label="called on")
    call = data.draw(st.sampled_from(["train()", "train(True)", "train(False)", "eval()"]))
    note(f"{call} on {type(target).__name__} inside {root}")
    untouched = {id(m): m.training for m in modules if all(m is not s for s in target.modules())}
    mode = call != "train(False)" and call != "eval()"
    returned = {
        "train()": target.train,
        "train(True)": lambda: target.train(True),
        "train(False)": lambda: target.train(False),
        "eval()": target.eval,
    }[call]()
    assert returned is target, f"{call} returned {returned!r}, not the module itself"
    wrong = [f"{type(m).__name__}" for m in target.modules() if m.training is not mode]
    assert not wrong, f"{call} left training != {mode} on submodules {wrong} of {target}"
    moved = [m for m in modules if id(m) in untouched and m.training != untouched[id(m)]]
    assert not moved, f"{call} on a submodule changed modules outside it: {moved}"


# ---- (d) grad modes ---------------------------------------------------------------------


@given(data=st.data())
def test_modes_no_grad_and_inference_mode_agree(layer, device, dtype, nn, conformance_record, data):
    conformance_record["examples"] += 1
    conformance_record["property"] = PROPERTY
    case = draw_case(data, layer, dtype, device)
    base = build_case(nn, case)
    seed = data.draw(SEEDS, label="torch seed")
    outputs, buffers = {}, {}
    for name, context in (
        ("grad mode", torch.enable_grad),
        ("no_grad", torch.no_grad),
        ("inference_mode", torch.inference_mode),
    ):
        module = copy.deepcopy(base)  # training-mode calls update buffers: a fresh copy each
        x = to_torch(case.x, dtype, device, requires_grad=name == "grad mode")
        torch.manual_seed(seed)  # the same dropout mask in every mode
        with context():
            outputs[name] = to_numpy(module(x.clone()))
        buffers[name] = {k: v.copy() for k, v in module_buffers(module).items()}
    for name in ("no_grad", "inference_mode"):
        _assert_bitwise(outputs[name], outputs["grad mode"], f"output under {name}", case)
        for buffer, value in buffers[name].items():
            _assert_bitwise(value, buffers["grad mode"][buffer], f"{buffer} under {name}", case)


def _assert_bitwise(actual, expected, what, case):
    same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
    assert same.all(), (
        f"{what} differs from grad mode for {case.describe()}: "
        f"{int((~same).sum())} of {same.size} elements, e.g. {actual[~same][:3]} vs "
        f"{expected[~same][:3]}"
    )


# ---- (b), (c), (d): what train and eval do, by the spec's mode --------------------------


@given(data=st.data())
def test_modes(layer, device, dtype, nn, conformance_record, data):
    conformance_record["examples"] += 1
    MODE_LAWS[layer.mode](layer, device, dtype, nn, conformance_record, data)


def _same_in_both_modes(layer, device, dtype, nn, record, data):
    """A mode-free layer: train and eval outputs are bitwise identical."""
    case = draw_case(data, layer, dtype, device, training=True)
    module = build_case(nn, case)
    x = to_torch(case.x, dtype, device)
    y_train = to_numpy(module.train()(x.clone()))
    y_eval = to_numpy(module.eval()(x.clone()))
    _assert_bitwise(y_eval, y_train, "eval output vs train output", case)


# -- Dropout


def keep_interval(n: int, q: float) -> tuple[int, int]:
    """[lo, hi] holding the kept count of n Bernoulli(q) trials with probability >= 1 - ALPHA.

    lo is the smallest k with P(K <= k) >= ALPHA/2, so P(K < lo) < ALPHA/2; hi the
    smallest k with P(K > k) <= ALPHA/2. The false alarm is at most ALPHA, exactly.
    """
    return int(stats.binom.ppf(ALPHA / 2, n, q)), int(stats.binom.isf(ALPHA / 2, n, q))


def keep_test_power(n: int, q: float, q_true: float) -> float:
    """P(the kept count falls outside keep_interval(n, q)) when each element is kept w.p. q_true."""
    lo, hi = keep_interval(n, q)
    return float(stats.binom.cdf(lo - 1, n, q_true) + stats.binom.sf(hi, n, q_true))


@cache
def keep_samples_needed(q: float) -> int:
    """Smallest n (on a doubling-then-bisection search) whose test has POWER against a keep
    probability RELATIVE_ERROR off q either way (q * 1.1 only where it is a probability).

    Normal approximation: n ~ ((z_{ALPHA/2} sqrt(q(1-q)) + z_{POWER} sqrt(q'(1-q'))) / (0.1 q))^2,
    so n grows like 1/q: about 6,400 at p = 0.5 and 59,000 at p = 0.9 (STAT_P_MAX).
    """
    alternatives = [q * (1 - RELATIVE_ERROR)]
    if q * (1 + RELATIVE_ERROR) <= 1:
        alternatives.append(q * (1 + RELATIVE_ERROR))

    def enough(n: int) -> bool:
        return min(keep_test_power(n, q, a) for a in alternatives) >= POWER

    high = 64
    while not enough(high):
        high *= 2
    low = high // 2
    while low + 1 < high:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high


# The statistical check draws its own p in [STAT_P_MIN, STAT_P_MAX] on a 1/100 grid (so
# the sample-size search is cached): at p = 0.9 it needs ~59,000 elements (a few ms of
# torch); p -> 1 would need unbounded samples, and p = 0 and 1 are checked exactly.
STAT_P_MIN, STAT_P_MAX, STAT_P_STEPS = 0.01, 0.9, 100


def _kept_value_candidates(x, p, dtype):
    """x / (1 - p) as torch computes it: x times the scale rounded to the dtype (CPU, and
    CUDA in float32/64), or the product in float32 rounded once (CUDA's fused kernel)."""
    scale = torch.ones((), dtype=x.dtype, device=x.device) / (1 - p)
    once = (x.float() * torch.tensor(1 / (1 - p), dtype=torch.float32, device=x.device)).to(x.dtype)
    return to_numpy(x * scale), to_numpy(once)


def _dropout_laws(layer, device, dtype, nn, record, data):
    case = draw_case(data, layer, dtype, device, training=True)
    p = case.hp["p"]
    module = build_case(nn, case)
    x = to_torch(case.x, dtype, device)
    seed = data.draw(SEEDS, label="torch seed")

    y_eval = to_numpy(module.eval()(x.clone()))
    _assert_bitwise(y_eval, case.x, "eval output vs input (eval is the identity)", case)

    torch.manual_seed(seed)
    y = to_numpy(module.train()(x.clone()))
    if p == 0:
        _assert_bitwise(y, case.x, "p=0 training output vs input", case)
    elif p == 1:
        _assert_bitwise(y, np.zeros_like(y), "p=1 training output vs zeros", case)
    else:
        kept = y != 0
        scaled = _kept_value_candidates(x, p, dtype)
        good = ~kept | (y == scaled[0]) | (y == scaled[1])
        assert good.all(), (
            f"{case.describe()}: kept elements are not x/(1-p): y={y[~good][:3]}, "
            f"x={case.x[~good][:3]}, x/(1-p)={scaled[0][~good][:3]}"
        )
        # ... and agrees with the reference given the mask torch drew.
        randomness = layer.recover_randomness(case.x, y, case.hp, True)
        args = (case.x, case.params, {}, case.hp, True, randomness)
        bound = tolerance_bound(dtype, layer.forward_error(*args))
        assert_matches_reference(
            y, layer.forward(*args)[0], bound, what="training output", case=case, record=record
        )

    # The kept fraction is 1 - p: a binomial test on ones (every keep decision visible).
    steps = data.draw(st.integers(0, STAT_P_STEPS), label="statistics p step")
    p_stat = STAT_P_MIN + (STAT_P_MAX - STAT_P_MIN) * steps / STAT_P_STEPS
    q = 1 - p_stat
    n = keep_samples_needed(q)
    stat_module = build(nn, layer, {**case.hp, "p": p_stat}, device, dtype).train()
    torch.manual_seed(seed)
    y_ones = to_numpy(stat_module(torch.ones(n, dtype=torch_dtype(dtype), device=device)))
    kept = int(np.count_nonzero(y_ones))
    lo, hi = keep_interval(n, q)
    assert lo <= kept <= hi, (
        f"{layer.name}(p={p_stat}) kept {kept} of {n} elements ({kept / n:.4f}); a keep "
        f"probability of {q:.4f} keeps {lo}..{hi} with probability 1 - {ALPHA:g} "
        f"(power {POWER} against {RELATIVE_ERROR:.0%} off)"
    )


# -- BatchNorm

MAX_STEPS = 4  # training steps per example: the cumulative average needs a few


def _running_stat_bounds(x, buffers, hp, dtype):
    """Allowed error of the updated running statistics, given torch's previous ones.

    new = (1 - m) * old + m * stat. The batch mean of K = N*H*W values errs by
    eps * sqrt(K) * mean|x| (a K-term sum); the unbiased variance by eps * sqrt(K) *
    mean(|x - mu| * (|x - mu| + mean|x|)) * K/(K-1): the squares round relative to
    (x - mu)^2, and a mean lagging by up to mean|x| (Welford's running mean, or the
    rounded mean of a two-pass form) shifts each deviation by that much. The update
    rounds relative to (1 - m)|old| + m|stat|, and m itself is rounded to the dtype:
    its error eps * m multiplies |old| + |stat| (this dominates for m near 1 and a
    large old value, where 1 - m is small). K is the reduction length.
    """
    count = x.shape[0] * x.shape[2] * x.shape[3]
    axes = (0, 2, 3)
    tracked = int(buffers["num_batches_tracked"])
    m = 1.0 / (tracked + 1) if hp["momentum"] is None else hp["momentum"]
    mean_abs = np.abs(x).mean(axis=axes)
    deviation = np.abs(x - x.mean(axis=axes, keepdims=True))
    var_scale = (deviation * (deviation + mean_abs[None, :, None, None])).mean(axis=axes)
    var_scale = var_scale * count / (count - 1)

    def mixed(old, stat):
        old = np.abs(old)
        return (1 - m) * old + m * stat + m * (old + stat)

    return {
        "running_mean": tolerance_bound(dtype, (mixed(buffers["running_mean"], mean_abs), count)),
        "running_var": tolerance_bound(dtype, (mixed(buffers["running_var"], var_scale), count)),
    }


def _batch_stats_laws(layer, device, dtype, nn, record, data):
    case = draw_case(data, layer, dtype, device, training=True)
    module = build_case(nn, case)
    top = layer.max_magnitude
    steps = data.draw(st.integers(1, MAX_STEPS), label="training steps")
    for step in range(steps + 1):
        training = step < steps
        if step == 0:
            x = case.x
        else:
            shape = data.draw(layer.input_shape(case.hp), label=f"shape {step}")
            x = as_received(data.draw(arrays(shape, top, f"x{step}")), dtype)
        # Copies: on CPU module_buffers may alias the live buffers torch updates in place.
        before = {name: value.copy() for name, value in module_buffers(module).items()}
        module.train(training)
        y = to_numpy(module(to_torch(x, dtype, device)))
        after = module_buffers(module)
        what = f"step {step} ({'train' if training else 'eval'})"
        args = (x, case.params, before, case.hp, training, None)
        expected_y, expected_buffers = layer.forward(*args)
        bound = tolerance_bound(dtype, layer.forward_error(*args))
        step_case = copy.copy(case)
        step_case.x, step_case.input_shape, step_case.training = x, x.shape, training
        step_case.buffers = {k: v for k, v in before.items()}
        assert_matches_reference(
            y, expected_y, bound, what=f"{what} output", case=step_case, record=record
        )
        assert set(after) == set(expected_buffers), f"{what}: buffers {sorted(after)}"
        if not training:
            # eval normalises with the running statistics and updates nothing.
            for name, value in after.items():
                _assert_bitwise(value, before[name], f"{what} {name} (eval must not update)", case)
            continue
        assert int(after.get("num_batches_tracked", 0)) == int(
            expected_buffers.get("num_batches_tracked", 0)
        ), f"{what}: num_batches_tracked {after.get('num_batches_tracked')}"
        bounds = _running_stat_bounds(x, before, case.hp, dtype) if after else {}
        for name, allowed in bounds.items():
            assert_matches_reference(
                after[name],
                expected_buffers[name],
                allowed,
                what=f"{what} {name}",
                case=step_case,
                record=record,
            )
    if not case.hp["track_running_stats"]:
        # Without running statistics eval normalises by the batch, exactly as train does.
        x_t = to_torch(case.x, dtype, device)
        _assert_bitwise(
            to_numpy(module.eval()(x_t)), to_numpy(module.train()(x_t)), "eval vs train", case
        )


MODE_LAWS = {
    "none": _same_in_both_modes,
    "dropout": _dropout_laws,
    "batch_stats": _batch_stats_laws,
}


def test_keep_test_promises():
    # The binomial test keeps its stated false alarm and power at both ends of its range.
    for p in (STAT_P_MIN, 0.5, STAT_P_MAX):
        q = 1 - p
        n = keep_samples_needed(q)
        lo, hi = keep_interval(n, q)
        false_alarm = stats.binom.cdf(lo - 1, n, q) + stats.binom.sf(hi, n, q)
        assert false_alarm <= ALPHA
        assert keep_test_power(n, q, q * (1 - RELATIVE_ERROR)) >= POWER
    assert math.isclose(keep_samples_needed(0.5), 6_400, rel_tol=0.1)
    assert keep_samples_needed(1 - STAT_P_MAX) < 70_000
