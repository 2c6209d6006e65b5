"""reference.sgd against a naive scalar loop, hand values and closed forms; no torch here."""

import numpy as np
from hypothesis import given, strategies as st

from reference.sgd import sgd_step
from selftest.naive_optimizers import sgd_naive

VALUES = st.floats(-10, 10, allow_nan=False)
HYPERPARAMS = st.fixed_dictionaries(
    {
        "lr": st.floats(0, 2),
        "momentum": st.sampled_from([0.0, 0.5]) | st.floats(0, 1.5),
        "dampening": st.floats(-1, 2),
        "weight_decay": st.floats(0, 1),
        "maximize": st.booleans(),
    }
)


def run(theta: np.ndarray, grads: list[np.ndarray], hp: dict) -> list[tuple]:
    """The reference stepped through a run, its state threaded by hand."""
    state: dict = {}
    out = []
    for grad in grads:
        theta, state = sgd_step(theta, grad, state, **hp)
        out.append((theta, state.get("momentum_buffer")))
    return out


@given(
    theta=st.lists(VALUES, min_size=1, max_size=4),
    steps=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    hp=HYPERPARAMS,
    nesterov=st.booleans(),
)
def test_sgd_matches_the_naive_loop(theta, steps, seed, hp, nesterov):
    hp = dict(hp, nesterov=nesterov and hp["momentum"] > 0)
    if hp["nesterov"]:
        hp["dampening"] = 0.0
    rng = np.random.default_rng(seed)
    grads = [rng.uniform(-5, 5, len(theta)) for _ in range(steps)]
    ours = run(np.array(theta), grads, hp)
    for i, start in enumerate(theta):
        naive = sgd_naive(start, [g[i] for g in grads], **hp)
        for (theta_t, buffer_t), (naive_theta, naive_buffer) in zip(ours, naive, strict=True):
            np.testing.assert_allclose(theta_t[i], naive_theta, rtol=1e-12, atol=1e-12)
            if hp["momentum"] != 0:
                np.testing.assert_allclose(buffer_t[i], naive_buffer, rtol=1e-12, atol=1e-12)
            else:
                assert buffer_t is None


def test_plain_sgd_by_hand():
    theta, state = sgd_step(np.array([1.0, -2.0]), np.array([0.5, 4.0]), {}, lr=0.25)
    np.testing.assert_array_equal(theta, [1.0 - 0.125, -3.0])
    assert state == {}


def test_momentum_first_buffer_is_the_gradient_then_dampened_by_hand():
    hp = {"lr": 0.5, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.25}
    # Step 1: g = 2 + 0.25 * 4 = 3; b = g (no dampening at the first step); theta = 4 - 1.5.
    theta, state = sgd_step(np.array([4.0]), np.array([2.0]), {}, **hp)
    np.testing.assert_array_equal(theta, [2.5])
    np.testing.assert_array_equal(state["momentum_buffer"], [3.0])
    # Step 2: g = 1 + 0.25 * 2.5 = 1.625; b = 0.5 * 3 + 0.5 * 1.625 = 2.3125; theta = 2.5 - 1.15625.
    theta, state = sgd_step(theta, np.array([1.0]), state, **hp)
    np.testing.assert_array_equal(state["momentum_buffer"], [2.3125])
    np.testing.assert_array_equal(theta, [1.34375])


def test_nesterov_looks_ahead_through_the_new_buffer_by_hand():
    hp = {"lr": 1.0, "momentum": 0.5, "nesterov": True}
    theta, state = sgd_step(np.array([0.0]), np.array([2.0]), {}, **hp)
    # b = 2; g = 2 + 0.5 * 2 = 3.
    np.testing.assert_array_equal(theta, [-3.0])
    theta, state = sgd_step(theta, np.array([2.0]), state, **hp)
    # b = 0.5 * 2 + 2 = 3; g = 2 + 0.5 * 3 = 3.5.
    np.testing.assert_array_equal(state["momentum_buffer"], [3.0])
    np.testing.assert_array_equal(theta, [-6.5])


def test_constant_gradient_with_momentum_reaches_the_geometric_sum():
    # Closed form: with dampening 0 and a constant g, b_t = g (1 - mu^t) / (1 - mu).
    mu, g, steps = 0.75, 2.0, 30
    state: dict = {}
    theta = np.zeros(1)
    for _ in range(steps):
        theta, state = sgd_step(theta, np.array([g]), state, lr=0.0, momentum=mu)
    np.testing.assert_allclose(state["momentum_buffer"], [g * (1 - mu**steps) / (1 - mu)])
    np.testing.assert_array_equal(theta, [0.0])  # lr 0: nothing moves


def test_maximize_is_descent_on_the_negated_gradient():
    grad = np.array([1.5, -0.25])
    up = sgd_step(np.ones(2), grad, {}, lr=0.1, momentum=0.5, maximize=True)
    down = sgd_step(np.ones(2), -grad, {}, lr=0.1, momentum=0.5)
    np.testing.assert_array_equal(up[0], down[0])
    np.testing.assert_array_equal(up[1]["momentum_buffer"], down[1]["momentum_buffer"])


def test_nonfinite_gradients_follow_ieee_arithmetic():
    theta, _ = sgd_step(np.zeros(3), np.array([np.nan, np.inf, -np.inf]), {}, lr=0.5, momentum=0.5)
    np.testing.assert_array_equal(theta, [np.nan, -np.inf, np.inf])
    theta, _ = sgd_step(np.ones(1), np.array([np.inf]), {}, lr=0.0)
    assert np.isnan(theta[0])  # 0 * inf: no step is defined


def test_the_inputs_are_left_untouched():
    theta, grad = np.array([1.0, 2.0]), np.array([0.5, 0.5])
    state = {"momentum_buffer": np.array([1.0, 1.0])}
    sgd_step(theta, grad, state, lr=1.0, momentum=0.5, weight_decay=0.5)
    np.testing.assert_array_equal(theta, [1.0, 2.0])
    np.testing.assert_array_equal(state["momentum_buffer"], [1.0, 1.0])
