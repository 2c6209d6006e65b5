"""forward: torch's values equal the reference within the tolerance table."""

from hypothesis import given, strategies as st

from tests.cases import build_case, draw_case, judged_cases, load_values
from tests.checks import check_forward
from tests.tensors import to_torch

# A forward call is all it needs (in place is checked where a path provides it).
NEEDS: frozenset = frozenset()

# Pairs the layer's value classes (exp at the bottom of the range) with every other class.
CORNERS = "classes and values"


@given(data=st.data())
def test_forward(layer, device, dtype, path, nn, data):
    case = draw_case(data, layer, dtype, device, nn)
    module = build_case(nn, case)
    # One build, several drawn values where building is the cost (compile, export).
    for judged, _ in judged_cases(data, case):
        check_forward(judged, load_values(module, judged), to_torch(judged.x, dtype, device))
