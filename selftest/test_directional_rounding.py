"""The gradcheck property's allowance covers float64 rounding of large outputs.

A summed MSELoss of 150 squares of ~90 has |f| ~ 1e6, so the central-difference
quotient carries rounding ~ 1e-4, above the fixed 1e-5 + 1e-3 |numerical| whenever the
random direction makes v^T J u small: CI met one (seed 3348131973). These directions are
fixed, so the test is the same on every machine.
"""

import pytest
import torch

from tests.directional import ATOL, RTOL, DirectionalMismatchError, check_directional

DIRECTIONS = range(40)
SHAPE = (2, 3, 5, 5)


def summed_squares(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.mse_loss(x, target, reduction="sum")


class WrongBackward(torch.autograd.Function):
    """sum((x - t)^2), its gradient 1% too large: a bug the allowance must not hide."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x - target)
        return ((x - target) ** 2).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        (difference,) = ctx.saved_tensors
        wrong = 2.02 * difference * grad
        return wrong, -wrong


def large_point(seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = 30 * torch.randn(SHAPE, dtype=torch.float64, generator=generator)
    target = 90 * torch.randn(SHAPE, dtype=torch.float64, generator=generator)
    return [x, target]


def offset_line(x: torch.Tensor) -> torch.Tensor:
    """1e6 + x / 1000: a large output with a small derivative, in elementwise ops that
    round the same on every CPU (the quotient's rounding is ulp(1e6) / 2h ~ 6e-5)."""
    return 1e6 + x / 1000


def fixed_allowance_misses(seed: int) -> bool:
    """Whether the allowance without the rounding term calls offset_line's gradient wrong."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(3, dtype=torch.float64, generator=generator)
    v = torch.randn(3, dtype=torch.float64, generator=generator)
    u = torch.randn(3, dtype=torch.float64, generator=generator)
    u = u / u.norm()
    step = 1e-6
    numerical = float(
        ((offset_line(x + step * u) - offset_line(x - step * u)) / (2 * step) * v).sum()
    )
    analytical = float((v * u).sum() / 1000)
    return abs(analytical - numerical) > ATOL + RTOL * abs(numerical)


def test_the_fixed_allowance_alone_would_flag_a_correct_gradient():
    assert any(fixed_allowance_misses(seed) for seed in DIRECTIONS)


@pytest.mark.parametrize("seed", DIRECTIONS)
def test_a_large_output_with_a_small_derivative_passes(seed):
    x = torch.randn(3, dtype=torch.float64, generator=_gen(seed))
    check_directional(offset_line, [x], ["input"], _gen(seed + 1))


@pytest.mark.parametrize("seed", DIRECTIONS)
def test_a_correct_summed_loss_of_large_values_passes(seed):
    check_directional(summed_squares, large_point(seed), ["input", "target"], _gen(seed))


def test_a_gradient_one_percent_wrong_is_still_caught():
    caught = 0
    for seed in DIRECTIONS:
        try:
            check_directional(
                WrongBackward.apply, large_point(seed), ["input", "target"], _gen(seed)
            )
        except DirectionalMismatchError:
            caught += 1
    assert caught == len(DIRECTIONS)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
