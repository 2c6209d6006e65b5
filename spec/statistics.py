"""The statistical-test rule: every random assertion states its false alarm and its power.

The false-alarm budget is the run's: a whole run, whatever its profile, devices and
dtypes, fails a correct implementation through its statistical checks with probability
at most RUN_FALSE_ALARM (1e-6). By the union bound that holds when each assertion spends
ALPHA = RUN_FALSE_ALARM / MAX_ASSERTIONS_PER_RUN and a run makes at most
MAX_ASSERTIONS_PER_RUN of them: every check here counts what it makes, the run reports
the total and its bound, and a run over the count is NOT CONFORMING (report/verdict.py).
Each assertion catches a 10% error (RELATIVE_ERROR) in the quantity it is about with
probability at least POWER (0.999) at the sample size the test uses: sample sizes follow
from ALPHA, so the power is kept whatever the budget. Exact checks
come first: every sample of a uniform law lies in its support (allowing only the
rounding of the dtype), every sample of a constant law equals the constant, every
sample of a normal law is finite. The tests follow, one per claim:

- uniform U(low, high): both ends of the sample reach close to both ends of the support
  ("endpoint test", an order-statistic test with a closed-form false-alarm rate);
- normal N(mean, std^2): the sample variance against the chi-square law ("std test")
  and the sample mean against the normal law ("mean test").

Each test comes with its power in closed form and a `*_samples_needed` function that
inverts it: the smallest n with power >= POWER against the stated alternative at
false-alarm rate ALPHA. The derivations are in the docstrings; selftest/test_statistics.py
checks them against simulation and against each other.

NumPy and SciPy only: the rule is the oracle's, not the implementation's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from reference.init_laws import InitLaw


def _stats():
    """scipy.stats, imported at first use: importing it costs a process about 1.4 s, and
    most of the suite's processes (a bad option, a shape-only run) test no law."""
    from scipy import stats

    return stats


# The run's false-alarm budget, and the most statistical assertions a run may make. A `ci`
# run on one device makes about 15,000 (counted: every check below tallies itself); a
# `thorough` run makes ten times that per device. 10**6 leaves room for both devices of a
# thorough run and for new layers, each assertion spending 1e-12.
RUN_FALSE_ALARM = 1e-6
MAX_ASSERTIONS_PER_RUN = 10**6
ALPHA = RUN_FALSE_ALARM / MAX_ASSERTIONS_PER_RUN  # one assertion's false-alarm probability
POWER = 0.999  # probability of catching the alternative below, at the sample size used
RELATIVE_ERROR = 0.10  # the alternative: a bound or a std 10% off; a mean 0.1 std off

# How far a rounded sample may stray outside a uniform law's support, in units of the
# dtype's unit roundoff times the largest |endpoint|. torch draws in the tensor's dtype
# from endpoints already rounded to it: one rounding of the endpoint, one of the sample
# (measured: at most 0.47 of a unit roundoff in bfloat16). Two covers both, no more.
SUPPORT_ROUNDINGS = 2.0


@dataclass
class _Tally:
    """Statistical assertions made in this process (each spends ALPHA of false alarm)."""

    made: int = 0


_TALLY = _Tally()


def assertions_made() -> int:
    """How many statistical assertions this process has made so far (the harness reads the
    difference around each test and reports it)."""
    return _TALLY.made


def _spend(count: int = 1) -> None:
    _TALLY.made += count


# ---------------------------------------------------------------------------------------
# Uniform laws: exact support, then the endpoint (order-statistic) test.
# ---------------------------------------------------------------------------------------


def endpoint_margin(n: int, alpha: float = ALPHA) -> float:
    """delta with P(max of n U(0,1) < 1 - delta) + P(min > delta) = 2 (1 - delta)^n = alpha.

    For U(low, high) with width w, the largest of n samples falls below high - delta*w
    with probability exactly (1 - delta)^n, and likewise the smallest above low + delta*w.
    Splitting alpha evenly between the two ends: delta = 1 - (alpha/2)^(1/n).
    """
    return -math.expm1(math.log(alpha / 2) / n)


