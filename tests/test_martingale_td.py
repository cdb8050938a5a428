"""Tests of theoryrl.models.diffusion and theoryrl.evaluation.martingale_td (check C6)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theoryrl.evaluation import _martingale_td_kernels as kern
from theoryrl.evaluation.martingale_td import (
    LinearApproximator,
    Paths,
    ergodic_td,
    gtd_fit,
    lstd,
    ml_fit,
    mstde_brownian_limit,
    population_statistics,
    td_lambda_nonlinear,
    td_lambda_sa,
    td_statistics,
    trace_decay,
    value_error,
)
from theoryrl.models import _diffusion_kernels as dkern
from theoryrl.models.diffusion import (
    BrownianQuadratic,
    ErgodicLQ,
    MeanVarianceGaussian,
    OUDiscounted,
    OUQuadratic,
    PolyFeatures,
)

FAST = settings(derandomize=True, max_examples=15, deadline=None)


def _random_paths(seed, n, K, beta=0.0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.3, K + 1)
    return Paths(t, rng.normal(size=(n, K + 1)), rng.normal(size=(n, K)), rng.normal(size=n),
                 beta)


def _feat(seed, L):
    M = np.random.default_rng(seed + 99).normal(size=(L, 3))

    def f(t, x):
        base = np.stack([np.ones_like(x), x, np.sin(x) + t], axis=-1)
        return base @ M.T
    return f


# -- closed forms --------------------------------------------------------------

def test_reference_numbers_of_spec():
    m = OUQuadratic()   # benchmark B1 defaults (docs/theory/martingale_td.md)
    np.testing.assert_allclose(m.theta_star, [0.454545, 0.045455, 0.113636, 0.011364],
                               atol=1e-6)
    assert m.value(0.0, 1.0) == pytest.approx(0.566598, abs=1e-6)
    assert m.value(0.0, 0.0) == pytest.approx(0.107016, abs=1e-6)
    # C2: population LSTD(0) error 0.03327 at K=4, 0.00025 at K=512 (exact moments)
    f = m.realizable_features()
    assert value_error(m, f, population_statistics(m, f, 4).lstd()) == pytest.approx(
        0.03327, abs=1e-5)


@pytest.mark.parametrize("K", [2, 10, 40, 160])
def test_brownian_mstde_formula_and_lstd_exact(K):
    m = BrownianQuadratic(sigma=0.7, T=2.0)
    st_ = population_statistics(m, m.features(), K, lams=(0.0, 0.5))
    np.testing.assert_allclose(st_.mstde(), [mstde_brownian_limit(K), 0.49], atol=1e-10)
    for th in (st_.lstd(0.0), st_.lstd(0.5), st_.ml()):
        np.testing.assert_allclose(th, [1.0, 0.49], atol=1e-10)


@FAST
@given(st.floats(0.3, 2.0), st.floats(0.2, 1.0), st.floats(0.0, 0.6), st.integers(0, 10 ** 6))
def test_ou_value_matches_monte_carlo_return(kappa, sigma, beta, seed):
    """J(0, X_0) against discounted returns from exact paths, within a 5-SE band."""
    m = OUQuadratic(kappa=kappa, sigma=sigma, beta=beta, m0=0.3, s0=0.0)
    K = 400
    X = m.sample_paths(4000, K, rng=np.random.default_rng(seed))
    dt = m.T / K
    t = m.grid(K)
    # trapezoid on the exact path: quadrature error O(dt^2), far below the MC band
    integrand = np.exp(-beta * t) * m.q * X ** 2
    G = dt * (integrand[:, 1:] + integrand[:, :-1]).sum(axis=1) / 2 + np.exp(
        -beta * m.T) * m.p * X[:, -1] ** 2
    se = G.std(ddof=1) / np.sqrt(G.size)
    assert abs(G.mean() - m.value(0.0, 0.3)) < 5 * se + 1e-4


@FAST
@given(st.floats(-0.5, 0.5), st.floats(-0.2, 0.2), st.floats(-2.0, 0.5))
def test_ergodic_closed_form_equals_stationary_average(phi1, phi2, phi3):
    m = ErgodicLQ(phi1, phi2, phi3)
    m2 = m.c0 / (-2 * m.A - m.D ** 2 * phi1 ** 2)     # stationary E X^2 (mean 0)
    assert m.average_reward == pytest.approx(m.r2 * m2 + m.r0, rel=1e-12)
    # Feynman-Kac residual of J = theta_a x^2/2 + theta_b x vanishes at random x
    ta, tb = m.theta_star
    for x in (-1.3, 0.2, 2.0):
        res = (m.A * x * (ta * x + tb) + 0.5 * m.vol(0, x) ** 2 * ta
               + m.r2 * x * x + m.r1 * x + m.r0 - m.average_reward)
        assert abs(res) < 1e-10


def test_mean_variance_value_against_monte_carlo():
    m = MeanVarianceGaussian(mu=0.3, sigma=0.2, v=0.02)
    X = m.sample_paths(20000, 250, rng=np.random.default_rng(0), scheme="euler", substeps=4)
    G = m.terminal(X[:, -1]) + m.gamma * m.entropy * m.T
    se = G.std(ddof=1) / np.sqrt(G.size)
    assert abs(G.mean() - m.value(0.0, m.x0)) < 5 * se + 2e-3   # + Euler weak error
    mean, var = m.terminal_moments()
    assert abs(X[:, -1].mean() - mean) < 5 * X[:, -1].std() / np.sqrt(X.shape[0]) + 2e-3


# -- estimator identities (check C6) ---------------------------------------------

@FAST
@given(st.integers(0, 10 ** 6), st.integers(2, 30), st.integers(1, 4))
def test_td1_equals_ml_on_arbitrary_arrays(seed, K, L):
    p = _random_paths(seed, 7, K)
    s = td_statistics(p, _feat(seed, L), lams=(1.0,))
    th = np.random.default_rng(seed).normal(size=L)
    np.testing.assert_allclose(s.g(th, 1.0), s.gm - s.Gm @ th, atol=1e-11)


@FAST
@given(st.integers(0, 10 ** 6), st.floats(0.05, 2.0))
def test_td1_equals_ml_with_exact_discounting_only(seed, beta):
    p = _random_paths(seed, 5, 12, beta=beta)
    f = _feat(seed, 2)
    th = np.array([0.4, -1.1])
    ex = td_statistics(p, f, lams=(1.0,), discount="exact")
    np.testing.assert_allclose(ex.g(th, 1.0), ex.gm - ex.Gm @ th, atol=1e-11)
    eu = td_statistics(p, f, lams=(1.0,), discount="euler")
    assert np.abs(eu.g(th, 1.0) - (eu.gm - eu.Gm @ th)).max() > 1e-8


@FAST
@given(st.integers(0, 10 ** 6), st.floats(0.01, 1.0))
def test_trace_recursion_equals_explicit_sum(seed, lam):
    p = _random_paths(seed, 3, 9)
    f = _feat(seed, 2)
    s = td_statistics(p, f, lams=(lam,))
    phi = f(p.t, p.X)
    dt = p.dt
    A = np.zeros((2, 2))
    for n in range(p.n):
        for k in range(p.K):
            xi = sum(lam ** (p.t[k] - p.t[j]) * phi[n, j] * dt for j in range(k + 1))
            c = (phi[n, k + 1] if k < p.K - 1 else 0) - phi[n, k]
            A += np.outer(xi, c)
    np.testing.assert_allclose(s.A[0], A / p.n, atol=1e-12)


@FAST
@given(st.integers(0, 10 ** 6), st.sampled_from([0.0, 0.4, 1.0]))
def test_lstd_invariant_under_reparametrisation(seed, lam):
    p = _random_paths(seed, 40, 10)
    f = _feat(seed, 3)
    Mx = np.random.default_rng(seed).normal(size=(3, 3)) + 3 * np.eye(3)

    def g(t, x):
        return f(t, x) @ Mx.T

    th_f = lstd(p, f, lam=lam)
    th_g = lstd(p, g, lam=lam)
    np.testing.assert_allclose(np.linalg.solve(Mx.T, th_f), th_g, rtol=1e-6, atol=1e-8)


@FAST
@given(st.integers(0, 10 ** 6))
def test_ml_closed_form_zeroes_gradient(seed):
    p = _random_paths(seed, 30, 8)
    s = td_statistics(p, _feat(seed, 3))
    np.testing.assert_allclose(s.gm - s.Gm @ s.ml(), 0.0, atol=1e-10)


@FAST
@given(st.integers(0, 10 ** 6))
def test_gtd_equals_lstd_when_exactly_identified(seed):
    p = _random_paths(seed, 30, 8)
    f = _feat(seed, 3)
    B = np.random.default_rng(seed).normal(size=(3, 3))
    W = B @ B.T + np.eye(3)
    ref = lstd(p, f)
    for A in ("identity", "inv_gram", W):
        np.testing.assert_allclose(gtd_fit(p, f, A=A), ref, rtol=1e-6, atol=1e-8)


def test_overidentified_gtd_depends_on_weight():
    m = OUQuadratic(beta=0.0)
    f = m.features("quad")
    tf = PolyFeatures((0, 2, 1, 4), tuple(lambda t: np.ones_like(t) for _ in range(4)),
                      ("1", "x2", "x", "x4"))
    s = td_statistics(m, f, test_features=tf, n_paths=4000, K=20, seed=1)
    assert np.abs(s.gtd(A="identity") - s.gtd(A="inv_gram")).max() > 1e-4


def test_population_matches_monte_carlo_within_ci():
    m = OUQuadratic()
    f = m.realizable_features()
    pop = population_statistics(m, f, 10, lams=(0.0, 0.7))
    reps = [td_statistics(m, f, lams=(0.0, 0.7), n_paths=4000, K=10, seed=s) for s in range(10)]
    for key in ("A", "b", "Gm", "gm", "C", "cd"):
        vals = np.stack([getattr(r, key) for r in reps])
        se = vals.std(axis=0, ddof=1) / np.sqrt(len(reps))
        z = (vals.mean(axis=0) - getattr(pop, key)) / np.maximum(se, 1e-12)
        assert np.abs(z).max() < 5.5, key     # Bonferroni over <= 40 entries


def test_nonlinear_path_with_linear_approximator_matches_linear_sa():
    m = OUQuadratic()
    f = m.realizable_features()
    a = td_lambda_sa(m, f, K=10, iterations=20, batch=8, rng=np.random.default_rng(3),
                     lam=0.5)
    b = td_lambda_nonlinear(m, LinearApproximator(f), np.zeros(4), K=10, iterations=20,
                            batch=8, rng=np.random.default_rng(3), lam=0.5)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-9, atol=1e-12)


def test_ergodic_td_converges_towards_closed_form():
    m = ErgodicLQ(0.0, 0.0, 0.0)
    res = ergodic_td(m, dt=0.01, steps=400_000, alpha0=0.05, rng=np.random.default_rng(0))
    np.testing.assert_allclose(res["theta"], m.theta_star, atol=0.25)
    assert abs(res["V"] - m.average_reward) < 0.25


def test_chunking_does_not_change_totals_beyond_rounding():
    m = OUQuadratic()
    f = m.realizable_features()
    a = td_statistics(m, f, n_paths=300, K=8, seed=4, chunk=300)
    X = m.sample_paths(300, 8, rng=np.random.default_rng(np.random.SeedSequence(4).spawn(1)[0]))
    b = td_statistics(Paths.from_model(m, X), f)
    np.testing.assert_allclose(a.A, b.A, rtol=1e-12)


# -- compiled kernels and backends ------------------------------------------------

def test_kernels_are_numba_compiled():
    for k in (kern._td_statistics, kern._online_td, kern._ergodic_td, dkern._gaussian_paths,
              dkern._euler_paths):
        assert isinstance(k, numba.core.registry.CPUDispatcher)


def test_array_api_strict_backend_equals_numba():
    pytest.importorskip("array_api_strict")
    m = OUQuadratic()
    f = m.realizable_features()
    p = Paths.from_model(m, m.sample_paths(30, 12, rng=np.random.default_rng(2)))
    a = td_statistics(p, f, lams=(0.0, 0.5, 1.0))
    b = td_statistics(p, f, lams=(0.0, 0.5, 1.0), backend="array_api_strict")
    for key in ("A", "b", "S", "Gm", "gm", "C", "cd", "scal"):
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=1e-12, atol=1e-14)


def test_array_api_strict_sampler_equals_compiled():
    xps = pytest.importorskip("array_api_strict")
    m = OUQuadratic()
    a = m.sample_paths(5, 7, rng=np.random.default_rng(9))
    b = m.sample_paths_xp(5, 7, rng=np.random.default_rng(9), xp=xps)
    np.testing.assert_allclose(a, np.asarray(b), rtol=1e-13)


def test_euler_converges_to_exact_in_law():
    m = OUQuadratic()
    rng = np.random.default_rng(0)
    Xe = m.sample_paths(20000, 10, rng=rng, scheme="euler", substeps=16)
    mean, var = m.moments(m.T)
    assert abs(Xe[:, -1].var() - var) < 5 * var * np.sqrt(2 / 20000) + 0.003


# -- validation ------------------------------------------------------------------

def test_validation_messages_name_the_argument():
    m = OUQuadratic()
    f = m.realizable_features()
    with pytest.raises(ValueError, match="dt must be positive"):
        trace_decay(0.5, -0.1)
    with pytest.raises(ValueError, match=r"lam must be in \[0, 1\]"):
        trace_decay(1.5, 0.1)
    with pytest.raises(ValueError, match="discount must be one of"):
        td_statistics(m, f, n_paths=10, K=4, seed=0, discount="per-step")
    with pytest.raises(ValueError, match="kappa must be positive"):
        OUQuadratic(kappa=-1.0)
    with pytest.raises(ValueError, match=r"r must have shape \(2, 3\)"):
        Paths(np.arange(4.0), np.zeros((2, 4)), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="dt must be positive"):
        Paths(np.array([0.0, 1.0, 0.5]), np.zeros((1, 3)), np.zeros((1, 2)), np.zeros(1))
    with pytest.raises(ValueError, match="A must be symmetric positive definite"):
        gtd_fit(m, f, A=-np.eye(4), n_paths=50, K=4, seed=0)
    with pytest.raises(ValueError, match="n_paths, K and seed must be given"):
        ml_fit(m, f)
    with pytest.raises(ValueError, match="scheme must be"):
        m.sample_paths(2, 3, rng=np.random.default_rng(0), scheme="milstein")
    with pytest.raises(ValueError, match="no exact Gaussian transition"):
        MeanVarianceGaussian().sample_paths(2, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="phi1 must satisfy"):
        ErgodicLQ(phi1=2.0)
    with pytest.raises(ValueError, match="dt must be given"):
        OUDiscounted().sample_paths(2, 3, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        m.sample_paths(2, 3, rng=0)
    with pytest.raises(ValueError, match="K must be >= 1"):
        mstde_brownian_limit(0)
