"""spec/statistics.py keeps its promises: closed forms against each other, then simulation.

The run's false-alarm budget (1e-6) is spread over the most assertions a run may make, so
each spends ALPHA = 1e-12; every check counts what it makes, and a run over the count is
not conforming. Simulation can only resolve so much. With T trials, a rejection rate is
pinned to about +-5 sqrt(p/T); so the claims at ALPHA are verified two ways:
- the mechanics (quantiles, margins) at alphas simulation can see (1e-2, 5e-2), where
  the observed rate must sit in the binomial band of the claimed one;
- at ALPHA itself, at most `binom.isf(1e-6, T, ALPHA)` (= 0 or 1) rejections in T
  trials: a true false-alarm rate above ~5e-4 (T = 20000) would fail this.
Power claims are checked the same way: at the sample size used, misses stay within the
binomial allowance for a miss rate of 1 - POWER (resolving a miss rate of ~0.5%), and at
smaller n, where power is moderate, the simulated rate matches the closed form.

Every simulated assertion is itself a test with false alarm <= 1e-6 (the binomial
bands below), and the generators are seeded, so the suite is deterministic and honest.
"""

import math

import numpy as np
import pytest
from scipy import stats

from reference.init_laws import constant_law, normal_law, uniform_law
from report import json_report, outcomes, verdict
from spec.statistics import (
    ALPHA,
    MAX_ASSERTIONS_PER_RUN,
    POWER,
    RELATIVE_ERROR,
    RUN_FALSE_ALARM,
    assertions_made,
    check_constant,
    check_keep_rate,
    check_law,
    check_normal,
    check_uniform,
    endpoint_margin,
    keep_interval,
    keep_samples_needed,
    keep_test_power,
    ks_critical,
    ks_power_lower_bound,
    mean_rejects,
    mean_samples_needed,
    mean_test_power,
    normal_samples_needed,
    same_moments_distance,
    samples_needed,
    shape_samples_needed,
    std_rejects,
    std_samples_needed,
    std_test_power,
    two_sided_z,
    uniform_power_inward,
    uniform_power_outward,
    uniform_rejects,
    uniform_samples_needed,
    variance_ratio_interval,
)

# The false alarm of each simulated assertion in this file (the meta-level rule).
META_ALPHA = 1e-6
# Trials per simulation: enough to resolve a rate of ~5e-4 at ALPHA and ~0.5% in power,
# while one simulation stays under ~0.5 s (at most ~13M draws).
TRIALS_ALPHA = 20_000
TRIALS_POWER = 2_000
# Alphas at which a false-alarm rate is visible in TRIALS_ALPHA trials.
VISIBLE_ALPHAS = (1e-2, 5e-2)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def binomial_band(trials: int, p: float) -> tuple[int, int]:
    """Counts outside [lo, hi] have probability <= META_ALPHA when the rate is p."""
    lo = int(stats.binom.ppf(META_ALPHA / 2, trials, p))
    hi = int(stats.binom.isf(META_ALPHA / 2, trials, p))
    return lo, hi


def assert_rate(count: int, trials: int, p: float, what: str) -> None:
    lo, hi = binomial_band(trials, p)
    assert lo <= count <= hi, f"{what}: {count}/{trials}, expected in [{lo}, {hi}] for rate {p}"


def at_most_rate(count: int, trials: int, p: float, what: str) -> None:
    allowed = int(stats.binom.isf(META_ALPHA, trials, p))
    assert count <= allowed, f"{what}: {count}/{trials} > {allowed} allowed at rate {p}"


# --- closed forms ------------------------------------------------------------------------


def test_stated_constants():
    assert (RUN_FALSE_ALARM, MAX_ASSERTIONS_PER_RUN) == (1e-6, 10**6)
    assert (ALPHA, POWER, RELATIVE_ERROR) == (1e-12, 0.999, 0.10)
    assert two_sided_z() == pytest.approx(7.130507, abs=1e-6)


