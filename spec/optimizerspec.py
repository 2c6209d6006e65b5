"""OptimizerSpec: one declarative description of a torch.optim optimizer's update law.

An optimizer is a law, not a module: each step maps (parameter, gradient, state) to a new
parameter and state, one parameter at a time. The spec names the law's reference step,
the state it keeps, its hyperparameter strategy with the classes every run must reach,
the implementations torch may offer, and the error each step may make in each dtype (zero
where the mathematics is exact). The property tests read nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

HyperParams = Mapping[str, Any]
State = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class StepInputs:
    """What one step sees for one parameter, as float64 copies of what torch held."""

    param: np.ndarray
    grad: np.ndarray
    state: State  # {} before the parameter's first step
    hp: HyperParams


# (new parameter, new state) = step(inputs)
StepRef = Callable[[StepInputs], tuple[np.ndarray, dict[str, np.ndarray]]]
# {"param": allowed |error|, <state name>: allowed |error|} = step_error(inputs, dtype);
# zero where every correct algorithm is exact, inf where the dtype cannot resolve the law,
# UNDETERMINED where the law itself has no value (below).
StepError = Callable[[StepInputs, str], dict[str, np.ndarray]]
# The bound of an element whose law is 0/0 only because rounding cancelled a sum to
# zero: another correct rounding leaves a tiny moment and a finite step, so any value,
# finite or not, is the law's. A 0/0 of exact zeros keeps its NaN (bound inf).
UNDETERMINED = np.nan

# The implementations torch.optim may offer, by the constructor flags that choose them.
# Which of them a device and dtype support is probed when the suite runs, never listed.
IMPLEMENTATIONS: Mapping[str, Mapping[str, bool]] = {
    "for-loop": {"foreach": False},
    "foreach": {"foreach": True},
    "fused": {"fused": True},
}


def _nothing_impossible(corner: Mapping[str, str]) -> bool:
    return False


@dataclass(frozen=True, repr=False)
class OptimizerSpec:
    """Everything the optimizer properties need to know about one optimizer, as data."""

    name: str  # the torch.optim class name, looked up on the implementation under test
    # Valid constructor kwargs (implementation flags aside); given a corner {dimension:
    # class}, within those classes. The corner may also fix "arithmetic" (general or
    # dyadic: powers of two where the law's exact cases need them).
    hyperparams: Callable[..., st.SearchStrategy[dict]]
    step: StepRef
    step_error: StepError
    # The state a parameter holds after its first step, by name, as a function of hp.
    state_names: Callable[[HyperParams], tuple[str, ...]]
    # The hyperparameter classes every run reaches ({dimension: classes}), the classes a
    # configuration falls in, and a covering set of consistent corners.
    classes: Mapping[str, tuple[str, ...]]
    classify: Callable[[HyperParams], dict[str, str]]
    corners: tuple[Mapping[str, str], ...]
    # The documented default of each argument: one drawn at its default may be left out.
    defaults: HyperParams = field(default_factory=dict)
    implementations: Mapping[str, Mapping[str, bool]] = field(
        default_factory=lambda: IMPLEMENTATIONS
    )
    # Largest |value| drawn for parameters and gradients (float16 draws less: tests/cases).
    max_magnitude: float = 1e2
    # Constructor arguments deliberately not drawn, each with the reason.
    out_of_scope: Mapping[str, str] = field(default_factory=dict)
    # Whether a partial corner {dimension: class} names classes no configuration can
    # have together (the corner pass's covering array leaves such pairs out).
    impossible: Callable[[Mapping[str, str]], bool] = _nothing_impossible

    def __post_init__(self) -> None:
        """Reject a malformed spec when it is built: every class reached by some corner."""
        if not self.name.isidentifier():
            raise ValueError(f"OptimizerSpec.name must be a torch.optim class, got {self.name!r}")
        for name in ("hyperparams", "step", "step_error", "state_names", "classify"):
            if not callable(getattr(self, name)):
                raise TypeError(f"OptimizerSpec {self.name}: {name} must be callable")
        for dimension, values in self.classes.items():
            reached = {corner.get(dimension) for corner in self.corners}
            missing = [value for value in values if value not in reached]
            if missing:
                raise ValueError(
                    f"OptimizerSpec {self.name}: no corner reaches {dimension} {missing}"
                )
        for corner in self.corners:
            unknown = {d: c for d, c in corner.items() if c not in self.classes.get(d, ())}
            if unknown:
                raise ValueError(
                    f"OptimizerSpec {self.name}: corner names unknown classes {unknown}"
                )

    def __repr__(self) -> str:
        return f"<OptimizerSpec {self.name}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))
