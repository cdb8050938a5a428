"""Exact policy mirror descent: closed form, monotonicity, the rate bounds of
Agarwal et al. / Xiao / Cen et al. / Shani et al., and the practical MDPO step."""

import numpy as np
import pytest
from scipy.special import logsumexp

from theoryrl.agents.mdpo import (
    cen_bound,
    constant_step_bound,
    geometric_step_bound,
    mdpo_inner_sgd,
    mirror_descent_step,
    policy_mirror_descent,
    regularisation_bias_bound,
    schedule,
    soft_evaluate,
    soft_optimum,
)
from theoryrl.claims import fit_loglog_slope


def dirichlet_mdp(S, A, seed, gamma=0.9):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(S, 0.5), size=(S, A)), rng.uniform(size=(S, A)), gamma


def test_closed_form_maximises_the_proximal_objective():
    cp = pytest.importorskip("cvxpy")
    rng = np.random.default_rng(0)
    A = 4
    logpi = np.log(rng.dirichlet(np.ones(A), size=1))
    q = rng.uniform(size=(1, A)) * 3
    for t in (0.1, 1.0, 5.0):
        p = cp.Variable(A)
        obj = cp.Maximize(q[0] @ p - cp.sum(cp.kl_div(p, np.exp(logpi[0]))) / t)
        best = cp.Problem(obj, [p >= 0, cp.sum(p) == 1]).solve()
        closed = np.exp(mirror_descent_step(logpi, q, t))[0]
        value = q[0] @ closed - np.sum(closed * (np.log(closed) - logpi[0])) / t
        # the conic solver stops at ~1e-6 accuracy: the closed form is at least as good
        assert value >= best - 1e-7
        np.testing.assert_allclose(closed, p.value, atol=1e-4)


