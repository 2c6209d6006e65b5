"""nn.GELU: x * Phi(x), exactly (approximate='none') or by the tanh approximation."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.activations import (
    gelu_forward,
    gelu_tanh_argument,
    gelu_vjp,
    normal_pdf,
)
from spec.elementwise import elementwise_spec
from spec.exact import ExactCase, filled
from spec.layerspec import InvalidCase
from spec.strategies import from_class

# 'none' is also torch's default: left out, or spelled out.
APPROXIMATION_CLASSES = {
    "none": st.sampled_from([{}, {"approximate": "none"}]),
    "tanh": st.just({"approximate": "tanh"}),
}
CLASSES = {"approximate": tuple(APPROXIMATION_CLASSES)}


def _approximation(hp: dict) -> str:
    return hp.get("approximate", "none")


def classify(hp: dict, shape: tuple) -> dict:
    return {"approximate": _approximation(hp)}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    return from_class(draw, corner or {}, "approximate", APPROXIMATION_CLASSES)[1]


def arguments(hp: dict) -> dict:
    return {"approximate": _approximation(hp)}


def forward_scale(x: np.ndarray, approximate: str) -> np.ndarray:
    # Both forms are x/2 * (1 + f) with f = erf(x / sqrt 2) or tanh(u) in [-1, 1]: f errs
    # by an ulp or two of 1 (its argument's rounding moves it by less, f' * |arg| <= 1/2),
    # and 1 + f rounds relative to 2; times |x|/2 that is an error of a few eps * |x|. It
    # is absolute, not relative to y: where f -> -1 (x very negative) 1 + f cancels, y is
    # tiny, and every algorithm that forms 1 + f (torch's does) errs by eps * |x| there.
    return np.abs(x)


def vjp_scale(x: np.ndarray, grad_y: np.ndarray, approximate: str) -> np.ndarray:
    # The derivative is (1 + f)/2 + x/2 * f'(x): the first term errs by an ulp of 1
    # (the cancellation above); the second is computed from f' = 1 - tanh(u)^2 times u',
    # or from exp(-x^2/2), whose rounded argument moves it by x^2 eps relative.
    # 'none': x phi(x) errs by |x| phi(x) (3 + x^2) eps, so |g| (1 + |x| phi (1 + x^2))
    # (times c = 8) holds it. 'tanh': tanh(u) errs by 2 eps |t| plus its argument's
    # (u rounds relative to 5 eps |u|, moving t by (1 - t^2) 5 eps |u|); 1 - t^2 then errs
    # by 4 eps t^2 + 10 eps |u| (1 - t^2) + eps, multiplied by A = |x|/2 * u'(x): that
    # term stays absolute where the true 1 - t^2 is tiny (large |x|), so A carries t^2.
    grad_y = np.abs(grad_y)
    if approximate == "none":
        return grad_y * (1.0 + np.abs(x) * normal_pdf(x) * (1.0 + x * x))
    u = gelu_tanh_argument(x)
    t = np.tanh(u)
    amplification = np.abs(x) / 2 * np.sqrt(2.0 / np.pi) * (1.0 + 3 * 0.044715 * x * x)
    tanh_error = t * t + (1.0 - t * t) * (1.0 + 2.0 * np.abs(u))
    return grad_y * (1.0 + amplification * tanh_error)


SPEC = elementwise_spec(
    "GELU",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"approximate": "none"},
    forward=gelu_forward,
    vjp=gelu_vjp,
    forward_scale=forward_scale,
    vjp_scale=vjp_scale,
    foreign_kwargs=({"inplace": True}, {"negative_slope": 0.01}),
    hyperparams=hyperparams,
    classes=CLASSES,
    classify=classify,
    arguments=arguments,
    invalid_calls=(
        InvalidCase(
            {"approximate": "erf"}, (2, 3), RuntimeError, "approximate neither none nor tanh"
        ),
        InvalidCase({"approximate": "Tanh"}, (2, 3), RuntimeError, "approximate is case-sensitive"),
        InvalidCase({"approximate": None}, (2, 3), TypeError, "approximate None, not a string"),
    ),
    exact=(
        ExactCase(
            "zeros",
            why=(
                "GELU(0) = 0 * Phi(0) = 0, and its derivative Phi(0) + 0 * phi(0) = 1/2 "
                "in both forms (erf(0) = tanh(0) = 0 in any libm, the rest are halvings), "
                "so the input gradient g/2 of a small integer g is exact"
            ),
            inputs=filled(0.0),
        ),
    ),
)