def uniform_slack(low: float, high: float, roundoff: float) -> float:
    """The absolute rounding allowance outside [low, high]: SUPPORT_ROUNDINGS ulps-worth."""
    return SUPPORT_ROUNDINGS * roundoff * max(abs(low), abs(high))


def uniform_power_outward(n: int, relative_error: float, rounding: float = 0.0) -> float:
    """P(some sample leaves the support) when one endpoint sits relative_error*h too far out.

    h = (high - low)/2 is the half-width (the bound b of U(-b, b)). The least detectable
    such law keeps the other endpoint in place: U(low, high + e*h), width (2 + e) h. A
    sample escapes [low, high + s] (s = rounding*h, the allowance) unless all n fall in
    a stretch of width (2 + rounding) h, so the power is 1 - ((2 + rounding)/(2 + e))^n.
    Moving both endpoints out (b -> 1.1 b) only helps: 1 - (1/1.1)^n.
    """
    return 1.0 - ((2.0 + rounding) / (2.0 + relative_error)) ** n


def uniform_power_inward(
    n: int, relative_error: float, rounding: float = 0.0, alpha: float = ALPHA
) -> float:
    """1 when an endpoint moved relative_error*h inward is always caught, else 0.

    If the law is U(low, high - e*h), every sample is <= high - e*h, while the test
    demands max >= high - delta*w - s = high - (2*delta + rounding) h. So it is caught
    with certainty once 2*delta(n) + rounding < e, and the power is not promised otherwise.
    """
    return 1.0 if 2.0 * endpoint_margin(n, alpha) + rounding < relative_error else 0.0


def uniform_samples_needed(
    relative_error: float = RELATIVE_ERROR,
    alpha: float = ALPHA,
    power: float = POWER,
    rounding: float = 0.0,
) -> int:
    """Smallest n catching an endpoint off by relative_error*h, either way, with `power`.

    Outward: ((2 + r)/(2 + e))^n <= 1 - power, n >= ln(1 - power) / ln((2 + r)/(2 + e)).
    Inward: 2 (1 - (alpha/2)^(1/n)) + r < e, n > ln(alpha/2) / ln(1 - (e - r)/2).
    At e = 0.1, alpha = 1e-12, power = 0.999, r = 0: outward 142, inward 553, so n = 553.
    """
    if not 0 <= rounding < relative_error:
        raise ValueError(f"rounding {rounding} leaves no room for a {relative_error} error")
    outward = math.ceil(math.log(1 - power) / math.log((2 + rounding) / (2 + relative_error)))
    inward = math.floor(math.log(alpha / 2) / math.log1p(-(relative_error - rounding) / 2)) + 1
    return max(outward, inward)


def uniform_rejects(
    samples: np.ndarray, low: float, high: float, rounding: float = 0.0, alpha: float = ALPHA
) -> np.ndarray:
    """Per row (last axis = the sample): whether the support or endpoint check fails.

    `rounding` is the allowance as a fraction of the half-width h (0 for exact float64
    draws; uniform_slack()/h for rounded ones). False alarm: 0 for the support check
    (the allowance covers the rounding), alpha for the endpoint test.
    """
    samples = np.asarray(samples, dtype=np.float64)
    n = samples.shape[-1]
    h = (high - low) / 2
    s = rounding * h
    delta = endpoint_margin(n, alpha)
    top, bottom = samples.max(axis=-1), samples.min(axis=-1)
    outside = (top > high + s) | (bottom < low - s)
    short = (top < high - 2 * delta * h - s) | (bottom > low + 2 * delta * h + s)
    return outside | short


