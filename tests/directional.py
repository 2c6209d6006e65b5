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
# / EPS stay near 1e-10, far below the tolerances, as in torch's gradcheck defaults.
EPS = 1e-6
ATOL = 1e-5
RTOL = 1e-3


class DirectionalMismatchError(AssertionError):
    """autograd and finite differences disagree along a direction."""


def _flat(outputs: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    if isinstance(outputs, torch.Tensor):
        return outputs.reshape(-1)
    return torch.cat([o.reshape(-1) for o in outputs])


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

        numerical = float(((along(EPS) - along(-EPS)) / (2 * EPS) * v).sum())
        if abs(analytical - numerical) > ATOL + RTOL * abs(numerical):
            raise DirectionalMismatchError(
                f"{what} w.r.t. {name}: autograd gives v^T J u = {analytical!r}, central "
                f"differences {numerical!r} (|difference| {abs(analytical - numerical):.3e} > "
                f"{ATOL:g} + {RTOL:g} * |numerical|)"
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
