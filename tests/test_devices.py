"""devices: modules move whole, factory kwargs place them, devices agree.

- `.to(device)` returns the module, moves every parameter and buffer, and keeps each
  Parameter object (optimizers hold references to them);
- the constructor's `device=`/`dtype=` factory kwargs build the module in place;
- on an accelerator, forward and gradients agree with the CPU within the tolerance
  table (each within its bound of the same reference, so within twice of each other);
- on CPU the device plumbing is exercised through the meta device: a module built on
  "meta" computes the law's output shape without any data.
"""

import numpy as np
import torch
from hypothesis import given, strategies as st

from spec.arguments import is_index
from spec.values import arrays
from tests.cases import build, build_case, construct, draw_case, draw_configuration
from tests.checks import check_gradients
from tests.known_failures import Check, Where, carve_out
from tests.paths import Need
from tests.tensors import as_received, to_torch, torch_dtype

# .to() and factory kwargs act on the module object; no path changes them.
NEEDS = frozenset({Need.UNCHANGED_MODULE})

# grad_output values reach this magnitude, as in the gradients property.
GRAD_MAGNITUDE = 10.0


def device_type(device: str) -> str:
    return device.partition(":")[0]


def empty_on_meta(values: np.ndarray, dtype: str) -> torch.Tensor:
    """A meta tensor of the shape and kind of `values`: `dtype`, or the indices' own type."""
    kind = torch.from_numpy(np.zeros(0, values.dtype)).dtype if is_index(values) else None
    return torch.empty(np.shape(values), device="meta", dtype=kind or torch_dtype(dtype))


def assert_on(module: torch.nn.Module, device: str, dtype: torch.dtype | None) -> None:
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        assert tensor.device.type == device_type(device), f"{name} on {tensor.device}, not {device}"
        if dtype is not None and tensor.is_floating_point():
            assert tensor.dtype == dtype, f"{name} is {tensor.dtype}, not {dtype}"


@given(data=st.data())
def test_devices(layer, device, dtype, path, nn, data):
    hp, shape, arguments = draw_configuration(data, layer, nn)

    module = construct(nn, layer, hp)
    parameters_before = dict(module.named_parameters())
    moved = module.to(device=device, dtype=torch_dtype(dtype))
    assert moved is module, ".to() must return the module itself"
    assert_on(module, device, torch_dtype(dtype))
    for name, parameter in module.named_parameters():
        assert parameter is parameters_before[name], f".to() replaced the Parameter {name}"

    # torch's convention: a module that creates tensors takes device=/dtype= kwargs.
    if layer.factory_kwargs and (layer.param_shapes(hp) or layer.buffer_shapes(hp)):
        built_there = construct(nn, layer, hp, device=device, dtype=torch_dtype(dtype))
        assert_on(built_there, device, torch_dtype(dtype))

    if device_type(device) == "cpu":
        on_meta = build(nn, layer, hp, "meta", dtype)
        carve_out(Check.META_DEVICE, Where(layer.name, dtype, "meta", hp, on_meta.training))
        # Shapes and kinds alone: x (values, or indices) and the call's further arguments.
        x = np.zeros(shape, dtype=np.int64 if layer.takes_indices else np.float64)
        y = on_meta(*(empty_on_meta(values, dtype) for values in (x, *arguments)))
        assert tuple(y.shape) == layer.out_shape(hp, shape), (
            f"{layer.name}(**{hp}) on meta: {tuple(y.shape)} != law {layer.out_shape(hp, shape)}"
        )
        return

    # An accelerator: the same drawn case on CPU and here, both against the reference.
    case = draw_case(data, layer, dtype, device, nn)
    out_shape = layer.out_shape(case.hp, case.input_shape)
    grad_y = as_received(data.draw(arrays(out_shape, GRAD_MAGNITUDE, "grad_y")), dtype)
    for where in ("cpu", device):
        case.device = where
        # draw_case left out the accelerator's known wrong values; the CPU's are its own.
        carve_out(Check.VALUES, case.where())
        x = to_torch(case.x, dtype, where, requires_grad=True)
        module = build_case(nn, case)
        check_gradients(case, module, x, x.clone(), grad_y, to_torch(grad_y, dtype, where))