def check_uniform(
    samples: np.ndarray, low: float, high: float, roundoff: float, what: str = "samples"
) -> None:
    """Assert the samples follow U(low, high): exact support, then the endpoint test."""
    samples = np.ravel(np.asarray(samples, dtype=np.float64))
    n = samples.size
    h = (high - low) / 2
    slack = uniform_slack(low, high, roundoff)
    outside = (samples > high + slack) | (samples < low - slack) | ~np.isfinite(samples)
    assert not outside.any(), (
        f"{what}: {int(outside.sum())} of {n} samples outside the support "
        f"[{low!r}, {high!r}] (+-{slack:.3g} rounding); e.g. {samples[outside][:3].tolist()}"
    )
    if h == 0:
        return
    delta = endpoint_margin(n)
    reach = 2 * delta * h + slack
    top, bottom = samples.max(), samples.min()
    _spend()
    assert top >= high - reach and bottom <= low + reach, (
        f"{what}: sample range [{bottom!r}, {top!r}] of n={n} does not reach within "
        f"{reach:.4g} of both ends of U({low!r}, {high!r}): the support is narrower "
        f"than the law (false alarm {ALPHA:g})"
    )
    # The shape in between: a uniform law's same-moments impostor (a normal) already
    # leaves the support at this n; the shape test catches laws that pile up inside it.
    # Rounding moves each sample by roundoff * |x| <= roundoff * max(|low|, |high|).
    rounding = roundoff * max(abs(low), abs(high)) / (high - low)
    check_shape(samples, lambda x: np.clip((x - low) / (high - low), 0.0, 1.0), rounding, what)


# ---------------------------------------------------------------------------------------
# Normal laws: the std test (chi-square) and the mean test (z).
# ---------------------------------------------------------------------------------------


def two_sided_z(alpha: float = ALPHA) -> float:
    """z with P(|Z| > z) = alpha for a standard normal Z (7.1305 at alpha = 1e-12)."""
    return float(_stats().norm.isf(alpha / 2))