def test_inner_sgd_converges_to_the_closed_form_and_freezes_unvisited_states():
    P, R, g = dirichlet_mdp(8, 4, 1)
    logpi = np.log(np.random.default_rng(1).dirichlet(np.ones(4), size=8))
    _, Q = soft_evaluate(P, R, g, logpi)
    adv = Q - (np.exp(logpi) * Q).sum(axis=1, keepdims=True)
    d = np.random.default_rng(2).uniform(0.5, 1.5, size=8)
    d[3] = 0.0
    closed = mirror_descent_step(logpi, Q, 0.7)
    errs = [np.abs(np.exp(mdpo_inner_sgd(logpi, adv, 0.7, d, m)) - np.exp(closed))[d > 0].max()
            for m in (1, 10, 1000)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-9
    np.testing.assert_allclose(mdpo_inner_sgd(logpi, adv, 0.7, d, 50)[3], logpi[3])


@pytest.mark.parametrize("t", [0.01, 0.1, 1.0, 10.0])
def test_monotone_improvement_and_constant_step_bound(t):
    for seed in range(6):
        rng = np.random.default_rng(seed)
        S, A = int(rng.integers(3, 12)), int(rng.integers(2, 6))
        P, R, g = dirichlet_mdp(S, A, seed)
        vstar = soft_optimum(P, R, g).V
        res = policy_mirror_descent(P, R, g, 150, t)
        assert (np.diff(res.V, axis=0) >= -1e-10).all()  # Xiao (2022), Lemma 7
        gaps = (vstar - res.V[1:]).max(axis=1)
        bounds = np.array([constant_step_bound(k, t, g, A) for k in range(1, 151)])
        assert (gaps <= bounds).all()


def _theta(P, R, g, rho):
    opt = soft_optimum(P, R, g)
    pi = opt.logpi.argmax(axis=1)
    S = P.shape[0]
    d = (1 - g) * np.linalg.solve((np.eye(S) - g * P[np.arange(S), pi]).T, rho)
    return np.max(d / rho) / (1 - g), opt.V


def test_geometric_steps_converge_linearly_within_xiaos_bound():
    for seed in range(6):
        P, R, g = dirichlet_mdp(6, 3, seed)
        rho = np.full(6, 1 / 6)
        theta, vstar = _theta(P, R, g, rho)
        t0 = (1 - g) / g * np.log(3)
        res = policy_mirror_descent(P, R, g, 60, schedule("geometric", t0=t0, gamma=g))
        gaps = (vstar - res.V) @ rho
        assert all(gaps[k] <= geometric_step_bound(k, g, theta) + 1e-12 for k in range(61))


@pytest.mark.parametrize("reg", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("frac", [0.1, 0.5, 1.0])
def test_cen_linear_rate(reg, frac):
    P, R, g = dirichlet_mdp(6, 3, 4)
    eta = frac * (1 - g) / reg
    opt = soft_optimum(P, R, g, reg)
    res = policy_mirror_descent(P, R, g, 100, schedule("cen", eta=eta, gamma=g), reg=reg)
    q0 = soft_evaluate(P, R, g, res.logpi[0], reg)[1]
    c1 = np.abs(opt.Q - q0).max() + 2 * reg * (1 - eta * reg / (1 - g)) * np.abs(
        opt.logpi - res.logpi[0]).max()
    for k in range(100):
        qk = soft_evaluate(P, R, g, res.logpi[k + 1], reg)[1]
        assert np.abs(opt.Q - qk).max() <= cen_bound(k, eta, reg, c1, g) + 1e-9


def test_regularisation_bias_bound():
    for seed in range(5):
        P, R, g = dirichlet_mdp(7, 4, seed)
        vstar = soft_optimum(P, R, g).V
        for reg in (0.01, 0.1, 1.0):
            opt = soft_optimum(P, R, g, reg)
            v = soft_evaluate(P, R, g, opt.logpi)[0]
            assert (vstar - v <= regularisation_bias_bound(reg, g, 4) + 1e-10).all()
            assert (vstar - v).max() > 0  # the bias exists: the bound is not vacuous


def test_shani_schedules_rates():
    P, R, g = dirichlet_mdp(8, 4, 0)
    vstar = soft_optimum(P, R, g).V
    ks = np.arange(100, 1001)
    res = policy_mirror_descent(P, R, g, 1000, schedule("shani_unreg", gamma=g, c_max=1.0))
    gap = (vstar - res.V[ks]).max(axis=1)
    # deterministic sequences: the fitted slope itself, against the rate's exponent
    assert fit_loglog_slope(ks, gap).slope <= -0.5 + 0.1
    reg = 0.1
    soft = soft_optimum(P, R, g, reg).V
    res = policy_mirror_descent(P, R, g, 1000, schedule("shani_reg", reg=reg), reg=reg)
    gap = (soft - res.V[ks]).max(axis=1)
    assert fit_loglog_slope(ks, gap).slope <= -1.0 + 0.1


def test_npg_on_softmax_logits_is_mirror_descent_with_t_eta_over_one_minus_gamma():
    P, R, g = dirichlet_mdp(4, 3, 2)
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(4, 3))
    rho = np.full(4, 0.25)
    eta = 0.3
    logpi = theta - logsumexp(theta, axis=1, keepdims=True)
    pi = np.exp(logpi)
    V, Q = soft_evaluate(P, R, g, logpi)
    S = 4
    d = (1 - g) * np.linalg.solve((np.eye(S) - g * np.einsum("sa,sat->st", pi, P)).T, rho)
    # Policy gradient theorem and Fisher information of the tabular softmax
    adv = Q - V[:, None]
    grad = np.zeros(12)
    F = np.zeros((12, 12))
    for s in range(S):
        J = np.diag(pi[s]) - np.outer(pi[s], pi[s])  # d pi(.|s) / d theta_s
        grad[3 * s:3 * s + 3] = d[s] / (1 - g) * J @ adv[s]
        F[3 * s:3 * s + 3, 3 * s:3 * s + 3] = d[s] * J
    step = eta * np.linalg.pinv(F) @ grad
    new = theta + step.reshape(4, 3)
    new = new - logsumexp(new, axis=1, keepdims=True)
    np.testing.assert_allclose(new, mirror_descent_step(logpi, Q, eta / (1 - g)), atol=1e-10)


def test_md_mpi_average_regret_times_k_is_bounded():
    P, R, g = dirichlet_mdp(6, 3, 1)
    vstar = soft_optimum(P, R, g).V
    for m in (1, 5):
        res = policy_mirror_descent(P, R, g, 1000, 1.0, partial=m)
        regret = (vstar - res.V[1:]).max(axis=1)
        avg_k = np.cumsum(regret)  # K * average regret
        assert avg_k[999] <= 1.5 * avg_k[99]  # flat: O(1/K) average regret
        assert regret.min() <= regret.mean()


def test_bad_input():
    P, R, g = dirichlet_mdp(3, 2, 0)
    with pytest.raises(ValueError, match="reg \\* t"):
        mirror_descent_step(np.zeros((3, 2)) - np.log(2), R, 2.0, reg=1.0)
    with pytest.raises(ValueError, match="name"):
        schedule("adam")
    with pytest.raises(ValueError, match="R must have shape"):
        policy_mirror_descent(P, R[:2], g, 3, 1.0)
    with pytest.raises(ValueError, match="gamma"):
        policy_mirror_descent(P, R, 1.5, 3, 1.0)