def test_the_run_budget_covers_every_assertion_a_run_may_make():
    # The union bound: MAX_ASSERTIONS_PER_RUN assertions of ALPHA each stay in the budget.
    assert MAX_ASSERTIONS_PER_RUN * ALPHA <= RUN_FALSE_ALARM * (1 + 1e-12)


def test_every_check_counts_the_assertions_it_makes():
    made = assertions_made()
    check_uniform(rng(20).uniform(-1.0, 1.0, uniform_samples_needed()), -1.0, 1.0, 0.0)
    assert assertions_made() - made == 2  # the endpoint test and the shape test
    made = assertions_made()
    check_normal(rng(21).normal(0.0, 1.0, normal_samples_needed()), 0.0, 1.0)
    assert assertions_made() - made == 3  # std, mean and shape
    made = assertions_made()
    check_keep_rate(5_000, 10_000, 0.5)
    check_constant(np.zeros(3), 0.0)  # exact: spends nothing
    assert assertions_made() - made == 1


def test_a_run_over_its_budget_is_not_conforming():
    """A check added without room in the budget cannot spend it silently: the report's
    verdict, and so the run's exit status, say so (report/verdict.py)."""
    results = [{"outcome": "passed", "statistical_assertions": MAX_ASSERTIONS_PER_RUN + 1}]
    run = {"false_alarm_budget": {"alpha": ALPHA, "budget": RUN_FALSE_ALARM}}
    spent = json_report.false_alarm(results, run)
    summary = {
        "by_outcome": {**outcomes.counts([]), "passed": 1},
        "claims": {},
        "false_alarm": spent,
    }
    decided = verdict.decide({"summary": summary})
    assert not decided.conforming and decided.beyond_tests, decided
    results[0]["statistical_assertions"] = MAX_ASSERTIONS_PER_RUN
    summary["false_alarm"] = json_report.false_alarm(results, run)
    assert verdict.decide({"summary": summary}).conforming


@pytest.mark.parametrize("n", [1, 10, 283, 10_000])
def test_endpoint_margin_spends_alpha_exactly(n):
    delta = endpoint_margin(n)
    assert 2 * (1 - delta) ** n == pytest.approx(ALPHA, rel=1e-9)


def test_uniform_samples_needed_by_hand():
    # Outward: ln(1e-3)/ln(2/2.1) = 141.6 -> 142. Inward: ln(5e-13)/ln(0.95) = 552.2 -> 553.
    assert math.log(1e-3) / math.log(2 / 2.1) == pytest.approx(141.58, abs=0.01)
    assert math.log(5e-13) / math.log(0.95) == pytest.approx(552.20, abs=0.01)
    assert uniform_samples_needed() == 553


@pytest.mark.parametrize("rounding", [0.0, 2 * 2.0**-24, 2 * 2.0**-11, 2 * 2.0**-8])
def test_uniform_samples_needed_is_the_smallest(rounding):
    n = uniform_samples_needed(rounding=rounding)
    assert uniform_power_outward(n, RELATIVE_ERROR, rounding) >= POWER
    assert uniform_power_inward(n, RELATIVE_ERROR, rounding) == 1.0
    smaller_ok = uniform_power_outward(n - 1, RELATIVE_ERROR, rounding) >= POWER and (
        uniform_power_inward(n - 1, RELATIVE_ERROR, rounding) == 1.0
    )
    assert not smaller_ok


def test_variance_interval_is_the_chi_square_quantiles():
    n = 1000
    lo, hi = variance_ratio_interval(n)
    assert stats.chi2.cdf(lo * (n - 1), n - 1) == pytest.approx(ALPHA / 2, rel=1e-6)
    assert stats.chi2.sf(hi * (n - 1), n - 1) == pytest.approx(ALPHA / 2, rel=1e-6)
    # Under the null the power function is the false alarm itself.
    assert std_test_power(n, 1.0) == pytest.approx(ALPHA, rel=1e-6)


