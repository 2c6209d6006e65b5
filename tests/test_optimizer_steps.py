"""optimizer_steps: every step of every optimizer follows its documented update law.

For each optimizer of the registry (spec/optimizers/) and every implementation torch
offers on the device and dtype (for-loop, foreach, fused: probed by stepping one), a
drawn training run (spec/optimizer_plans.py: parameters of drawn shapes, some empty, and
values, one frozen or none; 1 to 4 steps whose gradients are drawn values, signed zeros,
values with NaN and +-inf among them, or none at all; zero_grad(set_to_none=True),
(False) or no call before each step after the first) is judged after every step, each
parameter on exactly what torch held before it (tests/optimizer_checks.py):
- a parameter without a gradient (frozen, or set to None) is skipped: it and its state
  stay bitwise unchanged;
- every other moves as the reference step says, within the spec's derived bound, and
  exactly where every correct algorithm is exact (lr 0; zero gradients without decay or
  momentum; power-of-two coefficients on dyadic values; Adam's first step with eps 0 moves
  by lr * sign(g)); its state holds exactly the law's names, each as the law says;
- NaN in, NaN out; a reference made non-finite by infinite operands is non-finite in
  torch too (an infinity of its sign, or NaN: with infinities the answer depends on how
  the algorithm associates the law; torch's Adam takes its first moment as a lerp, NaN
  where beta1 * m + (1 - beta1) * g is infinite);
- zero_grad(set_to_none=True) leaves every gradient None, (False) every existing one zero.
Every example runs one configuration per corner of the optimizer's spec (each with a
class of every plan dimension), so every class reaches every cell each run; the corner
pass after the examples runs one configuration per row of a pairwise covering array over
the optimizer's and the plan's classes (tests/corners.py), so every two classes meet each
run (amsgrad and a NaN gradient, nesterov and a skipped zero_grad). The constructor is
given each argument at its documented default, or (drawn) not given it.

maximize: maximize=True on gradients g steps bit for bit as maximize=False on -g.
"""

import numpy as np
from hypothesis import given, note, strategies as st

from report.interface import cover, start_example
from spec.optimizer_plans import configurations, run_corners
from tests import corners
from tests.cases import MAX_MAGNITUDE_BY_DTYPE, kernels_for
from tests.optimizer_checks import Run
from tests.optimizers import in_release, mirror, offered, optimizer_class, train
from tests.paths import Need

# Optimizers step tensors, not a module the paths transform.
NEEDS = frozenset({Need.OPTIMIZER_STEP})
CORNERS = "optimizer classes"


def _largest(optimizer, dtype: str) -> float:
    return min(optimizer.max_magnitude, MAX_MAGNITUDE_BY_DTYPE.get(dtype, np.inf))


def _cover(optimizer, hp: dict, plan) -> None:
    cover(*(f"{dim}={value}" for dim, value in optimizer.classify(hp).items()))
    cover(*(f"{dim}={value}" for dim, values in plan.classes.items() for value in values))


@given(data=st.data())
def test_optimizer_steps(optimizer, device, dtype, path, nn, data):
    cls = optimizer_class(nn, optimizer)
    implementations = offered(cls, optimizer, device, dtype)
    forced = corners.forced.get()
    for corner in [forced] if forced is not None else run_corners(optimizer.corners):
        hp, kwargs, plan = data.draw(
            configurations(optimizer, corner, _largest(optimizer, dtype)), label="configuration"
        )
        kwargs = in_release(cls, optimizer, kwargs, nn)
        if kwargs is None:
            if forced is not None:
                corners.leave_out(f"{optimizer.name} takes no argument the corner needs")
            continue  # this corner needs an argument the release lacks (tallied)
        note(f"{optimizer.name}(**{kwargs}); law {hp}; corner {corner}")
        start_example()  # each configuration's classes meet each other, not the others'
        _cover(optimizer, hp, plan)
        for name, flags in implementations.items():
            run = Run(optimizer, hp, {**kwargs, **flags}, name, plan, dtype, device, nn.__name__)
            with kernels_for(f"{optimizer.name} [{name}] on {device} for {dtype}"):
                train(cls, run)


@given(data=st.data())
def test_maximize_mirrors_minimize(optimizer, device, dtype, path, nn, data):
    cls = optimizer_class(nn, optimizer)
    implementations = offered(cls, optimizer, device, dtype)
    corner = corners.forced.get() or data.draw(
        st.sampled_from(run_corners(optimizer.corners)), label="corner"
    )
    hp, kwargs, plan = data.draw(
        configurations(optimizer, corner, _largest(optimizer, dtype)), label="configuration"
    )
    kwargs = in_release(cls, optimizer, kwargs, nn)
    if kwargs is None:
        corners.leave_out(f"{optimizer.name} takes no argument the corner needs")
    note(f"{optimizer.name}(**{kwargs})")
    for name, flags in implementations.items():
        run = Run(optimizer, hp, {**kwargs, **flags}, name, plan, dtype, device, nn.__name__)
        with kernels_for(f"{optimizer.name} [{name}] on {device} for {dtype}"):
            mirror(cls, run)
