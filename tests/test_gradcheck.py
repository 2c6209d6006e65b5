"""gradcheck: autograd's derivatives agree with finite differences in float64.

torch.autograd.gradcheck's fast-mode algorithm (tests/directional.py): a random
projection v^T J u of the Jacobian against central differences, per input, so a wrong
gradient is caught with probability one at a few forward calls whatever the shape; and
the same on the VJP map where the layer is twice differentiable (gradgradcheck).
"""

import numpy as np
import torch
from hypothesis import assume, given, strategies as st
from torch.func import functional_call

from spec.values import normal_arrays
from tests.cases import build, draw_configuration, draw_input
from tests.directional import check_directional, check_second_order
from tests.known_failures import Check, Where, carve_out
from tests.paths import Need
from tests.tensors import seed_torch

# functional_call swaps the parameters; gradgradcheck differentiates twice.
NEEDS = frozenset({Need.AUTOGRAD, Need.FUNCTIONAL_CALL, Need.SECOND_ORDER})

# Finite differences step over a kink (relu at 0) would see a jump; inputs keep
# at least this far from every kink the spec declares.
KINK_CLEARANCE = 1e-2
# A fixed seed for stochastic layers, so every call sees the same mask.
MASK_SEED = 0
SEEDS = st.integers(0, 2**32 - 1)


def away_from_kinks(x: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    for kink in kinks:
        near = np.abs(x - kink) < KINK_CLEARANCE
        x = np.where(near, kink + np.copysign(KINK_CLEARANCE, x - kink), x)
    return x


@given(data=st.data())
def test_gradcheck(layer, device, path, nn, data):
    hp, shape, arguments = draw_configuration(data, layer, nn)
    module = build(nn, layer, hp, device, "float64")
    module.train(data.draw(st.booleans(), label="training"))
    if layer.buffer_values is not None:
        with torch.no_grad():
            for name, value in data.draw(layer.buffer_values(hp), label="buffers").items():
                module.get_buffer(name).copy_(torch.from_numpy(value))
    if layer.takes_indices:
        x = draw_input(data, layer, hp, shape, layer.max_magnitude)
    else:
        x = away_from_kinks(data.draw(normal_arrays(shape), label="x"), layer.kinks)
        # Central differences cannot judge an ill-conditioned point (spec/finite_differences.py).
        assume(layer.differences_resolve(x, hp, module.training))
    # A recorded crash in a backward: running it would end the process.
    carve_out(Check.SURVIVES, Where(layer.name, "float64", device, hp, x=x))
    # A recorded wrong gradient (or a call that fails where it should not) in float64.
    carve_out(Check.GRADIENTS, Where(layer.name, "float64", device, hp, x=x))
    drawn = {
        n: data.draw(normal_arrays(tuple(p.shape)), label=n) for n, p in module.named_parameters()
    }
    params = layer.differentiable_params(hp, drawn)
    names = list(params)
    # What is differentiated: x and the call's further arguments where they are values
    # (indices have no derivative: they stay as drawn), then the parameters.
    tensors = [torch.tensor(a, device=device) for a in (x, *arguments)]
    differentiable = [i for i, t in enumerate(tensors) if t.is_floating_point()]
    call_names = ["input", *layer.argument_names]
    inputs = [tensors[i] for i in differentiable]
    inputs += [torch.tensor(value, device=device) for value in params.values()]
    # Buffers (running statistics) must not drift between the calls the check makes.
    buffers = {name: b.clone() for name, b in module.named_buffers()}

    def call(*values):
        for name, value in buffers.items():
            module.get_buffer(name).copy_(value)
        call_tensors = list(tensors)
        for i, value in zip(differentiable, values, strict=False):
            call_tensors[i] = value
        substituted = dict(zip(names, values[len(differentiable) :], strict=True))
        with torch.random.fork_rng(devices=[device] if device.startswith("cuda") else []):
            seed_torch(MASK_SEED, device)
            # A clone: an in-place layer must not overwrite the check's input.
            first = call_tensors[0].clone()
            return functional_call(module, substituted, (first, *call_tensors[1:]))

    labels = [call_names[i] for i in differentiable] + names
    # Elements whose gradient is by design not the derivative are left to the gradients
    # property (Embedding's padding row).
    masks = layer.derivative_directions(hp, x)
    directions = [None] * len(differentiable) + [
        None if n not in masks else torch.tensor(masks[n], device=device) for n in names
    ]
    generator = torch.Generator(device=device).manual_seed(data.draw(SEEDS, label="directions"))
    check_directional(call, inputs, labels, generator, directions=directions)
    if layer.twice_differentiable:
        # A recorded wrong second derivative (the first-order checks above still ran).
        carve_out(Check.SECOND_ORDER, Where(layer.name, "float64", device, hp, x=x))
        check_second_order(call, inputs, labels, generator)
