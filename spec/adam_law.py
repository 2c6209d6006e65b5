"""The Adam family's law as data: Adam and AdamW (spec/optimizers/adam.py, adamw.py).

Both run reference.adam.adam_step; AdamW always decouples its weight decay, Adam when
`decoupled_weight_decay=True`. What each step may err by in a dtype is derived here.

The moments are sums, bounded like linear ops: their law on absolute values times the
table's c * sqrt(K) * eps, K the roundings behind them (every coefficient rounded to the
computing type too). The parameter's step divides: m_hat / (sqrt(v_hat) + eps). Its
error follows from the moments' by interval arithmetic: the denominator's interval from
v's (the square root's exact image, widened by its own roundings), the quotient's from
the numerator's and the denominator's; a denominator whose interval reaches zero (eps
0 or rounded away, v within its error of zero) leaves the step unresolved, and any
answer is allowed there. The bias corrections 1 - beta^t are computed in float64 from
the Python floats; their rounding is amplified by beta^t / (1 - beta^t) (beta near one,
t small), which matters in float64 alone and is charged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from hypothesis import strategies as st

from reference.adam import adam_step
from spec.dyadic import LARGEST, Term, exact_square, exact_sums, is_power_of_four, is_power_of_two
from spec.optimizerspec import UNDETERMINED, StepError, StepInputs, StepRef
from spec.strategies import from_class
from spec.tolerances import tolerance_for

CLASSES = {
    "lr": ("zero", "ordinary", "large"),
    "beta1": ("zero", "between", "near one"),
    "beta2": ("zero", "between", "near one"),
    "eps": ("zero", "tiny", "large"),
    "weight_decay": ("zero", "positive"),
    "amsgrad": ("off", "on"),
    "maximize": ("off", "on"),
}
# Adam alone takes decoupled_weight_decay (AdamW always decouples).
DECOUPLED_CLASSES = {"decoupled_weight_decay": ("off", "on")}

# Corners 1 and 3 run with dyadic arithmetic (spec/optimizer_plans.run_corners): with eps
# 0 there, a first step moves by exactly lr * sign(g) (see `exact_first_step`).
CORNERS = (
    {"lr": "ordinary", "beta1": "between", "beta2": "near one", "eps": "tiny",
     "weight_decay": "positive", "amsgrad": "on", "maximize": "off"},
    {"lr": "ordinary", "beta1": "between", "beta2": "between", "eps": "zero",
     "weight_decay": "zero", "amsgrad": "off", "maximize": "on"},
    {"lr": "zero", "beta1": "zero", "beta2": "zero", "eps": "large",
     "weight_decay": "positive", "amsgrad": "on", "maximize": "off"},
    {"lr": "large", "beta1": "near one", "beta2": "near one", "eps": "zero",
     "weight_decay": "positive", "amsgrad": "off", "maximize": "on"},
)  # fmt: skip
DECOUPLED_CORNERS = ("off", "on", "on", "off")


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _powers_of_two(low: int, high: int) -> st.SearchStrategy[float]:
    return st.integers(low, high).map(lambda k: 2.0**k)


def _log_uniform(low: int, high: int) -> st.SearchStrategy[float]:
    return _floats(low, high).map(lambda e: 10.0**e)


GENERAL = {
    "lr": {"zero": st.just(0.0), "ordinary": st.just(1e-3) | _floats(1e-5, 0.1),
           "large": _floats(1.0, 10.0)},
    "beta1": {"zero": st.just(0.0), "between": st.just(0.9) | _floats(0.01, 0.98),
              "near one": _floats(0.99, 0.99999)},
    "beta2": {"zero": st.just(0.0), "between": _floats(0.01, 0.98),
              "near one": st.just(0.999) | _floats(0.99, 0.999999)},
    "eps": {"zero": st.just(0.0), "tiny": st.just(1e-8) | _log_uniform(-12, -6),
            "large": _floats(0.1, 10.0)},
    "weight_decay": {"zero": st.just(0.0), "positive": st.just(1e-2) | _floats(1e-4, 1.0)},
}  # fmt: skip
# Dyadic: 1 - beta1 a power of two, 1 - beta2 a power of four (its square root exact).
DYADIC = {
    "lr": {"zero": st.just(0.0), "ordinary": _powers_of_two(-10, -1),
           "large": _powers_of_two(0, 2)},
    "beta1": {"zero": st.just(0.0), "between": st.sampled_from([0.5, 0.75, 0.875]),
              "near one": st.integers(7, 10).map(lambda k: 1 - 2.0**-k)},
    "beta2": {"zero": st.just(0.0), "between": st.sampled_from([0.75, 0.9375]),
              "near one": st.integers(4, 5).map(lambda k: 1 - 4.0**-k)},
    "eps": {"zero": st.just(0.0), "tiny": _powers_of_two(-40, -20),
            "large": st.sampled_from([0.5, 1.0, 2.0])},
    "weight_decay": {"zero": st.just(0.0), "positive": _powers_of_two(-7, 0)},
}  # fmt: skip
SWITCH = {"off": st.just(False), "on": st.just(True)}


def hyperparams_for(decoupled_choice: bool) -> Callable[..., st.SearchStrategy[dict]]:
    """The hyperparameter strategy; with decoupled_choice, decoupled_weight_decay drawn too."""

    @st.composite
    def hyperparams(
        draw: st.DrawFn, corner: Mapping[str, str] | None = None, arithmetic: str = "general"
    ) -> dict:
        corner = dict(corner or {})
        values = DYADIC if arithmetic == "dyadic" else GENERAL
        hp = {
            "lr": from_class(draw, corner, "lr", values["lr"])[1],
            "betas": (
                from_class(draw, corner, "beta1", values["beta1"])[1],
                from_class(draw, corner, "beta2", values["beta2"])[1],
            ),
            "eps": from_class(draw, corner, "eps", values["eps"])[1],
            "weight_decay": from_class(draw, corner, "weight_decay", values["weight_decay"])[1],
            "amsgrad": from_class(draw, corner, "amsgrad", SWITCH)[1],
            "maximize": from_class(draw, corner, "maximize", SWITCH)[1],
        }
        if decoupled_choice:
            hp["decoupled_weight_decay"] = from_class(
                draw, corner, "decoupled_weight_decay", SWITCH
            )[1]
        return hp

    return hyperparams


def _beta_class(beta: float) -> str:
    return "zero" if beta == 0 else "near one" if beta >= 0.99 else "between"


def classify(hp: Mapping) -> dict[str, str]:
    classes = {
        "lr": "zero" if hp["lr"] == 0 else "large" if hp["lr"] >= 1 else "ordinary",
        "beta1": _beta_class(hp["betas"][0]),
        "beta2": _beta_class(hp["betas"][1]),
        "eps": "zero" if hp["eps"] == 0 else "large" if hp["eps"] >= 0.1 else "tiny",
        "weight_decay": "zero" if hp["weight_decay"] == 0 else "positive",
        "amsgrad": "on" if hp["amsgrad"] else "off",
        "maximize": "on" if hp["maximize"] else "off",
    }
    if "decoupled_weight_decay" in hp:
        classes["decoupled_weight_decay"] = "on" if hp["decoupled_weight_decay"] else "off"
    return classes


def state_names(hp: Mapping) -> tuple[str, ...]:
    return ("step", "exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if hp["amsgrad"] else ())


def step_for(decoupled: bool | None) -> StepRef:
    """The reference step; decoupled None: as hp says (Adam), True: always (AdamW)."""

    def step(inputs: StepInputs) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        hp = dict(inputs.hp)
        if decoupled:
            hp["decoupled_weight_decay"] = True
        return adam_step(inputs.param, inputs.grad, dict(inputs.state), **hp)

    return step


# Roundings behind each quantity (every coefficient rounded to the computing type too):
K_DECAYED_GRADIENT = 3  # wd, wd * theta, g + wd * theta (coupled decay only)
K_FIRST_MOMENT = 4  # the weight 1 - beta1, g - m, its product with the weight, the sum (lerp)
K_SECOND_MOMENT = 6  # beta2, beta2 * v, 1 - beta2, g * g, its product, the sum
K_DENOMINATOR = 5  # sqrt(v), sqrt(1 - beta2^t), the division, eps, the sum
K_UPDATE = 3  # lr / (1 - beta1^t), m / denominator, their product
K_DECAY = 3  # 1 - lr * wd in float64 and in the computing type, its product with theta
K_FINAL = 1  # theta - update


def bias_correction_error(beta: float, step: float) -> float:
    """Relative error of 1 - beta^t computed in float64 (pow within an ulp, one subtraction)."""
    power = beta**step
    return float(tolerance_for("float64").bound(1 + 2 * power / (1 - power), 2))


def _moments(inputs: StepInputs, decoupled: bool, dtype: str) -> tuple:
    hp, state = inputs.hp, inputs.state
    zeros = np.zeros_like(inputs.param)
    beta1, beta2 = hp["betas"]
    coupled = hp["weight_decay"] != 0 and not decoupled
    g_abs = np.abs(inputs.grad) + (hp["weight_decay"] * np.abs(inputs.param) if coupled else 0)
    m_abs = np.abs(state.get("exp_avg", zeros))
    m_scale = beta1 * m_abs + (1 - beta1) * g_abs
    if not exact_sums([((1.0,), np.ones(())), ((-1.0,), np.asarray(beta1))], dtype):
        # torch hands lerp the weight 1 - beta1, rounded (in float64, then to the computing
        # type): the beta1 it then applies, 1 - weight, errs by eps * (1 - beta1) on
        # (g - m), which is large next to beta1 when beta1 is small.
        m_scale = m_scale + (1 - beta1) * (m_abs + g_abs)
    v_scale = beta2 * state.get("exp_avg_sq", zeros) + (1 - beta2) * g_abs**2
    k_g = K_DECAYED_GRADIENT if coupled else 0
    return m_scale, k_g + K_FIRST_MOMENT, v_scale, 2 * k_g + K_SECOND_MOMENT


def _value(terms: list[Term]) -> np.ndarray:
    """The float64 value of a sum of terms (exact where spec/dyadic.py says it is)."""
    return sum(float(np.prod(f)) * x for f, x in terms)


def _terms(inputs: StepInputs, decoupled: bool) -> dict[str, list[Term]]:
    """The moments and the decayed parameter as sums of scaled values (spec/dyadic.py)."""
    hp, state = inputs.hp, inputs.state
    beta1, beta2 = hp["betas"]
    zeros = np.zeros_like(inputs.param)
    coupled = hp["weight_decay"] != 0 and not decoupled
    g: list[Term] = [((-1.0 if hp["maximize"] else 1.0,), inputs.grad)]
    if coupled:
        g.append(((hp["weight_decay"],), inputs.param))
    m0, v0 = state.get("exp_avg", zeros), state.get("exp_avg_sq", zeros)
    # beta * x = x - (1 - beta) * x: exact when 1 - beta is a power of two and it fits.
    m = g
    if beta1 != 0:
        m = [((1.0,), m0), ((beta1 - 1,), m0)] + [((1 - beta1, *f), x) for f, x in g]
    g_value = _value(g)
    square: list[Term] = [((1.0,), g_value * g_value)]
    v = square
    if beta2 != 0:
        v = [((1.0,), v0), ((beta2 - 1,), v0), ((1 - beta2,), g_value * g_value)]
    decay: list[Term] = [((1.0,), inputs.param)]
    if decoupled and hp["weight_decay"] != 0:
        decay.append(((-hp["lr"], hp["weight_decay"]), inputs.param))
    return {"g": g, "exp_avg": m, "exp_avg_sq": v, "decay": decay}


def step_error_for(decoupled_always: bool) -> StepError:
    """The step's error bound; decoupled_always for AdamW."""

    # Non-finite inputs give non-finite scales (inf * 0 and inf - inf among them): quietly.
    @np.errstate(all="ignore")
    def step_error(inputs: StepInputs, dtype: str) -> dict[str, np.ndarray]:
        hp, state = inputs.hp, inputs.state
        decoupled = decoupled_always or bool(hp.get("decoupled_weight_decay", False))
        tolerance = tolerance_for(dtype)
        beta1, beta2 = hp["betas"]
        lr, eps, wd = hp["lr"], hp["eps"], hp["weight_decay"]
        t = float(state.get("step", 0.0)) + 1
        _, new = step_for(decoupled)(inputs)
        m, v = new["exp_avg"], new["exp_avg_sq"]
        m_scale, k_m, v_scale, k_v = _moments(inputs, decoupled, dtype)
        m_err = tolerance.bound(m_scale, k_m)
        v_err = tolerance.bound(v_scale, k_v)
        # max(v_max, v) is 1-Lipschitz in v: it errs by no more than v does.
        v_used = new.get("max_exp_avg_sq", v)
        bias1, bias2 = 1 - beta1**t, 1 - beta2**t
        rho1 = bias_correction_error(beta1, t)
        rho2 = bias_correction_error(beta2, t) / 2 + tolerance_for("float64").eps
        root2 = np.sqrt(bias2)
        top = np.sqrt(v_used + v_err) / root2 + eps
        spread = tolerance.bound(top, K_DENOMINATOR) + top * rho2
        low = np.sqrt(np.maximum(v_used - v_err, 0.0)) / root2 + eps - spread
        high = top + spread
        ratio = m / (np.sqrt(v_used) / root2 + eps)
        ends = [(m + s * m_err) / d for s in (-1, 1) for d in (low, high)]
        resolved = (low > 0) & np.isfinite(low)
        ratio_err = np.where(resolved, np.max([np.abs(e - ratio) for e in ends], axis=0), np.inf)
        # A second moment past the dtype's largest value is stored as inf, its correct
        # rounding, and an algorithm that divides by the stored moment moves by 0 (a
        # float16 gradient of 373 with beta2 0.35 does it; fused kernels keep float32).
        stored_inf = v_used + v_err > LARGEST[dtype]
        ratio_err = np.where(stored_inf, np.maximum(ratio_err, np.abs(ratio)), ratio_err)
        ratio_max = np.where(resolved, np.max([np.abs(e) for e in ends], axis=0), np.inf)
        step_size = lr / bias1
        update_err = step_size * (ratio_err + ratio_max * rho1)
        update_err = update_err + tolerance.bound(step_size * ratio_max, K_UPDATE)
        theta = np.abs(inputs.param)
        decay_err = 0.0
        if decoupled and wd != 0:
            decay_err = tolerance.bound(theta * (1 + lr * wd), K_DECAY)
            theta = np.abs(inputs.param * (1 - lr * wd))
        param_err = decay_err + update_err + tolerance.bound(theta + step_size * ratio_max, K_FINAL)
        # 0 * inf: the step is unresolved and any answer is allowed.
        param_err = np.where(np.isnan(param_err), np.inf, param_err)
        bounds = {"param": param_err, "step": np.zeros(()), "exp_avg": m_err, "exp_avg_sq": v_err}
        if hp["amsgrad"]:
            bounds["max_exp_avg_sq"] = v_err
        terms = _terms(inputs, decoupled)
        g_exact = exact_sums(terms["g"], dtype)
        g_value = _value(terms["g"])
        m_exact = exact_sums(terms["exp_avg"], dtype) & g_exact
        v_exact = exact_sums(terms["exp_avg_sq"], dtype) & g_exact & exact_square(g_value)
        bounds["exp_avg"] = np.where(m_exact, 0.0, bounds["exp_avg"])
        for name in ("exp_avg_sq", "max_exp_avg_sq"):
            if name in bounds:
                bounds[name] = np.where(v_exact, 0.0, bounds[name])
        decay_exact = exact_sums(terms["decay"], dtype)
        # No move at all: lr 0, or a first moment that is exactly 0, over a positive
        # denominator in every correct algorithm.
        still = (lr == 0) | (m_exact & (m == 0))
        exact = decay_exact & still & resolved
        exact |= exact_first_step(inputs, terms, dtype, g_value, g_exact & m_exact & v_exact)
        bounds["param"] = np.where(exact, 0.0, bounds["param"])
        # eps = 0 over moments that are zero only because g's terms cancelled in rounding
        # (the gradient and weight_decay * theta, equal in the dtype): the float64 law is
        # 0/0, yet a rounding that keeps the terms apart (fused kernels multiply by a
        # float32 weight_decay) leaves a tiny moment and a step of lr * sign.
        cancelled = (eps == 0) & (m == 0) & (v_used == 0) & ~(m_exact & v_exact)
        bounds["param"] = np.where(cancelled, UNDETERMINED, bounds["param"])
        return bounds

    return step_error


