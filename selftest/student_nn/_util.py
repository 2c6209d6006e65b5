"""Small helpers shared by the 2-D layers: argument pairs and padding by index arithmetic."""

from __future__ import annotations

import torch


def pair(value: int | tuple[int, int] | list[int], name: str = "argument") -> tuple[int, int]:
    """An int or an (h, w) pair as a pair of ints."""
    if isinstance(value, int):
        return (value, value)
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        return (values[0], values[0])
    if len(values) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return values  # type: ignore[return-value]


def _source_index(size: int, before: int, after: int, mode: str) -> torch.Tensor:
    """For each position of the padded axis, the index it copies from the original axis.

    Positions run from -before to size + after - 1 in the original axis' coordinates;
    negative padding crops (the range simply starts or ends inside the axis).
    """
    positions = torch.arange(-before, size + after)
    if mode == "replicate":
        return positions.clamp(0, size - 1)
    if mode == "circular":
        return positions.remainder(size)
    # reflect: mirror about the first and last elements, which are not repeated.
    if size == 1:
        return torch.zeros_like(positions)
    period = 2 * (size - 1)
    folded = positions.remainder(period)
    return torch.where(folded < size, folded, period - folded)


def pad_axis(x: torch.Tensor, dim: int, before: int, after: int, mode: str) -> torch.Tensor:
    """x padded along `dim` by `before`/`after` elements in one of torch's four modes."""
    size = x.shape[dim]
    if mode == "zeros":
        if before < 0 or after < 0:
            raise RuntimeError("negative padding is not supported")
        if before == 0 and after == 0:
            return x
        parts = []
        shape = list(x.shape)
        if before:
            shape[dim] = before
            parts.append(x.new_zeros(shape))
        parts.append(x)
        if after:
            shape[dim] = after
            parts.append(x.new_zeros(shape))
        return torch.cat(parts, dim=dim)
    if mode == "reflect" and (before >= size or after >= size):
        raise RuntimeError(
            f"Padding size should be less than the corresponding input dimension, but got: "
            f"padding ({before}, {after}) at dimension {dim} of input {tuple(x.shape)}"
        )
    if mode == "circular" and (before > size or after > size):
        raise RuntimeError("Padding value causes wrapping around more than once.")
    if size + before + after < 0:
        raise RuntimeError(f"padding ({before}, {after}) crops more than the input along {dim}")
    if before == 0 and after == 0:
        return x
    index = _source_index(size, before, after, mode).to(x.device)
    return x.index_select(dim, index)


def pad2d(
    x: torch.Tensor, top: int, bottom: int, left: int, right: int, mode: str = "zeros"
) -> torch.Tensor:
    """Pad the last two dims of x (height by top/bottom, width by left/right)."""
    x = pad_axis(x, x.dim() - 2, top, bottom, mode)
    return pad_axis(x, x.dim() - 1, left, right, mode)