@cache
def variance_ratio_interval(n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """[lo, hi] holding s^2/std^2 with probability 1 - alpha for n normal samples.

    With s^2 the sample variance (ddof=1), (n - 1) s^2 / std^2 ~ chi2(n - 1) exactly for
    normal samples, whatever their mean. Two-sided, alpha/2 in each tail:
    lo = chi2.ppf(alpha/2, n-1)/(n-1), hi = chi2.isf(alpha/2, n-1)/(n-1).
    """
    dof, chi2 = n - 1, _stats().chi2
    return float(chi2.ppf(alpha / 2, dof) / dof), float(chi2.isf(alpha / 2, dof) / dof)


def std_test_power(n: int, std_ratio: float, alpha: float = ALPHA) -> float:
    """P(the std test rejects) when the true std is std_ratio times the law's.

    Then (n-1) s^2/std^2 = std_ratio^2 * X with X ~ chi2(n-1), so the rejection
    probability is P(X < (n-1) lo / ratio^2) + P(X > (n-1) hi / ratio^2), exactly.
    """
    lo, hi = variance_ratio_interval(n, alpha)
    dof, r2 = n - 1, std_ratio**2
    return float(_stats().chi2.cdf(dof * lo / r2, dof) + _stats().chi2.sf(dof * hi / r2, dof))


def _smallest_n(enough: Callable[[int], bool], start: int = 2) -> int:
    """The smallest n >= start with enough(n), for enough monotone in n (doubling, bisection)."""
    high = start
    while not enough(high):
        high *= 2
    low = max(start, high // 2)
    while low < high:
        mid = (low + high) // 2
        low, high = (mid + 1, high) if not enough(mid) else (low, mid)
    return high


@cache
def std_samples_needed(
    relative_error: float = RELATIVE_ERROR, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Smallest n whose std test catches std*(1 - e) and std*(1 + e), each with `power`.

    Power is monotone in n (the chi-square quantiles concentrate like 1/sqrt(n)); the
    normal approximation of log s^2 gives n ~ 2 ((z_{alpha/2} + z_power) / ln(1 - e)^2)^2
    ~ 4700 for the smaller std and ~5750 for the larger (ln 1.21 < |ln 0.81|). The exact
    chi-square search is what is used.
    """
    ratios = (1 - relative_error, 1 + relative_error)
    return _smallest_n(lambda n: min(std_test_power(n, r, alpha) for r in ratios) >= power)


def std_rejects(samples: np.ndarray, std: float, alpha: float = ALPHA) -> np.ndarray:
    """Per row: whether s^2/std^2 falls outside variance_ratio_interval(n, alpha)."""
    samples = np.asarray(samples, dtype=np.float64)
    ratio = samples.var(axis=-1, ddof=1) / std**2
    lo, hi = variance_ratio_interval(samples.shape[-1], alpha)
    return (ratio < lo) | (ratio > hi)


def mean_test_power(n: int, shift_in_stds: float, alpha: float = ALPHA) -> float:
    """P(the mean test rejects) when the true mean is off by shift_in_stds * std.

    z = (mean - mu) sqrt(n) / std ~ N(d sqrt(n), 1) with d the shift, so the power is
    P(Z > z_a - d sqrt(n)) + P(Z < -z_a - d sqrt(n)), exactly for normal samples.
    """
    z, d = two_sided_z(alpha), shift_in_stds * math.sqrt(n)
    return float(_stats().norm.sf(z - d) + _stats().norm.cdf(-z - d))


@cache
def mean_samples_needed(
    shift_in_stds: float = RELATIVE_ERROR, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Smallest n whose mean test catches a shift of shift_in_stds * std with `power`.

    Dropping the far tail, n ~ ((z_{alpha/2} + z_power) / d)^2 = ((7.131 + 3.090)/0.1)^2
    ~ 10446 at the defaults; the exact power above is what is searched.
    """
    return _smallest_n(lambda n: mean_test_power(n, shift_in_stds, alpha) >= power)


def mean_rejects(samples: np.ndarray, mean: float, std: float, alpha: float = ALPHA) -> np.ndarray:
    """Per row: whether |sample mean - mean| sqrt(n) / std exceeds two_sided_z(alpha).

    Exact for normal samples (the only laws it is used on): the false alarm is alpha.
    """
    samples = np.asarray(samples, dtype=np.float64)
    n = samples.shape[-1]
    z = (samples.mean(axis=-1) - mean) * math.sqrt(n) / std
    return np.abs(z) > two_sided_z(alpha)


def normal_samples_needed(relative_error: float = RELATIVE_ERROR, roundoff: float = 0.0) -> int:
    """n for the three normal tests at once: the mean test's (10,447) is the largest."""
    return max(
        std_samples_needed(relative_error),
        mean_samples_needed(relative_error),
        shape_samples_needed(roundoff),
    )


def check_normal(
    samples: np.ndarray, mean: float, std: float, what: str = "samples", roundoff: float = 0.0
) -> None:
    """Assert the samples follow N(mean, std^2): finite, then the std, mean and shape tests."""
    samples = np.ravel(np.asarray(samples, dtype=np.float64))
    n = samples.size
    assert np.isfinite(samples).all(), f"{what}: non-finite samples from N({mean}, {std}^2)"
    if std == 0:
        check_constant(samples, mean, what)
        return
    ratio = samples.var(ddof=1) / std**2
    lo, hi = variance_ratio_interval(n)
    _spend(2)  # the std test and the mean test
    assert lo <= ratio <= hi, (
        f"{what}: sample std {math.sqrt(ratio) * std:.6g} vs law std {std:.6g} (n={n}): "
        f"s^2/std^2 = {ratio:.4f} outside the chi-square interval [{lo:.4f}, {hi:.4f}] "
        f"(false alarm {ALPHA:g})"
    )
    z = (samples.mean() - mean) * math.sqrt(n) / std
    assert abs(z) <= two_sided_z(), (
        f"{what}: sample mean {samples.mean():.6g} vs law mean {mean!r} (std {std:.6g}, "
        f"n={n}): z = {z:.2f} beyond +-{two_sided_z():.3f} (false alarm {ALPHA:g})"
    )
    check_shape(
        samples,
        lambda x: _stats().norm.cdf(x, loc=mean, scale=std),
        normal_rounding_slack(roundoff),
        what,
    )


# ---------------------------------------------------------------------------------------
# Shape: the Kolmogorov-Smirnov test against the law's whole distribution function.
# ---------------------------------------------------------------------------------------
#
# Moments cannot tell a normal law from a uniform one with the same mean and std: the
# shape test compares the whole empirical distribution function with the law's. Its
# statistic D = sup |F_n - F| has the exact null law scipy calls kstwo for a fully
# specified F (the law's parameters are stated, not estimated), so rejecting above
# kstwo.isf(ALPHA, n) keeps the false alarm at ALPHA. Rounding to the dtype moves each
# sample by at most roundoff * |x|, which moves F by at most
# roundoff * sup_x |x| f(x): that much is added to the critical value.


def _uniform_cdf_of_unit_normal_moments(x: np.ndarray) -> np.ndarray:
    half_width = math.sqrt(3.0)  # U(-sqrt 3, sqrt 3) has mean 0 and std 1
    return np.clip((x + half_width) / (2 * half_width), 0.0, 1.0)


@cache
def same_moments_distance() -> float:
    """sup |Phi - F_U| for U the uniform law with the normal's mean and std (about 0.0572).

    Symmetric in the two laws: the distance a shape test must resolve whichever of the
    pair is the law and whichever the impostor.
    """
    grid = np.linspace(-4.0, 4.0, 800_001)
    normal = _stats().norm.cdf(grid)
    return float(np.max(np.abs(normal - _uniform_cdf_of_unit_normal_moments(grid))))


@cache
def ks_critical(n: int, alpha: float = ALPHA) -> float:
    """The D above which the shape test rejects: P(D > it) = alpha for the true law.
    Cached: scipy takes some 10 ms for it, and an init cell asks it for the same few
    sample sizes hundreds of times."""
    return float(_stats().kstwo.isf(alpha, n))


def ks_power_lower_bound(
    n: int, distance: float, slack: float = 0.0, alpha: float = ALPHA
) -> float:
    """A lower bound on P(reject) when the true law is `distance` away (in sup norm).

    D >= distance - sup|F_n - G| for the true law G, and the Dvoretzky-Kiefer-Wolfowitz
    inequality (Massart's constant) bounds P(sup|F_n - G| > t) <= 2 exp(-2 n t^2). With
    t = distance - critical - slack, the test rejects with probability >= 1 - 2 exp(-2nt^2).
    """
    t = distance - ks_critical(n, alpha) - slack
    return float(1.0 - 2.0 * math.exp(-2.0 * n * t * t)) if t > 0 else 0.0


def normal_rounding_slack(roundoff: float) -> float:
    """How far rounding moves a normal law's F: roundoff * sup |t| phi(t), sqrt(2 pi e) below."""
    return roundoff / math.sqrt(2.0 * math.pi * math.e)


@cache
def shape_samples_needed(roundoff: float = 0.0) -> int:
    """Smallest n whose shape test has POWER against the same-moments impostor (~10,000)."""
    slack = normal_rounding_slack(roundoff)
    return _smallest_n(
        lambda n: ks_power_lower_bound(n, same_moments_distance(), slack) >= POWER, start=64
    )


def check_shape(
    samples: np.ndarray,
    cdf: Callable[[np.ndarray], np.ndarray],
    slack: float,
    what: str = "samples",
) -> None:
    """Assert the samples' distribution function stays within the KS bound of `cdf`."""
    samples = np.sort(np.ravel(np.asarray(samples, dtype=np.float64)))
    n = samples.size
    fitted = cdf(samples)
    above = np.arange(1, n + 1) / n - fitted
    below = fitted - np.arange(n) / n
    distance = float(max(above.max(), below.max()))
    limit = ks_critical(n) + slack
    _spend()
    assert distance <= limit, (
        f"{what}: the samples' distribution is {distance:.4f} (sup norm) from the law's, "
        f"beyond the Kolmogorov-Smirnov bound {limit:.4f} at n={n} (false alarm {ALPHA:g}): "
        "the law has the wrong shape"
    )


# ---------------------------------------------------------------------------------------
# Keep rates (dropout): a two-sided binomial test of the kept count.
# ---------------------------------------------------------------------------------------


def keep_interval(n: int, q: float, alpha: float = ALPHA) -> tuple[int, int]:
    """[lo, hi] holding the kept count of n Bernoulli(q) trials with probability >= 1 - alpha.

    lo is the smallest k with P(K <= k) >= alpha/2, so P(K < lo) < alpha/2; hi the
    smallest k with P(K > k) <= alpha/2. The false alarm is at most alpha, exactly.
    """
    return int(_stats().binom.ppf(alpha / 2, n, q)), int(_stats().binom.isf(alpha / 2, n, q))


def keep_test_power(n: int, q: float, q_true: float, alpha: float = ALPHA) -> float:
    """P(the kept count falls outside keep_interval(n, q)) when each is kept w.p. q_true."""
    lo, hi = keep_interval(n, q, alpha)
    return float(_stats().binom.cdf(lo - 1, n, q_true) + _stats().binom.sf(hi, n, q_true))


@cache
def keep_samples_needed(q: float, relative_error: float = RELATIVE_ERROR) -> int:
    """Smallest n whose test has POWER against a keep probability relative_error off q
    either way (q * 1.1 only where it is a probability).

    Normal approximation: n ~ ((z_{ALPHA/2} sqrt(q(1-q)) + z_{POWER} sqrt(q'(1-q'))) / (0.1 q))^2,
    so n grows like 1/q: about 10,400 at q = 0.5 and 98,000 at q = 0.1.
    """
    alternatives = [q * (1 - relative_error)]
    if q * (1 + relative_error) <= 1:
        alternatives.append(q * (1 + relative_error))
    return _smallest_n(
        lambda n: min(keep_test_power(n, q, a) for a in alternatives) >= POWER, start=64
    )


def check_keep_rate(kept: int, n: int, q: float, what: str = "kept count") -> None:
    """Assert `kept` of n elements is a plausible Binomial(n, q) count (false alarm ALPHA)."""
    lo, hi = keep_interval(n, q)
    _spend()
    assert lo <= kept <= hi, (
        f"{what}: kept {kept} of {n} elements ({kept / n:.4f}); a keep probability of "
        f"{q:.4f} keeps {lo}..{hi} with probability 1 - {ALPHA:g} "
        f"(power {POWER} against {RELATIVE_ERROR:.0%} off)"
    )


# ---------------------------------------------------------------------------------------
# Constants, and one entry point per law.
# ---------------------------------------------------------------------------------------


def check_constant(samples: np.ndarray, value: float, what: str = "samples") -> None:
    """Assert every sample equals value exactly: no statistics, no tolerance."""
    samples = np.ravel(np.asarray(samples, dtype=np.float64))
    wrong = samples != value
    assert not wrong.any(), (
        f"{what}: {int(wrong.sum())} of {samples.size} elements differ from the constant "
        f"{value!r}; e.g. {samples[wrong][:3].tolist()}"
    )


def samples_needed(law: InitLaw, roundoff: float = 0.0) -> int:
    """The sample size at which check_law() keeps its ALPHA and POWER promises for `law`."""
    if law.kind == "constant":
        return 1
    if law.kind == "normal":
        return normal_samples_needed(roundoff=roundoff)
    h = (law.high - law.low) / 2
    rounding = uniform_slack(law.low, law.high, roundoff) / h if h > 0 else 0.0
    return uniform_samples_needed(rounding=rounding)


def check_law(samples: np.ndarray, law: InitLaw, roundoff: float, what: str = "samples") -> None:
    """Assert the samples follow `law`; roundoff is the dtype's unit roundoff."""
    if law.kind == "constant":
        check_constant(samples, law.value, what)
    elif law.kind == "normal":
        check_normal(samples, law.mean, law.std, what, roundoff)
    else:
        check_uniform(samples, law.low, law.high, roundoff, what)
