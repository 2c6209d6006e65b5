"""reference.adam against a naive scalar loop, hand values and closed forms; no torch here."""

import numpy as np
from hypothesis import given, strategies as st

from reference.adam import adam_step, adamw_step
from selftest.naive_optimizers import adam_naive

VALUES = st.floats(-10, 10, allow_nan=False)
HYPERPARAMS = st.fixed_dictionaries(
    {
        "lr": st.floats(0, 2),
        "betas": st.tuples(st.floats(0, 0.999), st.floats(0, 0.9999)),
        "eps": st.floats(1e-8, 1.0),
        "weight_decay": st.floats(0, 1),
        "amsgrad": st.booleans(),
        "maximize": st.booleans(),
        "decoupled_weight_decay": st.booleans(),
    }
)


def run(step, theta: np.ndarray, grads: list[np.ndarray], hp: dict) -> list[tuple]:
    state: dict = {}
    out = []
    for grad in grads:
        theta, state = step(theta, grad, state, **hp)
        out.append((theta, state))
    return out


@given(
    theta=st.lists(VALUES, min_size=1, max_size=4),
    steps=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    hp=HYPERPARAMS,
)
def test_adam_matches_the_naive_loop(theta, steps, seed, hp):
    rng = np.random.default_rng(seed)
    grads = [rng.uniform(-5, 5, len(theta)) for _ in range(steps)]
    ours = run(adam_step, np.array(theta), grads, hp)
    naive_hp = {**hp, "decoupled": hp["decoupled_weight_decay"]}
    del naive_hp["decoupled_weight_decay"], naive_hp["betas"]
    for i, start in enumerate(theta):
        naive = adam_naive(start, [g[i] for g in grads], beta1=hp["betas"][0],
                           beta2=hp["betas"][1], **naive_hp)  # fmt: skip
        for t, ((theta_t, state), (n_theta, n_m, n_v, n_max)) in enumerate(
            zip(ours, naive, strict=True)
        ):
            np.testing.assert_allclose(theta_t[i], n_theta, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(state["exp_avg"][i], n_m, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(state["exp_avg_sq"][i], n_v, rtol=1e-12, atol=1e-15)
            assert float(state["step"]) == t + 1
            assert ("max_exp_avg_sq" in state) == hp["amsgrad"]
            if hp["amsgrad"]:
                np.testing.assert_allclose(
                    state["max_exp_avg_sq"][i], n_max, rtol=1e-12, atol=1e-15
                )


@given(
    grad=st.lists(st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3), min_size=1, max_size=5),
    betas=st.tuples(st.floats(0, 0.999), st.floats(0, 0.9999)),
    lr=st.floats(1e-4, 1.0),
)
def test_adam_first_step_moves_by_lr_times_the_sign(grad, betas, lr):
    # Closed form: at t = 1, m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
    grad = np.array(grad)
    theta, _ = adam_step(np.zeros_like(grad), grad, {}, lr=lr, betas=betas, eps=1e-12)
    np.testing.assert_allclose(theta, -lr * np.sign(grad), rtol=1e-8)


def test_a_constant_gradient_keeps_moving_by_lr():
    # Closed form: for a constant g, m_hat = g and v_hat = g^2 at every t.
    theta = np.zeros(2)
    state: dict = {}
    for t in range(1, 20):
        theta, state = adam_step(
            theta, np.array([3.0, -0.5]), state, lr=0.1, betas=(0.8, 0.9), eps=0.0
        )
        np.testing.assert_allclose(theta, [-0.1 * t, 0.1 * t], rtol=1e-12)


def test_adam_two_steps_by_hand():
    hp = {"lr": 0.5, "betas": (0.5, 0.75), "eps": 0.0}
    # t = 1: m = 0.5 * 2 = 1, v = 0.25 * 4 = 1; m_hat = 2, v_hat = 4; theta = 1 - 0.5 * 2 / 2.
    theta, state = adam_step(np.array([1.0]), np.array([2.0]), {}, **hp)
    np.testing.assert_array_equal(theta, [0.5])
    np.testing.assert_array_equal(state["exp_avg"], [1.0])
    np.testing.assert_array_equal(state["exp_avg_sq"], [1.0])
    # t = 2: g = -2: m = 0.5 - 1 = -0.5, v = 0.75 + 1 = 1.75; m_hat = -0.5 / 0.75,
    # v_hat = 1.75 / (1 - 0.5625); theta = 0.5 + 0.5 * (2/3) / 2 = 0.5 + 1/6.
    theta, state = adam_step(theta, np.array([-2.0]), state, **hp)
    np.testing.assert_array_equal(state["exp_avg"], [-0.5])
    np.testing.assert_array_equal(state["exp_avg_sq"], [1.75])
    np.testing.assert_allclose(theta, [0.5 + 1 / 6], rtol=1e-15)
    assert float(state["step"]) == 2


def test_amsgrad_keeps_the_largest_second_moment_by_hand():
    hp = {"lr": 1.0, "betas": (0.0, 0.5), "eps": 0.0, "amsgrad": True}
    _, state = adam_step(np.zeros(1), np.array([4.0]), {}, **hp)
    np.testing.assert_array_equal(state["max_exp_avg_sq"], [8.0])  # v = 0.5 * 16
    _, state = adam_step(np.zeros(1), np.array([0.0]), state, **hp)
    np.testing.assert_array_equal(state["exp_avg_sq"], [4.0])  # v halves...
    np.testing.assert_array_equal(state["max_exp_avg_sq"], [8.0])  # ...its maximum stays


def test_adamw_decays_the_parameter_not_the_gradient_by_hand():
    hp = {"lr": 0.5, "betas": (0.5, 0.75), "eps": 0.0, "weight_decay": 0.5}
    # theta = 2 - 0.5 * 0.5 * 2 = 1.5, then the sign step of a gradient 3: 1.5 - 0.5.
    theta, state = adamw_step(np.array([2.0]), np.array([3.0]), {}, **hp)
    np.testing.assert_array_equal(theta, [1.0])
    np.testing.assert_array_equal(state["exp_avg"], [1.5])  # the gradient alone
    coupled, coupled_state = adam_step(np.array([2.0]), np.array([3.0]), {}, **hp)
    np.testing.assert_array_equal(coupled_state["exp_avg"], [0.5 * (3.0 + 0.5 * 2.0)])
    np.testing.assert_array_equal(coupled, [1.5])


def test_zero_gradients_leave_adam_at_rest():
    theta, _ = adam_step(
        np.array([1.5, -2.0]), np.zeros(2), {}, lr=0.1, betas=(0.9, 0.999), eps=1e-8
    )
    np.testing.assert_array_equal(theta, [1.5, -2.0])
    theta, _ = adam_step(np.array([1.5]), np.zeros(1), {}, lr=0.1, betas=(0.9, 0.999), eps=0.0)
    assert np.isnan(theta[0])  # eps 0: 0 / 0


def test_nonfinite_gradients_make_the_step_nan():
    theta, state = adam_step(np.zeros(3), np.array([np.nan, np.inf, -np.inf]), {}, lr=0.1)
    assert np.isnan(theta).all()  # inf / inf
    np.testing.assert_array_equal(state["exp_avg"][1:], [np.inf, -np.inf])
    np.testing.assert_array_equal(state["exp_avg_sq"][1:], [np.inf, np.inf])