def test_std_samples_needed_is_the_smallest_and_near_the_normal_approximation():
    n = std_samples_needed()
    power = min(std_test_power(n, 0.9), std_test_power(n, 1.1))
    previous = min(std_test_power(n - 1, 0.9), std_test_power(n - 1, 1.1))
    assert power >= POWER > previous
    # log s^2 ~ N(log ratio^2, 2/(n-1)): the larger std is the harder side.
    z = two_sided_z() + stats.norm.isf(1 - POWER)
    approx = 2 * (z / math.log(1.1**2)) ** 2 + 1
    assert n == pytest.approx(approx, rel=0.03)


def test_mean_samples_needed_is_the_smallest_and_near_the_closed_form():
    n = mean_samples_needed()
    assert mean_test_power(n, RELATIVE_ERROR) >= POWER > mean_test_power(n - 1, RELATIVE_ERROR)
    z = two_sided_z() + stats.norm.isf(1 - POWER)
    assert abs(n - (z / RELATIVE_ERROR) ** 2) < 2
    assert mean_test_power(n, 0.0) == pytest.approx(ALPHA, rel=1e-9)
    assert normal_samples_needed() == max(n, std_samples_needed(), shape_samples_needed())


def test_the_shape_test_tells_a_normal_law_from_its_same_moments_uniform():
    # The distance between N(0, 1) and U(-sqrt 3, sqrt 3), both of mean 0 and std 1.
    assert same_moments_distance() == pytest.approx(0.0572, abs=1e-4)
    n = shape_samples_needed()
    assert ks_power_lower_bound(n, same_moments_distance()) >= POWER
    assert ks_power_lower_bound(n - 1, same_moments_distance()) < POWER
    rng = np.random.default_rng(7)
    impostors = rng.uniform(-np.sqrt(3), np.sqrt(3), (20, n))
    for sample in impostors:
        with pytest.raises(AssertionError, match="wrong shape"):
            check_normal(sample, 0.0, 1.0)


def test_the_shape_test_keeps_its_false_alarm():
    # The critical value is the exact (1 - ALPHA) quantile of the KS statistic: at a
    # looser alpha, where it can be simulated, the false alarm is as stated.
    rng = np.random.default_rng(11)
    n, alpha, trials = 500, 0.05, 2000
    critical = ks_critical(n, alpha)
    samples = np.sort(rng.standard_normal((trials, n)), axis=1)
    fitted = stats.norm.cdf(samples)
    distance = np.maximum(
        (np.arange(1, n + 1) / n - fitted).max(axis=1), (fitted - np.arange(n) / n).max(axis=1)
    )
    rate = float((distance > critical).mean())
    z = stats.norm.isf(META_ALPHA / 2)
    assert abs(rate - alpha) < z * np.sqrt(alpha * (1 - alpha) / trials)


def test_keep_test_promises():
    # The binomial keep-rate test keeps its false alarm and power at both ends of its range.
    for q in (0.99, 0.5, 0.1):
        n = keep_samples_needed(q)
        lo, hi = keep_interval(n, q)
        false_alarm = stats.binom.cdf(lo - 1, n, q) + stats.binom.sf(hi, n, q)
        assert false_alarm <= ALPHA
        assert keep_test_power(n, q, q * (1 - RELATIVE_ERROR)) >= POWER
    assert keep_samples_needed(0.5) == pytest.approx(10_400, rel=0.1)
    assert keep_samples_needed(0.1) < 100_000


def test_rounding_never_fails_the_shape_test_of_a_correct_law():
    # bfloat16 rounding of a correct normal sample stays within the slack added for it.
    rng = np.random.default_rng(3)
    bf16 = 2.0**-8
    n = normal_samples_needed(roundoff=bf16)
    for _ in range(5):
        sample = rng.standard_normal(n)
        mantissa, exponent = np.frexp(sample)
        rounded = np.ldexp(np.round(np.ldexp(mantissa, 8)), exponent - 8)
        check_normal(rounded, 0.0, 1.0, roundoff=bf16)