def exact_first_step(
    inputs: StepInputs,
    terms: dict[str, list[Term]],
    dtype: str,
    g: np.ndarray,
    moments_exact: np.ndarray,
) -> np.ndarray:
    """Adam's first step with eps = 0 moves each coordinate by exactly lr * sign(g).

    At t = 1, m = (1 - beta1) g and v = (1 - beta2) g^2, so m_hat = g and v_hat = g^2:
    the step is lr * g / |g|. With 1 - beta1 a power of two and 1 - beta2 a power of four
    every intermediate (m, v, sqrt(v) / sqrt(1 - beta2), the quotient +-(1 - beta1), the
    step size lr / (1 - beta1)) is exact, and with lr a power of two so is the result, if
    theta (decayed) - lr * sign(g) fits the dtype.
    """
    hp = inputs.hp
    beta1, beta2 = hp["betas"]
    first = "step" not in inputs.state
    if not (
        first and hp["eps"] == 0 and is_power_of_two(1 - beta1) and is_power_of_four(1 - beta2)
    ):
        return np.zeros(np.shape(inputs.param), dtype=bool)
    moved = terms["decay"] + [((-hp["lr"],), np.sign(g))]
    return moments_exact & (g != 0) & np.isfinite(g) & exact_sums(moved, dtype)
