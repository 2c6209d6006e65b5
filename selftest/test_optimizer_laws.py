"""The optimizer specs themselves: exactness, error bounds, corners and the registry.

The bounds of spec/optimizers/ are checked against independent emulations of each law in
the dtype, one torch operation (one rounding) at a time, in more than one association
(the documented formula, and the lerp torch uses for Adam's first moment): every
emulation must land within the bound of the float64 reference, and exactly on it
wherever the spec claims exactness.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from spec.dyadic import exact_sums, is_power_of_two, lowest_bit
from spec.optimizer_plans import PLAN_CLASSES, configurations, run_corners
from spec.optimizerspec import OptimizerSpec, StepInputs
from spec.registry import OPTIMIZERS, optimizer_named

DTYPES = {"float64": torch.float64, "float32": torch.float32, "float16": torch.float16,
          "bfloat16": torch.bfloat16}  # fmt: skip
# Values the emulations draw: float16 keeps to |x| <= 4 as the suite's draws do.
TOP = {"float64": 100.0, "float32": 100.0, "float16": 4.0, "bfloat16": 100.0}


def rounded(x, dtype: str) -> np.ndarray:
    return torch.tensor(np.asarray(x, dtype=np.float64)).to(DTYPES[dtype]).double().numpy()


# --- spec/dyadic.py ------------------------------------------------------------------


def test_lowest_bit_by_hand():
    values = np.array([1.0, 3.0, 0.5, 0.75, 6.0, 2.0**-1074, 0.0, np.inf])
    np.testing.assert_array_equal(lowest_bit(values), [0, 0, -1, -2, 1, -1074, np.inf, np.inf])
    np.testing.assert_array_equal(is_power_of_two(np.array([1, 0.5, -4, 0.75, 0, 3])),
                                  [True, True, True, False, False, False])  # fmt: skip


def test_exact_sums_by_hand():
    # 1 + 2^-24 needs 25 bits: float32 has 24. 1 + 2^-23 and 1 + 3 * 2^-23 fit.
    ones = np.ones(3)
    tail = np.array([2.0**-24, 2.0**-23, 3 * 2.0**-23])
    sums = exact_sums([((1.0,), ones), ((1.0,), tail)], "float32")
    np.testing.assert_array_equal(sums, [False, True, True])
    # A factor that is not a power of two makes a nonzero term inexact; zeros drop out.
    tenth = exact_sums([((0.1,), np.array([0.0, 1.0]))], "float64")
    np.testing.assert_array_equal(tenth, [True, False])
    assert not exact_sums([((1.0,), np.array([np.nan]))], "float64").any()
    # 3 * (1/3) is exactly 1 in float64, but two multiplications apart it is not.
    assert not exact_sums([((3.0, 1 / 3), np.array([1.0]))], "float32").any()


@st.composite
def dyadic_terms(draw):
    count = draw(st.integers(1, 4))
    factors = st.sampled_from([0.0, 0.25, 0.5, 1.0, -1.0, 2.0, -0.125])
    coefficients = [draw(factors) for _ in range(count)]
    values = [draw(st.integers(-300, 300)) * 2.0 ** draw(st.integers(-12, 4)) for _ in range(count)]
    return list(zip(coefficients, values, strict=True))


@settings(max_examples=300)
@given(terms=dyadic_terms(), dtype=st.sampled_from(list(DTYPES)), order=st.permutations(range(4)))
def test_exact_sums_are_exact_in_every_order(terms, dtype, order):
    """Where the rule says exact, adding the rounded terms in any order (one rounding per
    addition, in the dtype) gives the exact float64 sum."""
    claimed = bool(exact_sums([((c,), np.array(x)) for c, x in terms], dtype))
    exact = sum(c * x for c, x in terms)
    scaled = [torch.tensor(c * x, dtype=torch.float64).to(DTYPES[dtype]) for c, x in terms]
    if not claimed:
        return
    assert all(float(s) == c * x for s, (c, x) in zip(scaled, terms, strict=True))
    picked = [scaled[i] for i in order if i < len(scaled)]
    total = picked[0]
    for s in picked[1:]:
        total = total + s
    assert float(total) == exact


# --- emulations of the laws, one rounding per operation -----------------------------


def sgd_in_dtype(inputs: StepInputs, dtype: str):
    """The documented SGD step, every operation rounded to `dtype` (torch tensors)."""
    hp = inputs.hp
    t = lambda x: torch.tensor(np.asarray(x, np.float64)).to(DTYPES[dtype])  # noqa: E731
    p, g = t(inputs.param), t(inputs.grad)
    g = -g if hp["maximize"] else g
    if hp["weight_decay"] != 0:
        g = g + t(hp["weight_decay"]) * p
    state = {}
    if hp["momentum"] != 0:
        if "momentum_buffer" in inputs.state:
            b = t(hp["momentum"]) * t(inputs.state["momentum_buffer"]) + t(1 - hp["dampening"]) * g
        else:
            b = g
        state["momentum_buffer"] = b
        g = g + t(hp["momentum"]) * b if hp["nesterov"] else b
    return p - t(hp["lr"]) * g, state


def adam_in_dtype(inputs: StepInputs, dtype: str, decoupled: bool, lerp: bool):
    """The documented Adam step, every operation rounded to `dtype`; with `lerp`, the
    first moment as torch computes it (a lerp towards g by the rounded 1 - beta1)."""
    hp = inputs.hp
    t = lambda x: torch.tensor(np.asarray(x, np.float64)).to(DTYPES[dtype])  # noqa: E731
    beta1, beta2 = hp["betas"]
    zeros = np.zeros_like(inputs.param)
    p, g = t(inputs.param), t(inputs.grad)
    m, v = t(inputs.state.get("exp_avg", zeros)), t(inputs.state.get("exp_avg_sq", zeros))
    step = float(inputs.state.get("step", 0.0)) + 1
    g = -g if hp["maximize"] else g
    if hp["weight_decay"] != 0:
        if decoupled:
            p = p * t(1 - hp["lr"] * hp["weight_decay"])
        else:
            g = g + t(hp["weight_decay"]) * p
    if lerp:
        w = t(1 - beta1)
        m = m + w * (g - m) if float(w) < 0.5 else g - (g - m) * (1 - w)
    else:
        m = t(beta1) * m + t(1 - beta1) * g
    v = t(beta2) * v + t(1 - beta2) * (g * g)
    state = {"step": np.asarray(step), "exp_avg": m, "exp_avg_sq": v}
    used = v
    if hp["amsgrad"]:
        previous = t(inputs.state.get("max_exp_avg_sq", zeros))
        used = state["max_exp_avg_sq"] = torch.maximum(previous, v)
    denominator = used.sqrt() / t((1 - beta2**step) ** 0.5) + t(hp["eps"])
    return p - t(hp["lr"] / (1 - beta1**step)) * (m / denominator), state


def emulations(spec: OptimizerSpec, inputs: StepInputs, dtype: str):
    if spec.name == "SGD":
        return [sgd_in_dtype(inputs, dtype)]
    decoupled = spec.name == "AdamW" or bool(inputs.hp.get("decoupled_weight_decay"))
    return [adam_in_dtype(inputs, dtype, decoupled, lerp) for lerp in (False, True)]


@st.composite
def step_inputs(draw, spec: OptimizerSpec, dtype: str):
    """A step's inputs as torch would hold them: the state after a few reference steps on
    the same kind of values, everything rounded to the dtype."""
    corner = draw(st.sampled_from(run_corners(spec.corners)))
    corner = {k: v for k, v in corner.items() if k not in PLAN_CLASSES or k == "arithmetic"}
    hp, _, plan = draw(configurations(spec, corner, TOP[dtype]))
    param = rounded(plan.params[0], dtype)
    grads = [r[0] for r in plan.losses if r[0] is not None]
    grads = [rounded(np.nan_to_num(g, nan=1.0, posinf=2.0, neginf=-2.0), dtype) for g in grads]
    if not grads:
        grads = [np.zeros_like(param)]
    state: dict = {}
    for g in grads[:-1]:
        param, state = spec.step(StepInputs(param, g, state, hp))
        param = rounded(param, dtype)
        state = {k: v if k == "step" else rounded(v, dtype) for k, v in state.items()}
    return StepInputs(param, grads[-1], state, hp)


def _check_within(spec: OptimizerSpec, inputs: StepInputs, dtype: str) -> None:
    expected_param, expected_state = spec.step(inputs)
    bounds = spec.step_error(inputs, dtype)
    for param, state in emulations(spec, inputs, dtype):
        got_state = {k: np.asarray(v, np.float64) if k == "step" else v.double().numpy()
                     for k, v in state.items()}  # fmt: skip
        pairs = [("param", param.double().numpy(), expected_param)]
        pairs += [(k, got_state[k], expected_state[k]) for k in expected_state]
        for name, got, want in pairs:
            finite = np.isfinite(want) & np.isfinite(got)
            error = np.abs(got - want)
            bound = np.broadcast_to(bounds[name], np.shape(want))
            bad = finite & ~(error <= bound)
            assert not bad.any(), (
                f"{spec.name} {name} in {dtype}: emulation {got[bad][:3]}, law {want[bad][:3]}, "
                f"bound {bound[bad][:3]} ({inputs.hp})"
            )


# Not `dtype`: conftest parametrizes that name over the run's dtypes.
@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("name", [spec.name for spec in OPTIMIZERS])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_emulation_is_within_the_bound(name, dtype_name, data):
    spec = optimizer_named(name)
    _check_within(spec, data.draw(step_inputs(spec, dtype_name)), dtype_name)


def test_the_exact_cases_are_reached_and_hold():
    """Dyadic draws reach exact elements of every quantity, and the emulations hit them."""
    reached: dict[tuple[str, str], int] = {}
    for spec in OPTIMIZERS:
        for dtype in DTYPES:
            for seed in range(24):
                inputs = _seeded(spec, dtype, seed)
                bounds = spec.step_error(inputs, dtype)
                for name, bound in bounds.items():
                    if name != "step" and (np.asarray(bound) == 0).any():
                        reached[(spec.name, name)] = reached.get((spec.name, name), 0) + 1
                _check_within(spec, inputs, dtype)
    for spec in OPTIMIZERS:
        for name in ("param", *{n for n in ("momentum_buffer", "exp_avg", "exp_avg_sq")
                                if n in _names(spec)}):  # fmt: skip
            assert reached.get((spec.name, name)), f"{spec.name} {name}: no exact element reached"


def _names(spec: OptimizerSpec) -> tuple[str, ...]:
    return spec.state_names({"momentum": 1.0, "amsgrad": False})


def _seeded(spec: OptimizerSpec, dtype: str, seed: int) -> StepInputs:
    """A dyadic step drawn from a fixed seed (corner cycled), without Hypothesis' engine."""
    rng = np.random.default_rng(seed)
    corner = dict(spec.corners[seed % len(spec.corners)], arithmetic="dyadic")

    @given(data=st.data())
    @settings(max_examples=1, database=None, derandomize=True)
    def draw(data):
        hp, _, plan = data.draw(configurations(spec, corner, TOP[dtype]))
        found.append((hp, plan))

    found: list = []
    draw()
    hp, plan = found[0]
    param = rounded(plan.params[0], dtype)
    exponents = rng.integers(-3, 1, param.shape)
    grad = rounded(rng.integers(-7, 8, param.shape) * 2.0**exponents, dtype)
    state: dict = {}
    if seed % 2:
        param, state = spec.step(StepInputs(param, grad, state, hp))
        param = rounded(param, dtype)
        state = {k: v if k == "step" else rounded(v, dtype) for k, v in state.items()}
    return StepInputs(param, grad, state, hp)