def test_samples_needed_per_law():
    assert samples_needed(constant_law(0.0)) == 1
    assert samples_needed(normal_law(0.0, 0.3)) == normal_samples_needed()
    assert samples_needed(normal_law(0.0, 0.3), 2.0**-8) == normal_samples_needed(roundoff=2.0**-8)
    assert samples_needed(uniform_law(-0.5, 0.5)) == uniform_samples_needed()
    bf16 = 2.0**-8
    assert samples_needed(uniform_law(-0.5, 0.5), bf16) == uniform_samples_needed(rounding=2 * bf16)


# --- false alarms by simulation ----------------------------------------------------------


@pytest.mark.parametrize("alpha", VISIBLE_ALPHAS)
def test_uniform_false_alarm_rate_at_visible_alpha(alpha):
    n = uniform_samples_needed()
    draws = rng(1).uniform(-0.3, 0.3, size=(TRIALS_ALPHA, n))
    count = int(uniform_rejects(draws, -0.3, 0.3, alpha=alpha).sum())
    assert_rate(count, TRIALS_ALPHA, alpha, "uniform endpoint test false alarms")


def test_uniform_false_alarm_at_alpha():
    n = uniform_samples_needed()
    draws = rng(2).uniform(1.0, 3.0, size=(TRIALS_ALPHA, n))
    at_most_rate(int(uniform_rejects(draws, 1.0, 3.0).sum()), TRIALS_ALPHA, ALPHA, "uniform")


@pytest.mark.parametrize("alpha", VISIBLE_ALPHAS)
def test_std_false_alarm_rate_at_visible_alpha(alpha):
    n = 500
    draws = rng(3).normal(0.7, 2.0, size=(TRIALS_ALPHA, n))
    count = int(std_rejects(draws, 2.0, alpha=alpha).sum())
    assert_rate(count, TRIALS_ALPHA, alpha, "std test false alarms")


@pytest.mark.parametrize("alpha", VISIBLE_ALPHAS)
def test_mean_false_alarm_rate_at_visible_alpha(alpha):
    n = 500
    draws = rng(4).normal(0.7, 2.0, size=(TRIALS_ALPHA, n))
    count = int(mean_rejects(draws, 0.7, 2.0, alpha=alpha).sum())
    assert_rate(count, TRIALS_ALPHA, alpha, "mean test false alarms")


def test_normal_false_alarm_at_alpha():
    n = normal_samples_needed()
    trials = TRIALS_ALPHA // 10  # 2000 x 6372 draws; resolves a rate of ~5e-3
    draws = rng(5).normal(0.0, 0.05, size=(trials, n))
    count = int((std_rejects(draws, 0.05) | mean_rejects(draws, 0.0, 0.05)).sum())
    at_most_rate(count, trials, 2 * ALPHA, "normal tests")


# --- power by simulation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "why"),
    [
        (-1.1, 1.1, "bound 10% too large"),
        (-1.0, 1.1, "upper bound 10% too large"),
        (-0.9, 0.9, "bound 10% too small"),
        (-1.0, 0.9, "upper bound 10% too small"),
        (-0.9, 1.1, "shifted by 10% of the bound"),
    ],
)
def test_uniform_power_at_the_sample_size_used(low, high, why):
    n = uniform_samples_needed()
    draws = rng(6).uniform(low, high, size=(TRIALS_POWER, n))
    misses = int((~uniform_rejects(draws, -1.0, 1.0)).sum())
    at_most_rate(misses, TRIALS_POWER, 1 - POWER, f"uniform misses, {why}")


