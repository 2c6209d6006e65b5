"""torch.optim.SGD: theta <- theta - lr * (momentum buffer or gradient, with weight decay)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from hypothesis import strategies as st

from reference.sgd import sgd_step
from spec.dyadic import LARGEST, Term, exact_sums
from spec.optimizerspec import OptimizerSpec, StepInputs
from spec.strategies import from_class
from spec.tolerances import tolerance_for

CLASSES = {
    "lr": ("zero", "ordinary", "large"),
    "momentum": ("none", "between", "one", "above one"),
    # torch checks no range: 1 - dampening may be negative or above one.
    "dampening": ("zero", "between", "one", "outside [0, 1]"),
    "nesterov": ("off", "on"),
    "weight_decay": ("zero", "positive"),
    "maximize": ("off", "on"),
}

# Consistent corners (nesterov needs momentum > 0 and dampening 0) that reach every class,
# each where it acts (dampening only matters with momentum).
CORNERS = (
    {"lr": "ordinary", "momentum": "between", "dampening": "between", "nesterov": "off",
     "weight_decay": "positive", "maximize": "on"},
    {"lr": "large", "momentum": "one", "dampening": "zero", "nesterov": "on",
     "weight_decay": "zero", "maximize": "off"},
    {"lr": "zero", "momentum": "above one", "dampening": "one", "nesterov": "off",
     "weight_decay": "positive", "maximize": "off"},
    {"lr": "ordinary", "momentum": "between", "dampening": "outside [0, 1]", "nesterov": "off",
     "weight_decay": "zero", "maximize": "on"},
    {"lr": "large", "momentum": "none", "nesterov": "off", "weight_decay": "positive",
     "maximize": "off"},
)  # fmt: skip

# The documented defaults: an argument drawn at its default may be left out.
DEFAULTS = {
    "lr": 1e-3,
    "momentum": 0.0,
    "dampening": 0.0,
    "weight_decay": 0.0,
    "nesterov": False,
    "maximize": False,
}


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _powers_of_two(low: int, high: int) -> st.SearchStrategy[float]:
    return st.integers(low, high).map(lambda k: 2.0**k)


# Values of each class: general ones, and dyadic ones (powers of two wherever a
# coefficient multiplies a value, so that spec/dyadic.py finds the exact steps).
GENERAL = {
    "lr": {"zero": st.just(0.0), "ordinary": st.just(1e-3) | _floats(1e-4, 0.5),
           "large": _floats(1.0, 10.0)},
    "momentum": {"none": st.just(0.0), "between": _floats(0.01, 0.99), "one": st.just(1.0),
                 "above one": _floats(1.01, 2.0)},
    "dampening": {"zero": st.just(0.0), "between": _floats(0.01, 0.99), "one": st.just(1.0),
                  "outside [0, 1]": _floats(-1.0, -0.01) | _floats(1.01, 2.0)},
    "weight_decay": {"zero": st.just(0.0), "positive": _floats(1e-4, 1.0)},
}  # fmt: skip
DYADIC = {
    "lr": {"zero": st.just(0.0), "ordinary": _powers_of_two(-6, -1),
           "large": _powers_of_two(0, 3)},
    "momentum": {"none": st.just(0.0), "between": _powers_of_two(-3, -1), "one": st.just(1.0),
                 "above one": st.just(2.0)},
    # 1 - dampening a power of two: 1/2, 1/4, 1/8; 2 or -1.
    "dampening": {"zero": st.just(0.0), "between": st.sampled_from([0.5, 0.75, 0.875]),
                  "one": st.just(1.0), "outside [0, 1]": st.sampled_from([-1.0, 2.0])},
    "weight_decay": {"zero": st.just(0.0), "positive": _powers_of_two(-6, 0)},
}  # fmt: skip
SWITCH = {"off": st.just(False), "on": st.just(True)}


@st.composite
def hyperparams(
    draw: st.DrawFn, corner: Mapping[str, str] | None = None, arithmetic: str = "general"
) -> dict:
    corner = dict(corner or {})
    values = DYADIC if arithmetic == "dyadic" else GENERAL
    # Nesterov momentum requires a momentum and zero dampening (torch raises otherwise).
    nesterov_possible = (
        corner.get("momentum") != "none" and corner.get("dampening", "zero") == "zero"
    )
    switch = SWITCH if nesterov_possible else {"off": SWITCH["off"]}
    _, nesterov = from_class(draw, corner, "nesterov", switch)
    momenta = {k: v for k, v in values["momentum"].items() if not nesterov or k != "none"}
    dampenings = {"zero": values["dampening"]["zero"]} if nesterov else values["dampening"]
    return {
        "lr": from_class(draw, corner, "lr", values["lr"])[1],
        "momentum": from_class(draw, corner, "momentum", momenta)[1],
        "dampening": from_class(draw, corner, "dampening", dampenings)[1],
        "weight_decay": from_class(draw, corner, "weight_decay", values["weight_decay"])[1],
        "nesterov": nesterov,
        "maximize": from_class(draw, corner, "maximize", SWITCH)[1],
    }


def impossible(corner: Mapping[str, str]) -> bool:
    """Nesterov momentum with no momentum, or with dampening: torch raises (hyperparams)."""
    return corner.get("nesterov") == "on" and (
        corner.get("momentum") == "none" or corner.get("dampening", "zero") != "zero"
    )


def classify(hp: Mapping) -> dict[str, str]:
    lr, momentum, dampening = hp["lr"], hp["momentum"], hp["dampening"]
    return {
        "lr": "zero" if lr == 0 else "large" if lr >= 1 else "ordinary",
        "momentum": "none" if momentum == 0 else "between" if momentum < 1
        else "one" if momentum == 1 else "above one",
        "dampening": "zero" if dampening == 0 else "between" if 0 < dampening < 1
        else "one" if dampening == 1 else "outside [0, 1]",
        "nesterov": "on" if hp["nesterov"] else "off",
        "weight_decay": "zero" if hp["weight_decay"] == 0 else "positive",
        "maximize": "on" if hp["maximize"] else "off",
    }  # fmt: skip


def state_names(hp: Mapping) -> tuple[str, ...]:
    """SGD keeps a momentum buffer, and only with momentum."""
    return ("momentum_buffer",) if hp["momentum"] != 0 else ()


def step(inputs: StepInputs) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return sgd_step(inputs.param, inputs.grad, dict(inputs.state), **inputs.hp)


# Roundings behind each result, counted on the documented algorithm with every
# coefficient rounded to the computing type too: the decayed gradient g + wd * theta 3
# (wd, the product, the sum); the buffer mu * b + (1 - tau) * g 5 more (mu, 1 - tau, two
# products, the sum); nesterov's g + mu * b 3 more; theta - lr * g 3 more (lr, product,
# sum). Every intermediate is at most its value on absolute values, and so is its share
# of the result, so K roundings err by at most K * eps * scale, which the table's
# c * sqrt(K) * eps * scale covers while K <= c^2 (64 in float32 and float64).
K_BUFFER = 3 + 5
K_PARAM = K_BUFFER + 3 + 3


def terms(inputs: StepInputs) -> dict[str, list[Term]]:
    """The law as sums of scaled values (spec/dyadic.py), per result."""
    hp, state = inputs.hp, inputs.state
    sign = -1.0 if hp["maximize"] else 1.0
    g: list[Term] = [((sign,), inputs.grad), ((hp["weight_decay"],), inputs.param)]
    sums: dict[str, list[Term]] = {}
    if hp["momentum"] != 0:
        if "momentum_buffer" in state:
            first = [((hp["momentum"],), state["momentum_buffer"])]
            buffer = first + [((1 - hp["dampening"], *f), x) for f, x in g]
        else:
            buffer = g
        sums["momentum_buffer"] = buffer
        g = g + [((hp["momentum"], *f), x) for f, x in buffer] if hp["nesterov"] else buffer
    sums["param"] = [((1.0,), inputs.param)] + [((-hp["lr"], *f), x) for f, x in g]
    return sums


def step_error(inputs: StepInputs, dtype: str) -> dict[str, np.ndarray]:
    """The law on absolute values (as for linear ops), K roundings; zero where exact."""
    hp = inputs.hp
    absolute_hp = {
        **hp,
        "lr": -hp["lr"],  # theta - lr * g on absolute values: |theta| + lr * |g|
        "dampening": 1 - abs(1 - hp["dampening"]),
        "maximize": False,
    }
    absolute_state = {name: np.abs(value) for name, value in inputs.state.items()}
    with np.errstate(invalid="ignore", over="ignore"):
        param_scale, state_scale = sgd_step(
            np.abs(inputs.param), np.abs(inputs.grad), absolute_state, **absolute_hp
        )
    # An underflow errs by up to the floor wherever it happens; downstream it is scaled
    # by at most the law's response to ones.
    ones = {name: np.ones(()) for name in inputs.state}
    unit_param, unit_state = sgd_step(np.ones(()), np.ones(()), ones, **absolute_hp)
    tolerance = tolerance_for(dtype)
    bounds = {"param": tolerance.bound(param_scale, K_PARAM, K_PARAM * (1 + unit_param))}
    for name, scale in state_scale.items():
        bounds[name] = tolerance.bound(scale, K_BUFFER, K_BUFFER * (1 + unit_state[name]))
    for name, sums in terms(inputs).items():
        bounds[name] = np.where(exact_sums(sums, dtype), 0.0, bounds[name])
    # The documented algorithm holds its intermediates in the parameter's dtype (the
    # for-loop and foreach steps are tensor ops): one that may pass the dtype's largest
    # value (g + weight_decay * theta, the momentum buffer, lr times the result) is inf,
    # its correct rounding, and the parameter may then be inf too. float16 does it: a
    # buffer of 70538 for g = 55232; lr * d_p = 73485 where theta - lr * d_p = 61141.
    # Fused kernels keep float32 inside and step to the finite value, also allowed.
    with np.errstate(invalid="ignore"):  # inf * 0 and inf - inf: NaN, not past the range
        decayed = np.abs(inputs.grad) + abs(hp["weight_decay"]) * np.abs(inputs.param)
        stepped = param_scale - np.abs(inputs.param)
        intermediates = [decayed, stepped, *state_scale.values()]
        passes = np.any([np.broadcast_to(v, np.shape(decayed)) > LARGEST[dtype]
                         for v in intermediates], axis=0)  # fmt: skip
    bounds["param"] = np.where(passes, np.inf, bounds["param"])
    return bounds


SPEC = OptimizerSpec(
    name="SGD",
    hyperparams=hyperparams,
    step=step,
    step_error=step_error,
    state_names=state_names,
    classes=CLASSES,
    classify=classify,
    corners=CORNERS,
    defaults=DEFAULTS,
    impossible=impossible,
    out_of_scope={
        "lr as a Tensor": "a 1-element tensor lr is the same law; the spec draws Python floats",
        "differentiable": "autograd through the step is a property of its own",
    },
)
