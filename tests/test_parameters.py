"""parameters: names, shapes and counts of parameters and buffers follow the law."""

import math

from hypothesis import given, strategies as st

from tests.cases import build, draw_configuration
from tests.paths import Need

# Registration is the module object's: no path changes it.
NEEDS = frozenset({Need.UNCHANGED_MODULE})
# It draws configurations, not inputs: the corner pass pairs hyperparameter classes alone.
CORNERS = "hyperparameter classes"


@given(data=st.data())
def test_parameters(layer, device, dtype, path, nn, data):
    hp = draw_configuration(data, layer, nn).hp
    module = build(nn, layer, hp, device, dtype)
    expected = layer.param_shapes(hp)
    actual = {name: tuple(p.shape) for name, p in module.named_parameters()}
    # Order matters too: optimizers and state_dict consumers rely on registration order.
    assert list(actual.items()) == list(expected.items()), (
        f"{layer.name}(**{hp}) parameters {actual}, law {expected}"
    )
    count = sum(p.numel() for p in module.parameters())
    law_count = sum(math.prod(shape) for shape in expected.values())
    assert count == law_count, f"{layer.name}(**{hp}) has {count} parameters, law {law_count}"
    buffers = {name: tuple(b.shape) for name, b in module.named_buffers()}
    assert buffers == layer.buffer_shapes(hp), (
        f"{layer.name}(**{hp}) buffers {buffers}, law {layer.buffer_shapes(hp)}"
    )
    device_type = device.partition(":")[0]
    assert all(p.device.type == device_type for p in module.parameters())