# --- the specs as data -----------------------------------------------------------------


def test_the_registry_finds_every_optimizer():
    assert [spec.name for spec in OPTIMIZERS] == ["SGD", "Adam", "AdamW"]


def _draws_its_classes(spec: OptimizerSpec, corner: dict, arithmetic: str) -> None:
    @given(hp=spec.hyperparams(corner, arithmetic))
    @settings(max_examples=20, database=None)
    def check(hp):
        classes = spec.classify(hp)
        assert {d: classes[d] for d in corner} == dict(corner), (hp, corner)
        _, state = spec.step(StepInputs(np.ones(2), np.ones(2), {}, hp))
        assert set(spec.state_names(hp)) == set(state)

    check()


@pytest.mark.parametrize("arithmetic", PLAN_CLASSES["arithmetic"])
@pytest.mark.parametrize("name", [spec.name for spec in OPTIMIZERS])
def test_every_corner_draws_its_own_classes(name, arithmetic):
    spec = optimizer_named(name)
    for corner in spec.corners:
        _draws_its_classes(spec, dict(corner), arithmetic)


def test_a_corner_set_that_misses_a_class_is_refused():
    sgd = optimizer_named("SGD")
    with pytest.raises(ValueError, match="no corner reaches"):
        OptimizerSpec(
            name="SGD", hyperparams=sgd.hyperparams, step=sgd.step, step_error=sgd.step_error,
            state_names=sgd.state_names, classes=sgd.classes, classify=sgd.classify,
            corners=sgd.corners[:1],
        )  # fmt: skip


