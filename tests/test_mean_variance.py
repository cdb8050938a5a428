"""Tests of the mean-variance learners, their evaluation and PG's tables (PG Section 5.1,
Tables 1-2).

The kernels are checked against plain-NumPy twins of one iteration (the WZ
update against a finite-difference gradient of its MSTDE objective, the PG
update against finite-difference scores), the evaluation against the exact
discrete-time moments of a linear feedback policy, and the learners on the
strong-signal scenarios (mu, sigma) = (+-0.5, 0.1), where both must reach the
target mean with the sign of mu, and must not when the actor is frozen.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theoryrl.agents import _mean_variance_kernels as kern
from theoryrl.agents.mean_variance import (
    MVFit,
    MVSetting,
    emv_wang_zhou,
    oracle_policy,
    pg_offline_ac,
    simulate_returns,
)
from theoryrl.evaluation import _mean_variance_kernels as eval_kern
from theoryrl.evaluation.mean_variance import PG_GRID, PG_TABLE1, PG_TABLE2, evaluate_policy
from theoryrl.experiment.mean_variance import replicate

FAST = settings(derandomize=True, max_examples=15, deadline=None)
SMALL = MVSetting(years=2, batch=4)          # tiny runs for determinism and validation
EASY = MVSetting(batch=16)                   # PG's setting with fewer windows per iteration
LEARNERS = {"wz": emv_wang_zhou, "pg": pg_offline_ac}


# -- PG's tables ------------------------------------------------------------------

def test_pg_tables_cover_the_grid():
    # PG Section 5.1 [S]: mu in {-0.5, ..., 0.5} x sigma in {0.1, ..., 0.4}
    mus = (-0.5, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5)
    sigmas = (0.1, 0.2, 0.3, 0.4)
    assert set(PG_GRID) == {(m, s) for m in mus for s in sigmas}
    assert set(PG_TABLE1) == set(PG_TABLE2) == set(PG_GRID)
    # spot values, PG Tables 1 and 2
    assert PG_TABLE1[(-0.5, 0.1)] == ((1.40, 0.015), (0.0, 0.00033), (6.69, 0.096))
    assert PG_TABLE2[(0.5, 0.1)] == ((1.40, 0.014), (0.0, 0.00016), (7.35, 0.055))


# -- oracle and evaluation ----------------------------------------------------------

@FAST
@given(mu=st.floats(-1.0, 1.0).filter(lambda m: abs(m) > 1e-3), sigma=st.floats(0.05, 0.6),
       T=st.sampled_from([0.5, 1.0, 2.0]))
def test_oracle_meets_the_target_in_continuous_time(mu, sigma, T):
    # Under u = -c (x - w), E x_T = w + (x0 - w) exp(-c mu T); WZ's c = mu / sigma^2 and
    # w* = (z e^{rho^2 T} - x0) / (e^{rho^2 T} - 1) give exactly z (WZ's optimal EMV policy).
    s = MVSetting(T=T, dt=T / 10)
    c, w = oracle_policy(mu, sigma, s)
    assert c * sigma ** 2 == pytest.approx(mu, rel=1e-12)
    assert w >= s.z
    assert w + (s.x0 - w) * math.exp(-c * mu * T) == pytest.approx(s.z, rel=1e-9, abs=1e-9)
    assert oracle_policy(-mu, sigma, s) == pytest.approx((-c, w))


def test_oracle_edge_cases():
    assert oracle_policy(0.0, 0.2) == (0.0, 1.4)
    c, w = oracle_policy(0.5, 0.01)              # rho^2 T = 2500: the limit w = z
    assert (c, w) == (pytest.approx(5000.0), 1.4)


@pytest.mark.parametrize("policy,mu,sigma", [((2.0, 3.0), 0.3, 0.2), ((-1.0, 0.5), 0.1, 0.4),
                                             (oracle_policy(0.3, 0.3), 0.3, 0.3)])
def test_evaluate_policy_matches_exact_discrete_moments(policy, mu, sigma):
    # y_{k+1} = y_k (1 - c R_k) with R_k iid: E y_K = y_0 (1 - c m1)^K and
    # E y_K^2 = y_0^2 (1 - 2 c m1 + c^2 m2)^K, m1 = E R, m2 = E R^2 (exact GBM returns).
    c, w = policy
    s = MVSetting()
    dt, K = s.dt, s.K
    m1 = math.expm1(mu * dt)
    m2 = math.exp((2 * mu + sigma ** 2) * dt) - 2 * math.exp(mu * dt) + 1
    y0 = s.x0 - w
    mean = w + y0 * (1 - c * m1) ** K
    second = y0 ** 2 * (1 - 2 * c * m1 + c * c * m2) ** K
    var = second - (mean - w) ** 2
    n = 20_000
    ev = evaluate_policy(policy, mu, sigma, n_paths=n, seed=3)
    assert abs(ev["mean"] - mean) < 4 * math.sqrt(var / n)
    assert ev["var"] == pytest.approx(var, rel=0.1)
    assert ev["sharpe"] == pytest.approx((ev["mean"] - 1) / math.sqrt(ev["var"]))


def test_evaluate_policy_without_trading():
    ev = evaluate_policy((0.0, 7.0), 0.3, 0.2, n_paths=10)
    assert ev["mean"] == 1.0 and ev["var"] == 0.0 and math.isnan(ev["sharpe"])


@FAST
@given(seed=st.integers(0, 2 ** 32), n=st.integers(1, 5), K=st.integers(1, 30),
       c=st.floats(-5, 5), w=st.floats(-3, 3), x0=st.floats(0.1, 2.0))
def test_terminal_wealth_kernel_matches_numpy(seed, n, K, c, w, x0):
    R = simulate_returns(0.2, 0.3, (n, K), 0.01, np.random.default_rng(seed))
    out = np.empty(n)
    eval_kern._terminal_wealth(R, c, w, x0, out)
    x = np.full(n, x0)
    for k in range(K):
        x = x - c * (x - w) * R[:, k]
    np.testing.assert_allclose(out, x, rtol=1e-12, atol=1e-12)


@FAST
@given(mu=st.floats(-2, 2), sigma=st.floats(1e-3, 2.0),
       shape=st.one_of(st.integers(0, 50), st.tuples(st.integers(0, 6), st.integers(0, 9))),
       dt=st.floats(1e-4, 1.0), seed=st.integers(0, 2 ** 32))
def test_simulate_returns_shape_and_range(mu, sigma, shape, dt, seed):
    R = simulate_returns(mu, sigma, shape, dt, np.random.default_rng(seed))
    assert R.shape == ((shape,) if isinstance(shape, int) else shape)
    assert R.dtype == np.float64
    assert np.all(np.isfinite(R)) and np.all(R > -1.0)
    again = simulate_returns(mu, sigma, shape, dt, np.random.default_rng(seed))
    np.testing.assert_array_equal(R, again)


# -- one iteration of each kernel against a NumPy twin ------------------------------

def _one_iteration_data(seed, K=12, m=3):
    rng = np.random.default_rng(seed)
    R = simulate_returns(0.4, 0.3, 3 * K, 1.0 / K, rng)
    starts = rng.integers(0, 2 * K + 1, size=(1, m))
    Z = rng.standard_normal((1, m, K))
    return R, starts, Z, 1.0 / K, 1.0


def _fd_grad(f, p, eps=1e-6):
    g = np.zeros_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = eps
        g[i] = (f(p + e) - f(p - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("seed", [0, 1])
def test_pg_kernel_is_td0_critic_and_policy_gradient_actor(seed):
    R, starts, Z, dt, T = _one_iteration_data(seed)
    lam, z, x0, w = 0.1, 1.4, 1.0, 1.7
    theta0, phi0 = np.array([0.2, -0.1, 0.5]), np.array([1.3, -0.4, 0.3])
    a_th, a_ph = 0.05, 0.02
    theta, phi = theta0.copy(), phi0.copy()
    state = np.array([w, 0.0, 0.0, 0.0, 0.0])
    xT, wp = np.empty(1), np.empty(1)
    kern._pg_offline(R, starts, Z, dt, T, lam, z, x0, np.array([a_th]), np.array([a_ph]),
                     0.05, 0.0, 10, theta, phi, state, xT, wp, np.zeros(6))

    def V(t, x, th):
        return ((x - w) ** 2 * math.exp(-th[2] * (T - t)) + th[1] * (t * t - T * T)
                + th[0] * (t - T) - (w - z) ** 2)

    def logpi(a, x, t, ph):
        v = math.exp(ph[1] + ph[2] * (T - t))
        return -0.5 * math.log(2 * math.pi * v) - (a + ph[0] * (x - w)) ** 2 / (2 * v)

    m, K = Z.shape[1:]
    g_th, g_ph, xs = np.zeros(3), np.zeros(3), []
    for n in range(m):
        x = x0
        for k in range(K):
            t = k * dt
            sd = math.exp(0.5 * (phi0[1] + phi0[2] * (T - t)))
            a = -phi0[0] * (x - w) + sd * Z[0, n, k]
            xn = x + a * R[starts[0, n] + k]
            delta = V(t + dt, xn, theta0) - V(t, x, theta0) + lam * logpi(a, x, t, phi0) * dt
            g_th += _fd_grad(lambda th, t=t, x=x: V(t, x, th), theta0) * delta
            score = _fd_grad(lambda ph, a=a, x=x, t=t: logpi(a, x, t, ph), phi0)
            g_ph += score * (delta + lam * dt)
            x = xn
        xs.append(x)
    np.testing.assert_allclose(theta, theta0 + a_th * g_th / m, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(phi, phi0 - a_ph * g_ph / m, rtol=1e-6, atol=1e-9)
    assert xT[0] == pytest.approx(np.mean(xs), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_wz_kernel_descends_its_mstde_objective(seed):
    # WZ's updates are p <- p - a dC/dp with the sampled path held fixed,
    # C = 1/2 sum_k ((V_{k+1} - V_k)/dt - lam (phi1 + phi2 tau_k))^2 dt, theta_3 = 2 phi2.
    R, starts, Z, dt, T = _one_iteration_data(seed)
    lam, z, x0, w, sign = 0.1, 1.4, 1.0, 1.7, -1.0
    theta0, phi0 = np.array([0.2, -0.1]), np.array([0.3, 0.4])
    a_th, a_ph = 1e-4, 1e-4
    theta, phi = theta0.copy(), phi0.copy()
    state = np.array([w, 0.0, 0.0, 0.0, 0.0])
    kern._wz_emv(R, starts, Z, dt, T, lam, z, x0, np.array([a_th]), np.array([a_ph]),
                 0.05, 0.0, 10, sign, theta, phi, state, np.empty(1), np.empty(1), np.zeros(4))
    m, K = Z.shape[1:]
    c = sign * math.sqrt(2 * phi0[1] / (lam * math.pi)) * math.exp(phi0[0] - 0.5)
    paths = np.empty((m, K + 1))
    for n in range(m):
        paths[n, 0] = x0
        for k in range(K):
            sd = math.exp(phi0[1] * (T - k * dt) + phi0[0] - 0.5) / math.sqrt(2 * math.pi)
            a = -c * (paths[n, k] - w) + sd * Z[0, n, k]
            paths[n, k + 1] = paths[n, k] + a * R[starts[0, n] + k]
    t = np.arange(K + 1) * dt

    def C(p):                                   # p = (theta1, theta2, phi1, phi2)
        V = ((paths - w) ** 2 * np.exp(-2 * p[3] * (T - t)) + p[1] * (t * t - T * T)
             + p[0] * (t - T))
        r = np.diff(V, axis=1) / dt - lam * (p[2] + p[3] * (T - t[:-1]))
        return 0.5 * np.sum(r * r) * dt / m

    p0 = np.concatenate([theta0, phi0])
    g = _fd_grad(C, p0)
    np.testing.assert_allclose(theta, theta0 - a_th * g[:2], rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(phi, phi0 - a_ph * g[2:], rtol=1e-5, atol=1e-10)


def test_multiplier_update_every_w_every_iterations():
    state = np.zeros(5)
    for _ in range(25):
        kern._w_step(state, 3.0 * 1.0, 3, 0.05, 0.0, 10, 1.4)   # mean x_T = 1
    # two updates of +0.05 * 0.4 each, constant rate
    assert state[0] == pytest.approx(0.04)
    assert state[4] == 2 and state[2] == 15


# -- determinism ------------------------------------------------------------------

@pytest.mark.parametrize("algo", ["wz", "pg"])
def test_seed_fixes_the_run_whatever_the_chunk(algo):
    fn = LEARNERS[algo]
    a = fn(0.3, 0.2, iterations=25, setting=SMALL, seed=7, chunk=25)
    b = fn(0.3, 0.2, iterations=25, setting=SMALL, seed=7, chunk=4)   # crosses w-updates
    c = fn(0.3, 0.2, iterations=25, setting=SMALL, seed=8, chunk=25)
    for f in (a, b, c):
        assert isinstance(f, MVFit) and not f.diverged and np.all(np.isfinite(f.xT_mean))
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.phi, b.phi)
    np.testing.assert_array_equal(a.xT_mean, b.xT_mean)
    np.testing.assert_array_equal(a.w_path, b.w_path)
    assert a.coef == b.coef and a.w == b.w
    assert not np.array_equal(a.xT_mean, c.xT_mean)


def test_replicate_is_runs_of_the_learner():
    out = replicate("pg", 0.3, 0.2, runs=2, iterations=20, n_test=50, seed=4, setting=SMALL)
    assert out.diverged == 0 and len(out.runs) == 2
    fit = pg_offline_ac(0.3, 0.2, iterations=20, setting=SMALL, seed=5)
    ev = evaluate_policy(fit, 0.3, 0.2, n_paths=50, setting=SMALL, seed=10 ** 6 + 5)
    assert out.runs[1]["mean"] == ev["mean"] and out.runs[1]["coef"] == fit.coef
    means = [r["mean"] for r in out.runs]
    assert out.mean == pytest.approx((np.mean(means), np.std(means, ddof=1)))


# -- learning on the strong-signal scenarios ---------------------------------------

def _reaches_target(fit, mu, sigma, tol):
    ev = evaluate_policy(fit, mu, sigma, n_paths=4000, seed=11)
    return (np.sign(fit.coef) == np.sign(mu) and abs(ev["mean"] - 1.4) < tol
            and ev["sharpe"] > abs(mu) / sigma)


@pytest.mark.parametrize("mu", [0.5, -0.5])
def test_pg_offline_learns_toward_the_oracle(mu):
    # Oracle (c, w) = (+-50, 1.4), E x_T = 1.4 (Sharpe ~1e11). Within 3000 iterations the
    # learned |c| is ~2.2 (PG's Table 2 Sharpe 7.35-8.15 corresponds to |c| ~ 1.5-1.9);
    # the out-of-sample mean is within 0.03 of z (PG: 1.40 (0.014)), and the Sharpe ratio
    # exceeds |rho| = 5, the c -> 0 limit of this policy family.
    fit = pg_offline_ac(mu, 0.1, iterations=3000, setting=EASY, seed=0)
    assert abs(fit.coef) > 1.0
    assert _reaches_target(fit, mu, 0.1, tol=0.03)
    frozen = pg_offline_ac(mu, 0.1, iterations=3000, setting=EASY, seed=0, lr_phi=0.0)
    assert frozen.coef == 0.0
    assert not _reaches_target(frozen, mu, 0.1, tol=0.03)


@pytest.mark.parametrize("mu", [0.5, -0.5])
def test_wang_zhou_learns_toward_the_oracle(mu):
    # The MSTDE learner moves slower (|c| ~ 0.8 after 3000 iterations) and w lags
    # behind the growing c, so its mean overshoots to ~1.47 before settling:
    # tolerance 0.1 (PG's Table 1: 1.40 (0.015-0.017) after 2*10^4 iterations).
    fit = emv_wang_zhou(mu, 0.1, iterations=3000, setting=EASY, seed=0)
    assert fit.meta["sign"] == np.sign(mu)
    assert abs(fit.coef) > 0.3
    assert _reaches_target(fit, mu, 0.1, tol=0.1)
    frozen = emv_wang_zhou(mu, 0.1, iterations=3000, setting=EASY, seed=0, lr_phi=0.0)
    assert frozen.coef == 0.0
    assert not _reaches_target(frozen, mu, 0.1, tol=0.1)


# -- validation ---------------------------------------------------------------------

@pytest.mark.parametrize("call,exc,match", [
    (lambda: pg_offline_ac(0.1, 0.0, iterations=2), ValueError, "sigma must be positive"),
    (lambda: pg_offline_ac(math.nan, 0.2, iterations=2), ValueError, "mu must be finite"),
    (lambda: emv_wang_zhou("0.1", 0.2, iterations=2), TypeError, "mu must be a real number"),
    (lambda: emv_wang_zhou(True, 0.2, iterations=2), TypeError, "mu must be a real number"),
    (lambda: pg_offline_ac(0.1, 0.2, iterations=0), ValueError, "iterations must be >= 1"),
    (lambda: pg_offline_ac(0.1, 0.2, iterations=2.0), TypeError, "iterations must be an int"),
    (lambda: pg_offline_ac(0.1, 0.2, iterations=2, lr_phi=-1.0), ValueError, "lr_phi must be"),
    (lambda: emv_wang_zhou(0.1, 0.2, iterations=2, lr_w=math.inf), ValueError, "lr_w must be"),
    (lambda: pg_offline_ac(0.1, 0.2, iterations=2, seed=-1), ValueError, "seed must be >= 0"),
    (lambda: pg_offline_ac(0.1, 0.2, iterations=2, chunk=0), ValueError, "chunk must be >= 1"),
    (lambda: pg_offline_ac(0.1, 0.2, iterations=2, setting={}), TypeError, "setting must be"),
    (lambda: MVSetting(dt=2.0), ValueError, "dt must be at most T"),
    (lambda: MVSetting(dt=0.3), ValueError, r"T / dt must be an integer"),
    (lambda: MVSetting(batch=0), ValueError, "batch must be >= 1"),
    (lambda: MVSetting(gamma=0.0), ValueError, "gamma must be positive"),
    (lambda: MVSetting(z=math.nan), ValueError, "z must be finite"),
    (lambda: MVSetting(w_decay=-0.5), ValueError, "w_decay must be >= 0"),
    (lambda: oracle_policy(0.1, -0.2), ValueError, "sigma must be positive"),
    (lambda: oracle_policy(0.1, 0.2, setting=1), TypeError, "setting must be"),
    (lambda: evaluate_policy((1.0,), 0.1, 0.2), TypeError, r"policy must be an MVFit or a pair"),
    (lambda: evaluate_policy("ab", 0.1, 0.2), TypeError, r"policy must be an MVFit or a pair"),
    (lambda: evaluate_policy((1.0, math.nan), 0.1, 0.2), ValueError, r"policy\[1\] must be fin"),
    (lambda: evaluate_policy((1.0, 2.0), 0.1, 0.2, n_paths=1), ValueError, "n_paths must be"),
    (lambda: simulate_returns(0.1, 0.2, 5, 0.01, None), TypeError, "rng must be a numpy"),
    (lambda: simulate_returns(0.1, 0.2, -1, 0.01, np.random.default_rng(0)), ValueError,
     "shape must be >= 0"),
    (lambda: simulate_returns(0.1, 0.2, 5, 0.0, np.random.default_rng(0)), ValueError,
     "dt must be positive"),
    (lambda: replicate("ppo", 0.1, 0.2, runs=1, iterations=1), ValueError,
     r"algorithm must be one of \['wz', 'pg'\], got 'ppo'"),
    (lambda: replicate("pg", 0.1, 0.2, runs=0, iterations=1), ValueError, "runs must be >= 1"),
    (lambda: replicate("pg", 0.1, 0.2, runs=1, iterations=1, lr=1.0), TypeError,
     "unexpected keyword"),
])
def test_bad_input_is_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_pg_tables_are_data_files_with_one_row_per_scenario():
    from theoryrl.evaluation.mean_variance import load_pg_table

    t1, t2 = load_pg_table("pg_table1"), load_pg_table("pg_table2")
    assert t1 == PG_TABLE1 and t2 == PG_TABLE2
    assert sorted(t1) == sorted(t2) == list(PG_GRID) and len(PG_GRID) == 28
    assert {s for _, s in PG_GRID} == {0.1, 0.2, 0.3, 0.4}
    with pytest.raises(ValueError, match=r"name must be one of \['pg_table1', 'pg_table2'\]"):
        load_pg_table("pg_table3")


def test_no_upward_import_of_the_experiment_layer():
    import ast
    import pathlib

    import theoryrl.evaluation

    root = pathlib.Path(theoryrl.evaluation.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert "experiment" not in node.module.split("."), path.name
