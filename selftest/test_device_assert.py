"""tests/device_assert.py: an invalid index judged in a child process.

CUDA is absent here, so the child runs on the CPU, where the same call raises
IndexError before any kernel: the round trip (pickle, child, printed exception) is what
is tested; rejected() is tested on the line a CUDA child prints."""

import numpy as np
import torch

from spec.arguments import TensorValue
from tests import device_assert


def test_a_child_reports_the_rejection_of_an_index_out_of_range():
    x = torch.from_numpy(np.array([0, 3]))
    hp = {"num_embeddings": 2, "embedding_dim": 1}
    raised = device_assert.call_in_child("torch.nn", "Embedding", hp, "cpu", False, x, [])
    assert raised.split(":")[0].split("|")[0] == "IndexError", raised
    assert device_assert.rejected(IndexError, raised)
    assert not device_assert.rejected(ValueError, raised)


def test_the_child_builds_the_module_in_float32_as_the_property_does():
    # A loss's class weight is drawn in float64; the module must be moved to float32, or
    # the call fails on the dtypes ("expected scalar type Float but found Double") before
    # it reaches the target it is meant to reject.
    hp = {"weight": TensorValue.of([0.5, 2.0]), "label_smoothing": 1.0}
    x = torch.zeros(1, 2)
    target = torch.from_numpy(np.array([2]))
    raised = device_assert.call_in_child(
        "torch.nn", "CrossEntropyLoss", hp, "cpu", False, x, [target]
    )
    assert device_assert.rejected(IndexError, raised), raised


def test_a_device_side_assertion_is_a_rejection_and_silence_is_not():
    cuda = (
        "AcceleratorError|RuntimeError|Exception|BaseException|object: "
        "CUDA error: device-side assert triggered"
    )
    assert device_assert.rejected(IndexError, cuda)
    assert not device_assert.rejected(IndexError, "")
    assert not device_assert.rejected(IndexError, "ChildFailed: device-side assert")
    assert not device_assert.rejected(IndexError, "TypeError|Exception: bad argument")


def test_only_cuda_checks_indices_inside_its_kernels():
    assert device_assert.asserts_on_device("cuda:1")
    assert not device_assert.asserts_on_device("cpu")
    assert not device_assert.asserts_on_device("meta")
    assert device_assert.impl_source(torch.nn) == "torch.nn"
