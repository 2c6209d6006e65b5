"""Closed-form init laws: gains, fans, and the distribution each torch.nn.init draws from."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Order follows torch.nn.init.calculate_gain: the linear family first, then the rest.
_LINEAR_FAMILY = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)
NONLINEARITIES: tuple[str, ...] = (*_LINEAR_FAMILY, "sigmoid", "tanh", "relu", "leaky_relu", "selu")

# torch's default negative slope for leaky_relu when no param is given.
DEFAULT_LEAKY_RELU_SLOPE = 0.01

FAN_MODES: tuple[str, ...] = ("fan_in", "fan_out")

# nn.Linear and nn.ConvNd reset_parameters call kaiming_uniform_ with this slope.
DEFAULT_WEIGHT_SLOPE = math.sqrt(5.0)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for a nonlinearity, as torch.nn.init.calculate_gain defines it."""
    if nonlinearity in _LINEAR_FAMILY or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = DEFAULT_LEAKY_RELU_SLOPE
        # bool is an int subclass, so torch rejects it explicitly; float subclasses
        # (numpy.float64) pass, int-likes that are not int (numpy.int64) do not.
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        # torch's empirical value (pytorch PR 50664), not derived from SELU's constants.
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def fan_in_and_fan_out(weight_shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) = (shape[1], shape[0]) times the receptive field prod(shape[2:])."""
    if len(weight_shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(weight_shape[2:])
    return weight_shape[1] * receptive_field, weight_shape[0] * receptive_field


def kaiming_fan(weight_shape: tuple[int, ...], mode: str) -> int:
    """The fan kaiming_* divides by: fan_in or fan_out of the weight."""
    # torch lower-cases the mode before checking it, so "FAN_OUT" is accepted.
    mode = mode.lower()
    if mode not in FAN_MODES:
        raise ValueError(f"Mode {mode} not supported, please use one of {list(FAN_MODES)}")
    fan_in, fan_out = fan_in_and_fan_out(weight_shape)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_normal_std(
    weight_shape: tuple[int, ...],
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> float:
    """std = gain(nonlinearity, a) / sqrt(fan) of kaiming_normal_'s N(0, std^2)."""
    fan = kaiming_fan(weight_shape, mode)
    if fan == 0:
        # Only a zero-element weight has fan 0, and torch leaves those untouched.
        raise ValueError(f"fan is 0 for shape {tuple(weight_shape)}: no law to state")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_bound(
    weight_shape: tuple[int, ...],
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> float:
    """bound = sqrt(3) * std of kaiming_uniform_'s U(-bound, bound)."""
    # U(-b, b) has std b / sqrt(3); scaling the same std keeps torch's rounding order.
    return math.sqrt(3.0) * kaiming_normal_std(weight_shape, a, mode, nonlinearity)


def xavier_normal_std(weight_shape: tuple[int, ...], gain: float = 1.0) -> float:
    """std = gain * sqrt(2 / (fan_in + fan_out)) of xavier_normal_'s N(0, std^2)."""
    fan_in, fan_out = fan_in_and_fan_out(weight_shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_bound(weight_shape: tuple[int, ...], gain: float = 1.0) -> float:
    """bound = gain * sqrt(6 / (fan_in + fan_out)) of xavier_uniform_'s U(-bound, bound)."""
    # Computed as sqrt(3) * std, the order torch uses, so the float is the one it samples with.
    return math.sqrt(3.0) * xavier_normal_std(weight_shape, gain)


def default_weight_bound(weight_shape: tuple[int, ...]) -> float:
    """Bound of nn.Linear/nn.ConvNd's default weight init, kaiming_uniform_(a=sqrt(5))."""
    # gain(leaky_relu, sqrt(5)) = sqrt(2 / 6), so sqrt(3) * gain / sqrt(fan_in) = 1 / sqrt(fan_in).
    fan_in, _ = fan_in_and_fan_out(weight_shape)
    if fan_in == 0:
        # The weight then has no elements, so any bound holds; 0 mirrors default_bias_bound.
        return 0.0
    return kaiming_uniform_bound(weight_shape, a=DEFAULT_WEIGHT_SLOPE)


def default_bias_bound(weight_shape: tuple[int, ...]) -> float:
    """Bound of nn.Linear/nn.ConvNd's default bias init: 1/sqrt(fan_in), or 0 when fan_in is 0."""
    fan_in, _ = fan_in_and_fan_out(weight_shape)
    return 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0


INIT_KINDS: tuple[str, ...] = ("uniform", "normal", "constant")

# The fields each kind needs; the others must stay None so a law cannot be ambiguous.
_KIND_FIELDS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "std"),
    "constant": ("value",),
}


@dataclass(frozen=True)
class InitLaw:
    """The distribution an init draws every element from: uniform, normal or constant."""

    kind: str
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    std: float | None = None
    value: float | None = None

    def __post_init__(self) -> None:
        """Reject laws whose fields do not match their kind."""
        if self.kind not in _KIND_FIELDS:
            raise ValueError(f"kind must be one of {INIT_KINDS}, got {self.kind!r}")
        needed = _KIND_FIELDS[self.kind]
        for name in ("low", "high", "mean", "std", "value"):
            given = getattr(self, name) is not None
            if given != (name in needed):
                state = "needs" if name in needed else "takes no"
                raise ValueError(f"a {self.kind} law {state} {name!r}")
        if self.kind == "uniform" and not self.low <= self.high:
            raise ValueError(f"uniform law needs low <= high, got [{self.low}, {self.high}]")
        if self.kind == "normal" and not self.std >= 0:
            raise ValueError(f"normal law needs std >= 0, got {self.std}")


def uniform_law(low: float, high: float) -> InitLaw:
    """U(low, high)."""
    return InitLaw("uniform", low=float(low), high=float(high))


def normal_law(mean: float, std: float) -> InitLaw:
    """N(mean, std^2)."""
    return InitLaw("normal", mean=float(mean), std=float(std))


def constant_law(value: float) -> InitLaw:
    """Every element equal to value (zeros_, ones_, constant_)."""
    return InitLaw("constant", value=float(value))


def law_mean(law: InitLaw) -> float:
    """Expected value of one element drawn from the law."""
    if law.kind == "uniform":
        return (law.low + law.high) / 2
    if law.kind == "normal":
        return law.mean
    return law.value


def law_variance(law: InitLaw) -> float:
    """Variance of one element drawn from the law."""
    if law.kind == "uniform":
        return (law.high - law.low) ** 2 / 12
    if law.kind == "normal":
        return law.std**2
    return 0.0
