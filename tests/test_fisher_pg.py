"""Policy gradients of log-linear policies: exact quantities, unbiased estimators
with power against broken ones, and N-PG-IGT / (N-)HARPG."""

import numpy as np
import pytest
from scipy.stats import norm

from theoryrl.agents.fisher_pg import GaussianBandit, TabularOracle, run_pg
from theoryrl.claims import fit_loglog_slope
from theoryrl.evaluation.policy_gradient import PolicyGradientMDP
from theoryrl.planning import policy_iteration


def instance(seed=0, S=5, A=3, loglinear=False):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(S, 0.5), size=(S, A))
    R = rng.uniform(size=(S, A))
    phi = rng.normal(size=(S, A, 4)) if loglinear else None
    return PolicyGradientMDP(P, R, 0.9, np.full(S, 1 / S), phi)


def max_abs_z(samples, target):
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return float(np.max(np.abs(mean - target) / se))


def bonferroni_z(d, level=1e-3):
    return norm.ppf(1 - level / (2 * d))


@pytest.mark.parametrize("loglinear", [False, True])
def test_exact_gradient_matches_finite_differences(loglinear):
    m = instance(1, loglinear=loglinear)
    theta = np.random.default_rng(2).normal(size=m.dim)
    E = np.eye(m.dim) * 1e-6
    fd = (m.value(theta + E) - m.value(theta - E)) / 2e-6
    g = m.gradient(theta)
    assert np.abs(fd - g).max() <= 1e-6 * np.abs(g).max()
    fdH = (m.truncated_value(theta + E, 30) - m.truncated_value(theta - E, 30)) / 2e-6
    assert np.abs(fdH - m.truncated_gradient(theta, 30)).max() <= 1e-6 * np.abs(g).max()


def test_truncation_bias_decays_like_h_gamma_h():
    m = instance(3)
    theta = np.random.default_rng(0).normal(size=m.dim)
    Hs = np.array([10, 20, 40, 80])
    bias = np.array([np.abs(m.gradient(theta) - m.truncated_gradient(theta, H)).max()
                     for H in Hs])
    assert (bias <= 2 * Hs * 0.9 ** Hs / (1 - 0.9) ** 2).all()
    assert (np.diff(np.log(bias)) < 0).all()


@pytest.mark.parametrize("estimator", ["gpomdp", "reinforce"])
def test_gradient_estimators_are_unbiased(estimator):
    m = instance(0)
    theta = np.random.default_rng(1).normal(size=m.dim) * 0.5
    H, N = 40, 20_000
    traj = m.sample(np.tile(theta, (N, 1)), H, np.random.default_rng(5))
    g = getattr(m, estimator)(np.tile(theta, (N, 1)), traj)
    assert max_abs_z(g, m.truncated_gradient(theta, H)) < bonferroni_z(m.dim)


class FlippedProduct(PolicyGradientMDP):
    """Broken: the score-product term enters with the wrong sign."""

    def hvp(self, theta, traj, v):
        theta, v = np.atleast_2d(theta), np.atleast_2d(v)
        good = super().hvp(theta, traj, v)
        psi = self._step_scores(theta, traj)
        togo = np.cumsum(traj.disc_rewards[:, ::-1], axis=1)[:, ::-1]
        first = np.einsum("rh,rhd->rd", togo, psi) * np.einsum("rhd,rd->r", psi, v)[:, None]
        return good - 2 * first


class NoProduct(PolicyGradientMDP):
    """Broken: the score-product term is dropped."""

    def hvp(self, theta, traj, v):
        theta, v = np.atleast_2d(theta), np.atleast_2d(v)
        togo = np.cumsum(traj.disc_rewards[:, ::-1], axis=1)[:, ::-1]
        return self._curvature(theta, traj, togo, v)


def test_hvp_estimator_is_unbiased_and_the_test_has_power():
    base = instance(0)
    theta = np.random.default_rng(1).normal(size=base.dim) * 0.5
    v = np.random.default_rng(2).normal(size=base.dim)
    H, N = 40, 20_000
    target = base.truncated_hessian(theta, H) @ v
    crit = bonferroni_z(base.dim)
    zs = {}
    for cls in (PolicyGradientMDP, FlippedProduct, NoProduct):
        m = cls(base.P, base.R, base.gamma, base.rho)
        traj = m.sample(np.tile(theta, (N, 1)), H, np.random.default_rng(7))
        zs[cls.__name__] = max_abs_z(m.hvp(np.tile(theta, (N, 1)), traj, np.tile(v, (N, 1))),
                                     target)
    assert zs["PolicyGradientMDP"] < crit
    assert zs["FlippedProduct"] > 10 and zs["NoProduct"] > 10


def test_fundamental_theorem_identity_behind_harpg():
    m = instance(4)
    rng = np.random.default_rng(0)
    x, w = np.polynomial.legendre.leggauss(8)
    q, w = (x + 1) / 2, w / 2
    for _ in range(3):
        a, b = rng.normal(size=(2, m.dim))
        avg = sum(wi * m.truncated_hessian(a + qi * (b - a), 30) for qi, wi in zip(q, w,
                                                                                  strict=True))
        lhs = avg @ (b - a)
        rhs = m.truncated_gradient(b, 30) - m.truncated_gradient(a, 30)
        assert np.abs(lhs - rhs).max() <= 1e-7