def test_a_0_over_0_of_rounding_is_undetermined_and_of_exact_zeros_is_nan():
    """eps = 0: moments that rounding cancelled to 0 leave the step undetermined, while
    moments that are 0 in every algorithm (a zero gradient, no decay) make it NaN."""
    adam = optimizer_named("Adam")
    hp = {"lr": 2.78, "betas": (0.99999, 0.99999), "eps": 0.0, "amsgrad": False,
          "maximize": True, "decoupled_weight_decay": False}  # fmt: skip
    # A bfloat16 run drew a gradient equal to weight_decay * theta in decimal: -g + 0.01
    # theta is 0 in float64, about -4e-21 in exact arithmetic and +5e-12 with fused
    # Adam's float32 weight_decay, which then stepped by lr.
    theta, grad = np.array([-0.0213623046875]), np.array([-0.000213623046875])
    cancelled = StepInputs(theta, grad, {}, {**hp, "weight_decay": 0.01})
    assert np.isnan(adam.step(cancelled)[0]).all()
    assert np.isnan(adam.step_error(cancelled, "bfloat16")["param"]).all()
    zero = StepInputs(theta, np.zeros(1), {}, {**hp, "weight_decay": 0.0})
    assert np.isnan(adam.step(zero)[0]).all()
    assert not np.isnan(adam.step_error(zero, "bfloat16")["param"]).any()


