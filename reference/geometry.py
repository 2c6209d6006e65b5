"""Window geometry shared by the 2-D ops: an int-or-pair argument as (height, width)."""

import numpy as np

IntOrPair = int | tuple[int, int]


def pair(value: IntOrPair) -> tuple[int, int]:
    """An int means the same value for height and width, as in torch."""
    if np.ndim(value) == 0:
        return (int(value), int(value))
    height, width = value
    return (int(height), int(width))
