"""Directional derivative checks: autograd's v^T J u against central finite differences.

This is the algorithm of torch.autograd.gradcheck's fast mode, written out so that a
failure reports at once: torch's own gradcheck, on a mismatch, recomputes the whole
Jacobian numerically (two forward calls per input element) just to print it, which is
seconds per failing call and minutes over a shrink. Here a mismatch names the input,
the two numbers and the direction, and costs nothing more.

For random directions u (per input) and v (over the outputs), v^T J u is a fixed linear
combination of every Jacobian entry: a wrong entry changes it with probability one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

# Central differences in float64: truncation ~ EPS^2 * f''' and cancellation ~ 1e-16 * |f|
# / EPS stay near 1e-10 where |f| ~ 1, far below the tolerances, as in torch's gradcheck
# defaults.
EPS = 1e-6
ATOL = 1e-5
RTOL = 1e-3
# Where |f| is large the cancellation is not small: a summed loss of 150 squares of ~90
# has |f| ~ 1e6 and rounding ~ 1e-4 in the quotient, above ATOL (CI met it at seed
# 3348131973). So the allowance adds the quotient's rounding, in units of float64's unit
# roundoff u: the rounding of each output, sum_i |v_i| (|f_i(x+h)| + |f_i(x-h)|), and of
# the moved input, 2 sum_j |g_j| |x_j|, both over 2h. Measured on torch 2.13.0 (summed
# and mean MSE and L1 losses of up to 131,072 elements of ~100, matmuls of 64), the error
# never passed 1.5 of these; 16 leaves ten times that. Where |f| ~ 1 the term is ~1e-9
# per output and changes nothing.
UNIT_ROUNDOFF = 2.0**-53
ROUNDING_UNITS = 16


class DirectionalMismatchError(AssertionError):
    """autograd and finite differences disagree along a direction."""


def _flat(outputs: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    if isinstance(outputs, torch.Tensor):
        return outputs.reshape(-1)
    return torch.cat([o.reshape(-1) for o in outputs])


def rounding(
    ahead: torch.Tensor,
    behind: torch.Tensor,
    v: torch.Tensor,
    grad: torch.Tensor | None,
    point: torch.Tensor,
    direction: torch.Tensor,
) -> float:
    """How far float64 rounding can move the central-difference quotient (see above)."""
    outputs = float((v.abs() * (ahead.abs() + behind.abs())).sum())
    moved = 0.0
    if grad is not None:
        # Only the elements the direction moves are rounded when moved.
        moved = 2 * float((grad.abs() * point.detach().abs() * (direction != 0)).sum())
    return ROUNDING_UNITS * UNIT_ROUNDOFF * (outputs + moved) / (2 * EPS)


def check_directional(
    function: Callable[..., torch.Tensor | Sequence[torch.Tensor]],
    inputs: Sequence[torch.Tensor],
    names: Sequence[str],
    generator: torch.Generator,
    what: str = "gradient",
    directions: Sequence[torch.Tensor | None] | None = None,
) -> None:
    """Assert v^T J u (autograd) equals the central difference, for each input in turn.

    `directions`: per input, a mask of the elements u may move (None: all of them).
    """
    inputs = [t.detach().requires_grad_(True) for t in inputs]
    with torch.enable_grad():
        out = _flat(function(*inputs))
        v = torch.randn(out.shape, dtype=out.dtype, generator=generator, device=out.device)
        grads = torch.autograd.grad(out, inputs, v, allow_unused=True)
    for index, (tensor, name) in enumerate(zip(inputs, names, strict=True)):
        if tensor.numel() == 0:
            continue
        u = torch.randn(tensor.shape, dtype=tensor.dtype, generator=generator, device=tensor.device)
        if directions is not None and directions[index] is not None:
            u = u * directions[index]
            if not u.any():
                continue  # no element of this input is judged by differences
        u = u / u.norm()
        grad = grads[index]
        analytical = float((grad * u).sum()) if grad is not None else 0.0

        def along(step: float, i: int = index, d: torch.Tensor = u) -> torch.Tensor:
            moved = [t.detach() + step * d if j == i else t.detach() for j, t in enumerate(inputs)]
            with torch.no_grad():
                return _flat(function(*moved))

        ahead, behind = along(EPS), along(-EPS)
        numerical = float(((ahead - behind) / (2 * EPS) * v).sum())
        allowed = ATOL + RTOL * abs(numerical) + rounding(ahead, behind, v, grad, tensor, u)
        if abs(analytical - numerical) > allowed:
            raise DirectionalMismatchError(
                f"{what} w.r.t. {name}: autograd gives v^T J u = {analytical!r}, central "
                f"differences {numerical!r} (|difference| {abs(analytical - numerical):.3e} > "
                f"{allowed:.3e}: {ATOL:g} + {RTOL:g} * |numerical| + the quotient's rounding)"
            )


def check_second_order(
    function: Callable[..., torch.Tensor],
    inputs: Sequence[torch.Tensor],
    names: Sequence[str],
    generator: torch.Generator,
) -> None:
    """The same check on the VJP map (inputs, grad_output) -> gradients (gradgradcheck)."""
    with torch.no_grad():
        out_shape = function(*inputs).shape
    grad_output = torch.randn(
        out_shape, dtype=inputs[0].dtype, generator=generator, device=inputs[0].device
    )

    def vjp(*args: torch.Tensor) -> list[torch.Tensor]:
        *xs, g = args
        with torch.enable_grad():
            xs = [x if x.requires_grad else x.requires_grad_(True) for x in xs]
            y = function(*xs)
            grads = torch.autograd.grad(y, xs, g, create_graph=True, allow_unused=True)
        # An input the output does not depend on has gradient zero (autograd says None).
        return [torch.zeros_like(x) if d is None else d for d, x in zip(grads, xs, strict=True)]

    check_directional(
        vjp,
        [*inputs, grad_output],
        [*names, "grad_output"],
        generator,
        what="second derivative (the VJP's own gradient)",
    )