class ExactQuadratic:
    """f(theta) = -theta' M theta / 2 + b' theta with exact gradients."""

    dim, steps = 6, 1

    def __init__(self):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(6, 6))
        self.M, self.b = X @ X.T + np.eye(6), rng.normal(size=6)

    def grad(self, theta, rng):
        return -theta @ self.M + self.b

    def value(self, theta):
        return -0.5 * np.einsum("rd,de,re->r", theta, self.M, theta) + theta @ self.b


def test_igt_transports_the_gradient_exactly_on_quadratics():
    f = ExactQuadratic()
    theta = np.zeros((1, 6))
    prev = theta.copy()
    d = np.zeros((1, 6))
    for t in range(200):
        eta = (2.0 / (t + 2)) ** 0.8
        tilde = theta + (1 - eta) / eta * (theta - prev)
        d = (1 - eta) * d + eta * f.grad(tilde, None)
        assert np.abs(d - f.grad(theta, None)).max() <= 1e-10 * (1 + np.abs(d).max())
        prev, theta = theta, theta + 2.0 / (t + 2) * d / np.linalg.norm(d)


def test_harpg_momentum_stays_unbiased():
    """E[d_t - grad J_H(theta_t)] = 0 for every t (a STORM-type recursion)."""
    m = instance(0)
    H, R, alpha0 = 30, 1500, 0.5
    oracle = TabularOracle(m, H)
    rng = np.random.default_rng(3)
    theta = np.zeros((R, m.dim))
    prev = theta.copy()
    d = oracle.grad(theta, rng)
    crit = bonferroni_z(m.dim)
    for t in range(1, 21):
        prev, theta = theta, theta + alpha0 * 2.0 / (t + 1) * d / np.linalg.norm(
            d, axis=1, keepdims=True)
        eta = 2.0 / (t + 2)
        q = rng.random((R, 1))
        hat = q * theta + (1 - q) * prev
        d = (1 - eta) * (d + oracle.hvp(hat, theta - prev, rng)) + eta * oracle.grad(theta, rng)
        if t in (5, 20):
            assert max_abs_z(d - m.truncated_gradient(theta, H), 0.0) < crit


def test_exact_oracle_normalised_pg_converges():
    m = instance(0)
    jstar = m.rho @ policy_iteration(m.P, m.R, m.gamma).V
    theta = np.zeros(m.dim)
    gaps = []
    for t in range(200):
        g = m.gradient(theta)
        theta = theta + 5.0 * 2.0 / (t + 2) * g / np.linalg.norm(g)
        gaps.append(jstar - m.value(theta))
    gaps = np.array(gaps)
    assert gaps[-1] <= 1e-6
    assert (np.diff(gaps[50:]) <= 1e-12).all()


@pytest.mark.parametrize("method", ["n_pg_igt", "n_harpg"])
def test_stochastic_momentum_methods_improve_on_nsgd(method):
    """Regression-type test (not a theorem check): one trajectory per iteration."""
    m = instance(0)
    oracle = TabularOracle(m, 40)
    jstar = m.rho @ policy_iteration(m.P, m.R, m.gamma).V
    runs = {k: run_pg(k, oracle, np.zeros(m.dim), 400, 1.0, runs=32, seed=11, record=[0, 400])
            for k in (method, "nsgd")}
    gap0 = jstar - runs[method].values[0]
    gap = {k: jstar - r.values[-1] for k, r in runs.items()}
    se = gap[method].std(ddof=1) / np.sqrt(32)
    assert gap[method].mean() < gap0.mean() - 5 * se
    diff = gap["nsgd"] - gap[method]
    assert diff.mean() / (diff.std(ddof=1) / np.sqrt(32)) > norm.ppf(0.99)


@pytest.mark.parametrize("method,slope_max", [("n_pg_igt", -0.4), ("n_harpg", -0.5)])
def test_local_rate_on_the_gaussian_bandit(method, slope_max):
    toy = GaussianBandit(1.0)
    Ts = [500, 5_000, 20_000]  # the full-size check (to 1e5) is the proof check B10
    res = run_pg(method, toy, np.array([1.5]), Ts[-1], 1.0, runs=200, seed=5, record=Ts)
    med = np.median(toy.optimum() - res.values, axis=1)
    assert fit_loglog_slope(np.array(Ts), med).slope <= slope_max


def test_sample_accounting():
    toy = GaussianBandit()
    igt = run_pg("n_pg_igt", toy, np.array([1.0]), 10, 0.1, record=[10])
    harpg = run_pg("n_harpg", toy, np.array([1.0]), 10, 0.1, record=[10])
    assert igt.samples[-1] == 10 and harpg.samples[-1] == 19


def test_bad_input():
    toy = GaussianBandit()
    with pytest.raises(ValueError, match="method"):
        run_pg("adam", toy, np.array([1.0]), 10, 0.1)
    with pytest.raises(ValueError, match="theta0"):
        run_pg("pg", toy, np.zeros(2), 10, 0.1)
    with pytest.raises(ValueError, match="eta0"):
        run_pg("n_harpg", toy, np.zeros(1), 10, 0.1, eta0=2.0)
