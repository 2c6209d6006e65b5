"""Window geometry shared by the 1-D and 2-D ops: an int-or-pair argument as (height, width).

A 1-D op is its 2-D counterpart on an input one row high: the window is one row high and
slides along the width alone (kernel, stride and dilation 1 and padding 0 along the height).
"""

import numpy as np

IntOrPair = int | tuple[int, int]
IntOrSingle = int | tuple[int]


def pair(value: IntOrPair) -> tuple[int, int]:
    """An int means the same value for height and width, as in torch."""
    if np.ndim(value) == 0:
        return (int(value), int(value))
    height, width = value
    return (int(height), int(width))


def single(value: IntOrSingle) -> int:
    """An int or a one-element tuple, as torch's 1-D layers accept either."""
    if np.ndim(value) == 0:
        return int(value)
    (only,) = value
    return int(only)


def along_width(value: IntOrSingle, height: int) -> tuple[int, int]:
    """A 1-D window argument as the 2-D one of a unit-height input: (height, value).

    `height` is what the row-high window takes along the height: 1 for a kernel size,
    stride or dilation, 0 for padding.
    """
    return (height, single(value))


def unit_height(x: np.ndarray) -> np.ndarray:
    """(..., L) as (..., 1, L): a 1-D signal as an image one row high."""
    return np.asarray(x, dtype=np.float64)[..., None, :]


def drop_unit_height(y: np.ndarray) -> np.ndarray:
    """(..., 1, L) back to (..., L)."""
    return y[..., 0, :]


def reads_only_padding(
    size: int, before: int, after: int, kernel: int, dilation: int, stride: int
) -> bool:
    """Whether every output position along one axis reads only padding: no tap of any
    output lands on the `size` input elements, padded by `before` and `after`."""
    count = (size + before + after - dilation * (kernel - 1) - 1) // stride + 1
    taps = (j * stride + t * dilation for j in range(count) for t in range(kernel))
    return all(not before <= tap < before + size for tap in taps)


def padding_only_taps(
    size: int, before: int, after: int, kernel: int, dilation: int, stride: int
) -> tuple[int, ...]:
    """The taps (kernel indices along one axis) that read only padding at every output
    position: their weight gradient is exactly 0."""
    count = (size + before + after - dilation * (kernel - 1) - 1) // stride + 1
    return tuple(
        t
        for t in range(kernel)
        if all(not before <= j * stride + t * dilation < before + size for j in range(count))
    )
