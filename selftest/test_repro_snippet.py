"""A failure's repro snippet runs as-is, needing only torch and the impl, and shows the bug."""

import contextlib
import io

import numpy as np
import pytest

from report.interface import ConformanceError
from selftest.zoo import load
from spec.inputs import Inputs
from spec.registry import layer_named
from tests.assertions import assert_matches_reference
from tests.cases import Case, build_case
from tests.tensors import to_numpy, to_torch


def linear_case() -> Case:
    rng = np.random.default_rng(0)
    return Case(
        spec=layer_named("Linear"),
        hp={"in_features": 3, "out_features": 2, "bias": True},
        input_shape=(4, 3),
        training=False,
        x=rng.standard_normal((4, 3)).astype(np.float32).astype(np.float64),
        params={
            "weight": rng.standard_normal((2, 3)).astype(np.float32).astype(np.float64),
            "bias": np.array([1.0, -2.0]),
        },
        buffers=None,
        dtype="float32",
        device="cpu",
        impl="torch.nn",
    )


def test_snippet_reproduces_a_forward_failure():
    case = linear_case()
    mutant = load("linear_drops_bias")
    case.impl = mutant.__name__
    broken = build_case(mutant, case)
    actual = to_numpy(broken(to_torch(case.x, "float32", "cpu")))
    expected, _ = case.spec.forward(Inputs(case.x, case.hp, case.params))
    with pytest.raises(ConformanceError) as failure:
        assert_matches_reference(
            actual, expected, np.full(expected.shape, 1e-6), what="output", case=case
        )
    snippet = failure.value.failure.repro
    assert snippet in "\n".join(failure.value.__notes__)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "<repro>", "exec"), {})
    torch_value, reference_value = printed.getvalue().split("reference:")
    index = tuple(failure.value.failure.index)
    # The snippet rebuilds the broken implementation and prints its wrong value.
    assert float(torch_value) == pytest.approx(actual[index], rel=1e-6)
    assert float(reference_value) == pytest.approx(expected[index])
    assert abs(float(torch_value) - float(reference_value)) > 0.5
