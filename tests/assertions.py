"""Every assertion a property makes about values, with one message grammar.

A violation raises report.interface.ConformanceError carrying its diagnosis: the case,
the worst element with torch's and the reference's values, the largest absolute and
relative errors and a copy-paste repro. The report reads the diagnosis off the
exception; a test body never writes report fields.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from hypothesis import currently_in_test_context, target
from hypothesis.errors import InvalidArgument

from report.interface import ConformanceError, Failure, cover
from spec.dtypes import product_format
from spec.tolerances import tolerance_for
from tests import backend_switches
from tests.cases import Case, inputs_for
from tests.repro import repro_snippet
from tests.tensors import torch_dtype

# Under a switch that rounds float32 products' inputs to a narrower format (unit roundoff
# u), each product a * b errs by up to (2u + u^2) |a| |b|, in whatever order the sum runs:
# 3u per unit of the spec's scale (the op on absolute values) holds that, with a third
# rounding to spare for a kernel that rounds its result there too.
NARROWED_PRODUCT_ROUNDINGS = 3


def tolerance_bound(dtype: str, scale_and_k: tuple) -> np.ndarray:
    """The allowed error per element from the spec's (scale, K[, floor scale]); a float32
    one under a backend switch that narrows float32 products (tests/backend_switches.py)
    adds that format's rounding of every product's inputs to float32's own bound."""
    bound = tolerance_for(dtype).bound(*scale_and_k)
    narrower = backend_switches.narrowed_products.get()
    if dtype == "float32" and narrower is not None:
        rounding = NARROWED_PRODUCT_ROUNDINGS * product_format(narrower).unit_roundoff
        bound = bound + rounding * np.abs(np.asarray(scale_and_k[0], dtype=np.float64))
    return bound


# Ratios past this are failures already; Hypothesis' target() wants finite numbers.
TARGET_CAP = 1e6


def _steer(error: np.ndarray, allowed: np.ndarray, what: str) -> None:
    """Steer the search toward the cases that nearly fail: Hypothesis' target() climbs
    the largest error / allowed error of each compared quantity (and, where the allowed
    error is 0, an exact case, the error itself in units of the smallest normal)."""
    if not currently_in_test_context() or error.size == 0:
        return
    # An infinite allowance (a sum that may overflow) gives nothing to climb.
    inexact = (allowed > 0) & np.isfinite(allowed)
    if inexact.any():
        ratio = float(np.max(np.where(inexact, error / np.where(inexact, allowed, 1.0), 0.0)))
        _target(min(ratio, TARGET_CAP), f"{what}: error / allowed")
    exact = allowed == 0
    if exact.any():
        _target(min(float(np.max(np.where(exact, error, 0.0))), TARGET_CAP), f"{what}: error")


def _target(value: float, label: str) -> None:
    # A second comparison of the same quantity in one example: the first one steers.
    with contextlib.suppress(InvalidArgument):
        target(value, label=label)


def assert_matches_reference(
    actual: np.ndarray,
    expected: np.ndarray,
    bound: np.ndarray,
    *,
    what: str,
    case: Case,
    grad_y: np.ndarray | None = None,
) -> None:
    """Every element of `actual` is within `bound` of `expected`; else a full diagnosis."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise ConformanceError(
            Failure(
                f"{case.spec.name} {what}: shape {actual.shape} != reference {expected.shape}",
                example=case.describe(),
            )
        )
    with np.errstate(invalid="ignore"):  # inf - inf: judged as non-finite below
        error = np.abs(actual - expected)
    # NaN where the reference is finite is always a violation; matching non-finite
    # values (inf from a correct overflow) are equal, and so is NaN where the reference
    # is NaN: the mathematics has no value there (a mean over no weight is 0/0), and NaN
    # is what says so; a number there would be a violation.
    same_nonfinite = ~np.isfinite(expected) & (
        (actual == expected) | (np.isnan(actual) & np.isnan(expected))
    )
    allowed = np.broadcast_to(bound, error.shape)
    # A reference within the bound of the dtype's largest value may overflow: the dtype's
    # inf of the same sign is then a right answer (float16 sums pass 65504 easily).
    largest = torch.finfo(torch_dtype(case.dtype)).max
    overflows = (np.abs(expected) + allowed > largest) & (actual == np.copysign(np.inf, expected))
    same_nonfinite = same_nonfinite | overflows
    error = np.where(same_nonfinite, 0.0, np.where(np.isnan(error), np.inf, error))
    violation = error > allowed
    _steer(error, allowed, what)
    if not violation.any():
        return
    index = np.unravel_index(
        int(np.argmax(np.where(violation, error / np.maximum(allowed, 1e-300), -1))),
        error.shape,
    )
    relative = error / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    failure = Failure(
        message=f"{case.spec.name} {what} differs from the reference",
        example=case.describe(),
        max_abs_error=float(error.max()),
        max_rel_error=float(relative.max()),
        index=[int(i) for i in index],
        repro=repro_snippet(case, what, index, float(expected[index]), grad_y),
    )
    text = (
        f"{failure.message}: {case.describe()}\n"
        f"  worst element {tuple(failure.index)}: torch {actual[index]!r}, "
        f"reference {expected[index]!r}, "
        f"|error| {error[index]:.3e} > allowed {allowed[index]:.3e}\n"
        f"  max |error| {failure.max_abs_error:.3e}, "
        f"max relative error {failure.max_rel_error:.3e}, "
        f"{int(violation.sum())} of {violation.size} elements outside tolerance"
    )
    error_to_raise = ConformanceError(failure, text)
    error_to_raise.add_note("repro (torch and numpy only):\n" + failure.repro)
    raise error_to_raise


def assert_bitwise(actual: np.ndarray, expected: np.ndarray, what: str, case: Case) -> None:
    """`actual` equals `expected` exactly, NaN where NaN (a law without rounding)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
    if same.all():
        return
    raise ConformanceError(
        Failure(
            f"{case.spec.name} {what} is not bitwise equal",
            example=case.describe(),
            max_abs_error=float(np.nanmax(np.abs(actual - expected))),
        ),
        f"{what} differs for {case.describe()}: {int((~same).sum())} of {same.size} elements,"
        f" e.g. {actual[~same][:3]} vs {expected[~same][:3]}",
    )


def assert_same_computation(
    actual: np.ndarray,
    expected: np.ndarray,
    what: str,
    case: Case,
    module: torch.nn.Module,
    *,
    one_graph: bool = True,
) -> None:
    """Two calls that compute the same agree bit for bit, unless torch documents the layer
    as nondeterministic on this device (its sums may run in another order each call), or
    the calls ran two graphs compiled apart (`one_graph=False`: a graph per grad mode or
    train/eval mode, whose kernels may order a sum differently): then each lies within the
    reference's bound of the law, so within twice it of the other. `module` is the one
    both calls used, before them (its buffers feed the bound)."""
    nondeterministic = case.device.partition(":")[0] in case.spec.nondeterministic_on
    if one_graph and not nondeterministic:
        assert_bitwise(actual, expected, what, case)
        return
    if nondeterministic:
        cover(f"nondeterministic on {case.device}=within twice the reference bound")
    else:
        cover("a graph per mode=within twice the reference bound")
    bound = 2 * tolerance_bound(case.dtype, case.spec.forward_error(inputs_for(case, module)))
    assert_matches_reference(actual, expected, bound, what=what, case=case)


def violated(message: str, case: Case | None = None) -> ConformanceError:
    """A violation of a law that is not a value comparison (a count, a name, a flag)."""
    return ConformanceError(Failure(message, example=case.describe() if case else ""))
