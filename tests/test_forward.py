"""forward: torch's values equal the reference within the tolerance table."""

from hypothesis import given, strategies as st

from tests.cases import build_case, draw_case
from tests.checks import check_forward
from tests.tensors import to_torch


@given(data=st.data())
def test_forward(layer, device, dtype, nn, data):
    case = draw_case(data, layer, dtype, device, nn)
    check_forward(case, build_case(nn, case), to_torch(case.x, dtype, device))