@pytest.mark.parametrize("n", [20, 60])
def test_uniform_outward_power_matches_closed_form(n):
    draws = rng(7).uniform(-1.0, 1.1, size=(TRIALS_ALPHA, n))
    caught = int(uniform_rejects(draws, -1.0, 1.0).sum())
    # At these n the inward side never fires (delta too large), so this is the outward form.
    assert_rate(caught, TRIALS_ALPHA, uniform_power_outward(n, 0.1), "outward power")


def test_rounding_allowance_keeps_torch_like_rounded_draws_inside():
    # Endpoint and sample each rounded to bfloat16-like 8-bit significands.
    def round_to(x, bits):
        m, e = np.frexp(x)
        return np.ldexp(np.round(m * 2.0**bits) / 2.0**bits, e)

    b = 1 / math.sqrt(7)
    draws = round_to(rng(8).uniform(-round_to(b, 8), round_to(b, 8), size=200_000), 8)
    check_uniform(draws, -b, b, roundoff=2.0**-8)


@pytest.mark.parametrize("ratio", [0.9, 1.1])
def test_std_power_at_the_sample_size_used(ratio):
    n = std_samples_needed()
    draws = rng(9).normal(0.0, ratio, size=(TRIALS_POWER, n))
    misses = int((~std_rejects(draws, 1.0)).sum())
    at_most_rate(misses, TRIALS_POWER, 1 - POWER, f"std misses at ratio {ratio}")


@pytest.mark.parametrize(("n", "ratio"), [(800, 1.1), (800, 0.9), (1500, 1.1)])
def test_std_power_matches_closed_form(n, ratio):
    draws = rng(10).normal(0.0, ratio, size=(TRIALS_POWER * 2, n))
    caught = int(std_rejects(draws, 1.0).sum())
    assert_rate(caught, TRIALS_POWER * 2, std_test_power(n, ratio), "std power")


def test_mean_power_at_the_sample_size_used():
    n = mean_samples_needed()
    draws = rng(11).normal(0.1, 1.0, size=(TRIALS_POWER, n))
    misses = int((~mean_rejects(draws, 0.0, 1.0)).sum())
    at_most_rate(misses, TRIALS_POWER, 1 - POWER, "mean misses at a 0.1 std shift")


@pytest.mark.parametrize("n", [2000, 4000])
def test_mean_power_matches_closed_form(n):
    draws = rng(12).normal(-0.1, 1.0, size=(TRIALS_POWER * 2, n))
    caught = int(mean_rejects(draws, 0.0, 1.0).sum())
    assert_rate(caught, TRIALS_POWER * 2, mean_test_power(n, 0.1), "mean power")


# --- the assertion helpers say what failed ------------------------------------------------


def test_check_helpers_pass_and_fail_with_messages():
    draws = rng(13).normal(0.0, 0.2, size=normal_samples_needed())
    check_normal(draws, 0.0, 0.2)
    check_law(draws, normal_law(0.0, 0.2), roundoff=0.0)
    with pytest.raises(AssertionError, match="chi-square"):
        check_normal(draws, 0.0, 0.2 / 1.1)
    with pytest.raises(AssertionError, match="sample mean"):
        check_normal(draws + 0.02, 0.0, 0.2)
    with pytest.raises(AssertionError, match="non-finite"):
        check_normal(np.append(draws, np.nan), 0.0, 0.2)
    uniform = rng(14).uniform(-0.5, 0.5, size=uniform_samples_needed())
    check_uniform(uniform, -0.5, 0.5, roundoff=2.0**-24)
    with pytest.raises(AssertionError, match="outside the support"):
        check_uniform(uniform * 1.1, -0.5, 0.5, roundoff=2.0**-24)
    with pytest.raises(AssertionError, match="does not reach"):
        check_uniform(uniform * 0.9, -0.5, 0.5, roundoff=2.0**-24)
    check_constant(np.zeros(5), 0.0)
    with pytest.raises(AssertionError, match="differ from the constant"):
        check_constant(np.array([0.0, 1e-30]), 0.0)
