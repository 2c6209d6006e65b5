"""A failure's repro snippet runs as-is, needing only torch and the impl, and shows the bug."""

import contextlib
import io

import numpy as np
import pytest

from report.interface import ConformanceError
from selftest.zoo import load
from spec.arguments import TensorValue
from spec.inputs import Inputs
from spec.registry import layer_named
from tests.assertions import assert_matches_reference
from tests.cases import Case, argument_tensors, build_case
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


def _run_snippet(snippet: str) -> tuple[float, float]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "<repro>", "exec"), {})
    torch_value, reference_value = printed.getvalue().split("reference:")
    return float(torch_value), float(reference_value)


def test_snippet_passes_a_loss_its_target_and_its_weight():
    # A class weight is a constructor tensor (spec.arguments.TensorValue), the target a
    # further call argument: the snippet builds the one and feeds the other.
    mutant = load("nll_loss_mean_over_count")
    case = Case(
        spec=layer_named("NLLLoss"),
        hp={"weight": TensorValue.of([1.0, 3.0]), "reduction": "mean"},
        input_shape=(3, 2),
        training=False,
        x=np.array([[-1.0, -2.0], [-0.5, -4.0], [-3.0, -0.25]]),
        params={},
        buffers=None,
        dtype="float64",
        device="cpu",
        impl=mutant.__name__,
    )
    case.arguments = (np.array([0, 1, 0]),)
    broken = build_case(mutant, case)
    actual = to_numpy(broken(to_torch(case.x, "float64", "cpu"), *argument_tensors(case)))
    inputs = Inputs(case.x, case.hp, buffers={"weight": np.array([1.0, 3.0])})
    expected, _ = case.spec.forward(inputs.replace(arguments=case.arguments))
    with pytest.raises(ConformanceError) as failure:
        assert_matches_reference(actual, expected, np.zeros(()), what="output", case=case)
    torch_value, reference_value = _run_snippet(failure.value.failure.repro)
    # Losses 1 * 1, 3 * 4 and 1 * 3 over the total weight 5: 3.2; the mutant divides their
    # sum 16 by the 3 targets.
    assert torch_value == pytest.approx(float(actual)) == pytest.approx(16 / 3)
    assert reference_value == pytest.approx(float(expected)) == pytest.approx(3.2)


def test_snippet_feeds_an_index_input():
    mutant = load("embedding_padding_row_gets_gradient")
    case = Case(
        spec=layer_named("Embedding"),
        hp={"num_embeddings": 3, "embedding_dim": 2, "padding_idx": -1},
        input_shape=(4,),
        training=False,
        x=np.array([2, 0, 2, 1]),
        params={"weight": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])},
        buffers=None,
        dtype="float32",
        device="cpu",
        impl=mutant.__name__,
    )
    grad_y = np.ones((4, 2))
    module = build_case(mutant, case)
    module(to_torch(case.x, "float32", "cpu")).backward(to_torch(grad_y, "float32", "cpu"))
    actual = to_numpy(module.weight.grad)
    expected = case.spec.vjp(Inputs(case.x, case.hp, case.params, grad_y=grad_y))["weight"]
    with pytest.raises(ConformanceError) as failure:
        assert_matches_reference(
            actual, expected, np.zeros(()), what="weight", case=case, grad_y=grad_y
        )
    torch_value, reference_value = _run_snippet(failure.value.failure.repro)
    # Row 2 is the padding row: picked twice, its gradient must stay 0; the mutant's is 2.
    assert (torch_value, reference_value) == (2.0, 0.0)
