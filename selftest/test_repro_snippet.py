"""A failure's repro snippet runs as-is, needing only torch and the impl, and shows the bug."""

import contextlib
import io

import numpy as np
import pytest

from selftest.zoo import load
from spec.registry import layer_named
from tests.harness import Case, assert_matches_reference, build_case, to_numpy, to_torch


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
    )


def test_snippet_reproduces_a_forward_failure():
    case = linear_case()
    broken = build_case(load("linear_drops_bias"), case)
    actual = to_numpy(broken(to_torch(case.x, "float32", "cpu")))
    expected, _ = case.spec.forward(case.x, case.params, {}, case.hp, False, None)
    record: dict = {}
    with pytest.raises(AssertionError) as failure:
        assert_matches_reference(
            actual, expected, np.full(expected.shape, 1e-6), what="output", case=case, record=record
        )
    snippet = record["failure"]["repro"]
    assert snippet in "\n".join(failure.value.__notes__)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "<repro>", "exec"), {})
    torch_value, reference_value = printed.getvalue().split("reference:")
    index = tuple(record["failure"]["index"])
    # The snippet rebuilds the broken implementation and prints its wrong value.
    assert float(torch_value) == pytest.approx(actual[index], rel=1e-6)
    assert float(reference_value) == pytest.approx(expected[index])
    assert abs(float(torch_value) - float(reference_value)) > 0.5
