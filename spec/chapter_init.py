"""The chapter's initialize_weights as a law: what model.apply must leave in each layer.

The chapter initialises Linear weights Xavier-uniform and Conv2d weights Kaiming-normal
(fan_out, relu), and zeroes every bias. The init property applies the chapter's function
(tests/models.py) to drawn trees of such layers and checks every one reached.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from reference.init_laws import (
    InitLaw,
    constant_law,
    kaiming_normal_std,
    normal_law,
    uniform_law,
    xavier_uniform_bound,
)


def _xavier_uniform(shape: tuple[int, ...]) -> InitLaw:
    bound = xavier_uniform_bound(shape)
    return uniform_law(-bound, bound)


def _kaiming_normal_fan_out_relu(shape: tuple[int, ...]) -> InitLaw:
    return normal_law(0.0, kaiming_normal_std(shape, mode="fan_out", nonlinearity="relu"))


# The weight law of each class the chapter's function initialises, by torch.nn name.
WEIGHT_LAWS: dict[str, Callable[[tuple[int, ...]], InitLaw]] = {
    "Linear": _xavier_uniform,
    "Conv2d": _kaiming_normal_fan_out_relu,
}
BIAS_LAW = constant_law(0.0)

# Leaf sizes: weights keep >= 4 (Linear) and 4*2*3*3 = 72 (Conv2d) elements, so at most
# ~90 applications reach the sample sizes (283 for a uniform law, 6372 for a normal one);
# fans of 1 are the kaiming/xavier tests' job.
LINEAR_IN = st.integers(1, 16)
LINEAR_OUT = st.integers(4, 16)
CONV_IN = st.integers(2, 4)
CONV_OUT = st.integers(4, 8)
CONV_KERNEL = st.integers(3, 4)


def leaves() -> st.SearchStrategy[tuple]:
    """(torch.nn class name, positional constructor arguments) of a layer to initialise."""
    return st.one_of(
        st.tuples(st.just("Linear"), st.tuples(LINEAR_IN, LINEAR_OUT)),
        st.tuples(st.just("Conv2d"), st.tuples(CONV_IN, CONV_OUT, CONV_KERNEL)),
    )