def test_a_second_moment_stored_as_inf_may_stop_the_step():
    """float16 (1 - beta2) g^2 past 65504 is stored as inf: the for-loop then moves by 0,
    fused Adam (float32 inside) by lr; the law allows both, and each by no more."""
    adam = optimizer_named("AdamW")
    hp = {"lr": 1e-3, "betas": (0.9, 0.3509119853944475), "eps": 0.0, "weight_decay": 0.0,
          "amsgrad": False, "maximize": True}  # fmt: skip
    theta, grad = np.array([0.1151123046875]), np.array([373.25])
    inputs = StepInputs(theta, grad, {}, hp)
    law = adam.step(inputs)[0]
    bound = adam.step_error(inputs, "float16")["param"]
    moved = {}
    for flags in ({"foreach": False}, {"fused": True}):
        p = torch.tensor(theta, dtype=torch.float16, requires_grad=True)
        p.grad = torch.tensor(grad, dtype=torch.float16)
        torch.optim.AdamW([p], **hp, **flags).step()
        moved[next(iter(flags))] = float(p.detach()[0]) - theta[0]
    assert moved["foreach"] == 0.0 and abs(moved["fused"]) > 5e-4, moved
    assert (np.abs(theta + np.array(list(moved.values())) - law) <= bound).all()
    assert (bound < 2 * hp["lr"]).all()


@pytest.mark.parametrize(
    ("theta", "grads", "hp"),
    [
        # theta - lr * (weight_decay * theta) = 61141 fits; lr * d_p = 73485 does not.
        (-0.392578125, [0.0, 1671.0, 0.0],
         {"lr": 7.380563329756815, "weight_decay": 0.8065862254013723}),
        # (1 - dampening) g = 70538: the momentum buffer itself passes 65504.
        (0.00080394744873046875, [0.03167724609375, 55232.0],
         {"lr": 0.5, "momentum": 0.7629780684278777, "dampening": -0.2771303753697646,
          "maximize": True}),
    ],
)  # fmt: skip
def test_an_sgd_intermediate_past_the_range_may_make_the_step_inf(theta, grads, hp):
    """float16 training runs: the for-loop holds its intermediates in float16 and steps to
    inf, fused SGD (float32 inside) to the finite law; the law allows both."""
    sgd = optimizer_named("SGD")
    for flags in ({"foreach": False}, {"foreach": True}, {"fused": True}):
        p = torch.tensor([theta], dtype=torch.float16, requires_grad=True)
        optimizer = torch.optim.SGD([p], **hp, **flags)
        for g in grads:
            state = {k: v.double().numpy() for k, v in optimizer.state[p].items()}
            inputs = StepInputs(p.detach().double().numpy(), np.array([g]), state,
                                {**sgd.defaults, **hp})  # fmt: skip
            law, bound = sgd.step(inputs)[0], sgd.step_error(inputs, "float16")["param"]
            p.grad = torch.tensor([g], dtype=torch.float16)
            optimizer.step()
            got = p.detach().double().numpy()
            assert ((np.abs(got - law) <= bound) | np.isposinf(bound)).all(), (flags, got, law)
        if flags.get("fused"):
            assert np.isfinite(got).all(), got
