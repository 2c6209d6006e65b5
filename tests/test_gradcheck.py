"""Property 4b, gradcheck: autograd's derivatives agree with finite differences in float64.

torch.autograd.gradcheck (and gradgradcheck where the layer is twice differentiable)
in fast mode: it compares a random projection v^T J u of the Jacobian, so a wrong
gradient is caught with probability one while the cost stays a few forward passes
whatever the shape.
"""

import numpy as np
import torch
from hypothesis import given, strategies as st
from torch.func import functional_call

from spec.values import normal_arrays
from tests.harness import build, draw_hyperparams

# Finite differences step over a kink (relu at 0) would see a jump; inputs keep
# at least this far from every kink the spec declares.
KINK_CLEARANCE = 1e-2
# A fixed seed for stochastic layers, so every call gradcheck makes sees the same mask.
MASK_SEED = 0


def away_from_kinks(x: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    for kink in kinks:
        near = np.abs(x - kink) < KINK_CLEARANCE
        x = np.where(near, kink + np.copysign(KINK_CLEARANCE, x - kink), x)
    return x


@given(data=st.data())
def test_gradcheck(layer, device, nn, conformance_record, data):
    conformance_record["examples"] += 1
    hp, shape = draw_hyperparams(data, layer)
    module = build(nn, layer, hp, device, "float64")
    module.train(data.draw(st.booleans(), label="training"))
    if layer.buffer_values is not None:
        with torch.no_grad():
            for name, value in data.draw(layer.buffer_values(hp), label="buffers").items():
                module.get_buffer(name).copy_(torch.from_numpy(value))
    x = away_from_kinks(data.draw(normal_arrays(shape), label="x"), layer.kinks)
    names = [name for name, _ in module.named_parameters()]
    inputs = [torch.tensor(x, device=device, requires_grad=True)] + [
        torch.tensor(
            data.draw(normal_arrays(tuple(p.shape)), label=n), device=device, requires_grad=True
        )
        for n, p in module.named_parameters()
    ]

    def call(x, *params):
        with torch.random.fork_rng(devices=[device] if device.startswith("cuda") else []):
            torch.manual_seed(MASK_SEED)
            # A clone: an in-place layer must not overwrite gradcheck's input.
            return functional_call(module, dict(zip(names, params, strict=True)), (x.clone(),))

    assert torch.autograd.gradcheck(call, tuple(inputs), fast_mode=True)
    if layer.twice_differentiable:
        assert torch.autograd.gradgradcheck(call, tuple(inputs), fast_mode=True)
