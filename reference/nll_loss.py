"""Negative log likelihood as torch.nn.NLLLoss computes it, over class-index targets.

The input holds a score per class (log-probabilities, by convention) along the class
axis: axis 0 of a (C,) input, axis 1 of (N, C) and (N, C, d1, ...). The target holds a
class index per position (the input's shape without the class axis). A position whose
target equals ignore_index contributes nothing, whatever its value (it need not be a
class). With w[c] the class weight (1 without one):

    loss_p = -w[t_p] * x[p, t_p]      (0 where t_p == ignore_index)
    'mean' divides the sum by sum_p w[t_p] over the positions not ignored (0/0: NaN)

    d loss / d x[p, c] = -w[t_p] * G_p  where c == t_p, 0 elsewhere and where ignored
"""

from __future__ import annotations

import numpy as np

from reference.reduction import per_position_gradient, reduce

# torch's default ignore_index: a value no class has.
DEFAULT_IGNORE_INDEX = -100


def class_axis(ndim: int) -> int:
    """The class axis of an input of `ndim` dims: 0 for (C,), 1 for (N, C, ...)."""
    return 0 if ndim == 1 else 1


def classes_last(x: np.ndarray) -> np.ndarray:
    """x with its class axis moved last: (positions..., C)."""
    return np.moveaxis(np.asarray(x, dtype=np.float64), class_axis(np.ndim(x)), -1)


def classes_back(values: np.ndarray, ndim: int) -> np.ndarray:
    """Undo classes_last."""
    return np.moveaxis(values, -1, class_axis(ndim))


class Targets:
    """Class-index targets: which positions count, their classes and their weights."""

    def __init__(
        self, target: np.ndarray, classes: int, weight: np.ndarray | None, ignore_index: int
    ) -> None:
        target = np.asarray(target, dtype=np.int64)
        self.ignored = target == ignore_index
        # Ignored positions read class 0 (any class would do): their weight is zeroed.
        self.index = np.where(self.ignored, 0, target)
        if ((self.index < 0) | (self.index >= classes)).any():
            raise IndexError(f"a target is out of bounds for {classes} classes")
        class_weight = np.ones(classes) if weight is None else np.asarray(weight, np.float64)
        self.class_weight = class_weight
        self.weight = np.where(self.ignored, 0.0, class_weight[self.index])
        # The mean's divisor: the total weight of the targets not ignored.
        self.total = float(self.weight.sum())

    def pick(self, values_last: np.ndarray) -> np.ndarray:
        """values[p, t_p] for every position p (classes last)."""
        return np.take_along_axis(values_last, self.index[..., None], axis=-1)[..., 0]

    def scatter(self, per_position: np.ndarray, classes: int) -> np.ndarray:
        """An array (positions..., C) holding per_position[p] at class t_p, 0 elsewhere."""
        out = np.zeros((*self.index.shape, classes))
        np.put_along_axis(out, self.index[..., None], per_position[..., None], axis=-1)
        return out


def nll_loss_forward(
    x: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
) -> np.ndarray:
    """reduce(-w[t_p] * x[p, t_p]), the mean over the targets' total weight."""
    x_last = classes_last(x)
    targets = Targets(target, x_last.shape[-1], weight, ignore_index)
    losses = np.where(targets.ignored, 0.0, -targets.weight * targets.pick(x_last))
    return reduce(losses, reduction, targets.total)


def nll_loss_vjp(
    x: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None,
    ignore_index: int,
    reduction: str,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """The input's gradient: -w[t_p] * G_p at (p, t_p); the target, indices, has none."""
    x_last = classes_last(x)
    targets = Targets(target, x_last.shape[-1], weight, ignore_index)
    g = per_position_gradient(grad_y, targets.index.shape, reduction, targets.total)
    # Ignored positions get exactly 0, even where the mean's G is NaN (0 / 0).
    coefficient = np.where(targets.ignored, 0.0, -targets.weight * g)
    return {"input": classes_back(targets.scatter(coefficient, x_last.shape[-1]), np.ndim(x))}
