r"""Proof checks for exact policy mirror descent (MDPO; Shani et al. 2020, Xiao 2022,
Cen et al. 2022, Tomar et al. 2022), on the harness.

Eleven checks, C1-C11, registered in ``proofs_checks/registry.toml``, on random
Dirichlet(0.5) MDPs with rewards uniform on [0, 1], gamma = 0.9 and the uniform
initial policy; every quantity is computed exactly (C11 adds seeded noise).

Invariants: C1 the closed-form KL-proximal step against cvxpy and MDPO's
inner SGD, C2 the state-weighted surrogate's maximiser, C9 NPG on softmax
logits equals mirror descent with t = eta / (1 - gamma). Theorem checks (each
with a bite): C3 monotone improvement, C4 the O(1/k) bound at every state, C5
the linear rate with geometric steps, C6 Cen et al.'s linear rate and soft
policy iteration's contraction, C7 Shani et al.'s schedules, C8 the
regularisation bias, C10 MD-MPI's average regret, C11 the error floor under
inexact Q. The rate checks record the largest ratio of the measured gap to its
bound (never above 1, and not vacuous).

Every check fails on a broken variant (``BROKEN``; ``tests/test_mdpo_checks.py``):
mirror descent with the wrong sign of Q, or (C8) the regularised optimum without
its temperature.
"""

from __future__ import annotations

import numpy as np

from theoryrl._special import logsumexp
from theoryrl.agents.mdpo import (
    MirrorDescentResult,
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
from theoryrl.claims import AllOf, AtLeast, AtMost, fit_loglog_slope

from ._harness import Check, Measured

PAPER = "mdpo"
GAMMA = 0.9


def dirichlet_mdp(S: int, A: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random Dirichlet(0.5) kernel and rewards U[0, 1]."""
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(S, 0.5), size=(S, A)), rng.uniform(size=(S, A))


def _sizes(seed: int) -> tuple[int, int]:
    rng = np.random.default_rng(10_000 + seed)
    return int(rng.integers(3, 15)), int(rng.integers(2, 6))


# ----------------------------------------------------------------------------- C1
def measure_closed_form(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Closed form against cvxpy (per state) and against MDPO's inner SGD."""
    import cvxpy as cp

    step = setting.get("step", mirror_descent_step)
    rng = np.random.default_rng(base_seed)
    shortfall, pdiff = [], []
    A = 4
    for _ in range(setting["problems"]):
        logpi = np.log(rng.dirichlet(np.ones(A), size=1))
        q = rng.uniform(size=(1, A)) * 3
        for t in (0.1, 1.0, 5.0):
            p = cp.Variable(A)
            obj = cp.Maximize(q[0] @ p - cp.sum(cp.kl_div(p, np.exp(logpi[0]))) / t)
            best = cp.Problem(obj, [p >= 0, cp.sum(p) == 1]).solve()
            closed = np.exp(step(logpi, q, t))[0]
            value = q[0] @ closed - np.sum(closed * (np.log(closed) - logpi[0])) / t
            shortfall.append(best - value)
            pdiff.append(np.abs(closed - p.value).max())
    P, R = dirichlet_mdp(8, 4, base_seed)
    logpi = np.log(rng.dirichlet(np.ones(4), size=8))
    Q = soft_evaluate(P, R, GAMMA, logpi)[1]
    adv = Q - (np.exp(logpi) * Q).sum(axis=1, keepdims=True)
    d = rng.uniform(0.5, 1.5, size=8)
    closed = np.exp(step(logpi, Q, 0.7))
    sgd = {m: float(np.abs(np.exp(mdpo_inner_sgd(logpi, adv, 0.7, d, m)) - closed).max())
           for m in (1, 10, 100, 1000)}
    return {"shortfall": np.array(shortfall), "pdiff": np.array(pdiff), "sgd": sgd}


def judge_closed_form(data: dict, setting: dict) -> Measured:
    """Objective shortfall against cvxpy, policy difference, inner-SGD error at m = 1000."""
    s = float(data["shortfall"].max())
    return Measured(s, (float(data["shortfall"].min()), s),
                    {"objective_shortfall": s,
                     "max_policy_diff_cvxpy": float(data["pdiff"].max()),
                     "inner_sgd_error": data["sgd"][1000]},
                    {"inner_sgd_error_by_m": data["sgd"], "problems": int(data["pdiff"].size)})


# ----------------------------------------------------------------------------- C2
def measure_weighted(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Maximiser of the weighted surrogate (inner SGD to convergence) vs closed form."""
    step = setting.get("step", mirror_descent_step)
    rng = np.random.default_rng(base_seed)
    err, frozen = [], []
    for i in range(setting["problems"]):
        P, R = dirichlet_mdp(8, 4, base_seed + i)
        logpi = np.log(rng.dirichlet(np.ones(4), size=8))
        Q = soft_evaluate(P, R, GAMMA, logpi)[1]
        adv = Q - (np.exp(logpi) * Q).sum(axis=1, keepdims=True)
        d = rng.uniform(0.2, 3.0, size=8)
        d[rng.permutation(8)[:3]] = 0.0
        t = float(rng.choice([0.3, 1.0, 3.0]))
        w = mdpo_inner_sgd(logpi, adv, t, d, setting["sgd_steps"])
        closed = step(logpi, Q, t)
        live = d > 0
        err.append(np.abs(np.exp(w) - np.exp(closed))[live].max())
        frozen.append(np.abs(w - logpi)[~live].max())
    return {"error": np.array(err), "frozen": np.array(frozen)}


def judge_weighted(data: dict, setting: dict) -> Measured:
    """Largest error on weighted states; largest change on zero-weight states."""
    e = float(data["error"].max())
    return Measured(e, (float(data["error"].min()), e),
                    {"max_error": e, "frozen_change": float(data["frozen"].max())},
                    {"problems": int(data["error"].size)})


# ----------------------------------------------------------------------------- C3, C4
def measure_constant(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Exact PMD with constant steps on random MDPs: gaps, bounds, monotonicity."""
    pmd = setting.get("pmd", policy_mirror_descent)
    K = setting["iterations"]
    viol, ratio, closed = 0, [], []
    for seed in range(setting["instances"]):
        S, A = _sizes(seed)
        P, R = dirichlet_mdp(S, A, seed)
        vstar = soft_optimum(P, R, GAMMA).V
        for t in setting["steps"]:
            res = pmd(P, R, GAMMA, K, t)
            viol += int((np.diff(res.V, axis=0) < -1e-10).sum())
            gaps = vstar - res.V[1:]
            bounds = np.array([constant_step_bound(k, t, GAMMA, A) for k in range(1, K + 1)])
            ratio.append(float((gaps / bounds[:, None]).max()))
            g0, gK = (vstar - res.V[0]).max(), (vstar - res.V[-1]).max()
            closed.append(1 - gK / g0)
    return {"violations": viol, "ratio": np.array(ratio), "closed": np.array(closed)}


def judge_monotone(data: dict, setting: dict) -> Measured:
    """Monotonicity violations (any state, any k)."""
    v = data["violations"]
    return Measured(v, (v, v), {"violations": v,
                                "min_closed_fraction": float(data["closed"].min())},
                    {"runs": int(data["closed"].size)})


def judge_constant_rate(data: dict, setting: dict) -> Measured:
    """Largest gap / bound."""
    r = float(data["ratio"].max())
    return Measured(r, (float(data["ratio"].min()), r), {"max_ratio": r},
                    {"runs": int(data["ratio"].size)})


# ----------------------------------------------------------------------------- C5
def _theta_rho(P, R, rho) -> tuple[float, np.ndarray]:
    opt = soft_optimum(P, R, GAMMA)
    pi = opt.logpi.argmax(axis=1)
    S = P.shape[0]
    d = (1 - GAMMA) * np.linalg.solve((np.eye(S) - GAMMA * P[np.arange(S), pi]).T, rho)
    return float(np.max(d / rho) / (1 - GAMMA)), opt.V


def measure_geometric(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Geometric steps t_k = t_0 / gamma^k from Xiao's t_0: rho-weighted gaps and bounds."""
    pmd = setting.get("pmd", policy_mirror_descent)
    K = setting["iterations"]
    ratio = []
    for seed in range(setting["instances"]):
        S, A = _sizes(seed)
        P, R = dirichlet_mdp(S, A, seed)
        rho = np.full(S, 1 / S)
        theta, vstar = _theta_rho(P, R, rho)
        t0 = (1 - GAMMA) / GAMMA * np.log(A)
        res = pmd(P, R, GAMMA, K, schedule("geometric", t0=t0, gamma=GAMMA))
        gaps = (vstar - res.V) @ rho
        ratio.append(max(gaps[k] / geometric_step_bound(k, GAMMA, theta)
                         for k in range(K + 1)))
    return {"ratio": np.array(ratio)}


# ----------------------------------------------------------------------------- C6
def measure_cen(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Entropy-regularised NPG: ||Q*_lambda - Q^(k+1)|| against Cen et al.'s bound."""
    pmd = setting.get("pmd", policy_mirror_descent)
    K = setting["iterations"]
    ratio, spi = [], []
    for seed in range(setting["instances"]):
        P, R = dirichlet_mdp(6, 3, seed)
        for reg in (0.01, 0.1, 1.0):
            opt = soft_optimum(P, R, GAMMA, reg)
            for frac in (0.1, 0.5, 1.0):
                eta = frac * (1 - GAMMA) / reg
                res = pmd(P, R, GAMMA, K, schedule("cen", eta=eta, gamma=GAMMA), reg=reg)
                q0 = soft_evaluate(P, R, GAMMA, res.logpi[0], reg)[1]
                c1 = np.abs(opt.Q - q0).max() + 2 * reg * (1 - eta * reg / (1 - GAMMA)) * \
                    np.abs(opt.logpi - res.logpi[0]).max()
                err = np.array([np.abs(opt.Q - soft_evaluate(P, R, GAMMA, res.logpi[k],
                                                             reg)[1]).max()
                                for k in range(K + 1)])
                ratio.append(max(err[k + 1] / cen_bound(k, eta, reg, c1, GAMMA)
                                 for k in range(K)))
                if frac == 1.0:
                    # contraction measured above the solver's accuracy
                    ok = err[:-1] > 1e-9
                    if ok.any():
                        spi.append(float((err[1:][ok] / (GAMMA * err[:-1][ok])).max()))
    return {"ratio": np.array(ratio), "spi": np.array(spi)}


def judge_cen(data: dict, setting: dict) -> Measured:
    """Largest error / bound; largest SPI contraction factor over gamma."""
    r = float(data["ratio"].max())
    return Measured(r, (float(data["ratio"].min()), r),
                    {"max_ratio": r, "spi_max_contraction_over_gamma": float(data["spi"].max())},
                    {"runs": int(data["ratio"].size)})


# ----------------------------------------------------------------------------- C7
def measure_shani(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Both Shani schedules on one S=8, A=4 instance; sup-norm gaps over k."""
    pmd = setting.get("pmd", policy_mirror_descent)
    P, R = dirichlet_mdp(8, 4, 0)
    N, reg = setting["iterations"], setting["reg"]
    vstar = soft_optimum(P, R, GAMMA).V
    unreg = pmd(P, R, GAMMA, N, schedule("shani_unreg", gamma=GAMMA, c_max=1.0))
    soft = soft_optimum(P, R, GAMMA, reg).V
    regd = pmd(P, R, GAMMA, N, schedule("shani_reg", reg=reg), reg=reg)
    return {"gap_unreg": (vstar - unreg.V).max(axis=1), "gap_reg": (soft - regd.V).max(axis=1),
            "mono": int((np.diff(unreg.V, axis=0) < -1e-10).sum()
                        + (np.diff(regd.V, axis=0) < -1e-10).sum())}


def judge_shani(data: dict, setting: dict) -> Measured:
    """Fitted log-log slopes over k in [100, N] (deterministic sequences)."""
    ks = np.arange(100, setting["iterations"] + 1)
    gu, gr = data["gap_unreg"][ks], data["gap_reg"][ks]
    su = fit_loglog_slope(ks, np.maximum(gu, 1e-300)).slope
    sr = fit_loglog_slope(ks, np.maximum(gr, 1e-300)).slope
    dec = min(gu[0] / gu[-1], gr[0] / gr[-1])
    return Measured(su, (su, su), {"slope_unreg": su, "slope_reg": sr,
                                   "monotone_violations": data["mono"],
                                   "min_decrease": float(dec)},
                    {"slope_reg": sr})


# ----------------------------------------------------------------------------- C8
def soft_optimal_policy(P, R, gamma, reg) -> np.ndarray:
    """log pi*_lambda from the library's soft optimum."""
    return soft_optimum(P, R, gamma, reg).logpi


def measure_bias(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """V* - V^{pi*_lambda} against lambda log|A| / (1 - gamma)."""
    policy = setting.get("soft_policy", soft_optimal_policy)
    ratio = []
    for seed in range(setting["instances"]):
        P, R = dirichlet_mdp(7, 4, seed)
        vstar = soft_optimum(P, R, GAMMA).V
        for reg in (0.01, 0.1, 1.0):
            v = soft_evaluate(P, R, GAMMA, policy(P, R, GAMMA, reg))[0]
            ratio.append(float((vstar - v).max() / regularisation_bias_bound(reg, GAMMA, 4)))
    return {"ratio": np.array(ratio)}


# ----------------------------------------------------------------------------- C9
def measure_npg(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """NPG with the pseudo-inverse Fisher matrix vs the mirror step, S=4, A=3."""
    step = setting.get("step", mirror_descent_step)
    rng = np.random.default_rng(base_seed)
    S, A, eta = 4, 3, 0.3
    rho = np.full(S, 1 / S)
    err = []
    for i in range(setting["problems"]):
        P, R = dirichlet_mdp(S, A, base_seed + i)
        theta = rng.normal(size=(S, A))
        logpi = theta - logsumexp(theta, axis=1, keepdims=True)
        pi = np.exp(logpi)
        V, Q = soft_evaluate(P, R, GAMMA, logpi)
        Ppi = np.einsum("sa,sat->st", pi, P)
        d = (1 - GAMMA) * np.linalg.solve((np.eye(S) - GAMMA * Ppi).T, rho)
        adv = Q - V[:, None]
        grad = np.zeros(S * A)
        F = np.zeros((S * A, S * A))
        for s in range(S):
            J = np.diag(pi[s]) - np.outer(pi[s], pi[s])  # d pi(.|s) / d theta_s
            grad[A * s:A * s + A] = d[s] / (1 - GAMMA) * J @ adv[s]
            F[A * s:A * s + A, A * s:A * s + A] = d[s] * J
        new = theta + (eta * np.linalg.pinv(F) @ grad).reshape(S, A)
        new = new - logsumexp(new, axis=1, keepdims=True)
        err.append(np.abs(new - step(logpi, Q, eta / (1 - GAMMA))).max())
    return {"error": np.array(err)}


def judge_npg(data: dict, setting: dict) -> Measured:
    """Largest |NPG - mirror step| in log-policy."""
    e = float(data["error"].max())
    return Measured(e, (float(data["error"].min()), e), {"max_error": e},
                    {"problems": int(data["error"].size)})


# ----------------------------------------------------------------------------- C10
def measure_md_mpi(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """MD-MPI (t = 1) with m in {1, 5, exact}: sup-norm regret per iteration."""
    pmd = setting.get("pmd", policy_mirror_descent)
    K = setting["iterations"]
    out = {}
    for seed in range(setting["instances"]):
        P, R = dirichlet_mdp(6, 3, seed)
        vstar = soft_optimum(P, R, GAMMA).V
        for m in (1, 5, None):
            res = pmd(P, R, GAMMA, K, 1.0, partial=m)
            out[(seed, m)] = (vstar - res.V[1:]).max(axis=1)
    return {"regret": out}


def judge_md_mpi(data: dict, setting: dict) -> Measured:
    """Largest growth of K x average regret from K = 100 to the last K."""
    growth, best_bad, at10 = [], 0, []
    for reg in data["regret"].values():
        cum = np.cumsum(reg)
        growth.append(float(cum[-1] / cum[99]))
        best_bad += int(reg.min() > reg.mean())
        at10.append(float(cum[9]))
    g = max(growth)
    return Measured(g, (min(growth), g), {"max_growth": g,
                                          "best_over_average_violations": best_bad,
                                          "min_regret_at_10": min(at10)},
                    {"runs": len(growth)})


# ----------------------------------------------------------------------------- C11
def measure_inexact(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Regularised NPG with Q perturbed by i.i.d. U[-delta, delta]: error floor per delta."""
    step = setting.get("step", mirror_descent_step)
    P, R = dirichlet_mdp(6, 3, 4)
    reg, K, tail = 0.1, setting["iterations"], setting["tail"]
    eta = 0.5 * (1 - GAMMA) / reg
    t = eta / (1 - GAMMA)
    opt = soft_optimum(P, R, GAMMA, reg)
    floors = {}
    for j, delta in enumerate(setting["deltas"]):
        rng = np.random.default_rng([base_seed, j])
        logpi = np.full((6, 3), -np.log(3))
        errs = []
        for _ in range(K):
            Q = soft_evaluate(P, R, GAMMA, logpi, reg)[1]
            errs.append(np.abs(opt.Q - Q).max())
            logpi = step(logpi, Q + rng.uniform(-delta, delta, size=Q.shape), t, reg)
        floors[delta] = float(np.mean(errs[-tail:]))
    return {"floors": floors}


def judge_inexact(data: dict, setting: dict) -> Measured:
    """Slope of log floor on log delta."""
    ds = np.array(sorted(data["floors"]))
    fl = np.array([data["floors"][d] for d in ds])
    s = fit_loglog_slope(ds, fl).slope
    return Measured(s, (s, s), {"slope": s, "floor_ratio": float(fl[-1] / fl[0])},
                    {"floors": {f"{d:g}": v for d, v in data["floors"].items()}})


# ----------------------------------------------------------------------------- checks
_STEPS = [0.01, 0.1, 1.0, 10.0]
_RND = "random Dirichlet(0.5) MDPs, S in [3, 15), A in [2, 6), gamma = 0.9, uniform pi_0"

CHECKS = [
    Check("C1_closed_form", "closed-form KL-proximal step = argmax (cvxpy) = inner-SGD limit",
          "single-state problems A = 4, t in {0.1, 1, 5}; inner SGD on S = 8, A = 4",
          {"quick": dict(problems=4), "full": dict(problems=20)},
          measure_closed_form, judge_closed_form,
          AllOf((AtMost("objective_shortfall", 1e-6), AtMost("max_policy_diff_cvxpy", 1e-4),
                 AtMost("inner_sgd_error", 1e-8))),
          base_seed=20_220_101, seeds_key="problems"),
    Check("C2_rho_invariance",
          "weighted surrogate maximiser = closed form where d > 0, unchanged where d = 0",
          "random S = 8, A = 4 MDPs and policies, 3 zero-weight states",
          {"quick": dict(problems=2, sgd_steps=5000), "full": dict(problems=20, sgd_steps=5000)},
          measure_weighted, judge_weighted,
          AllOf((AtMost("max_error", 1e-4), AtMost("frozen_change", 1e-15))),
          base_seed=20_220_102, seeds_key="problems"),
    Check("C3_monotone", "V^{pi_{k+1}} >= V^{pi_k} - 1e-10 at every state and k",
          _RND + ", t in {0.01, 0.1, 1, 10}",
          {"quick": dict(instances=8, steps=_STEPS, iterations=150),
           "full": dict(instances=30, steps=_STEPS, iterations=300)},
          measure_constant, judge_monotone, AtMost("violations", 0),
          base_seed=None, seeds_key=None),
    Check("C4_constant_step_rate",
          "V* - V^{pi_k} <= log|A|/((1-g) t k) + 1/((1-g)^2 k) at every state and k",
          _RND + ", t in {0.01, 0.1, 1, 10}",
          {"quick": dict(instances=8, steps=_STEPS, iterations=150),
           "full": dict(instances=30, steps=_STEPS, iterations=300)},
          measure_constant, judge_constant_rate, AtMost("max_ratio", 1),
          base_seed=None, seeds_key=None),
    Check("C5_geometric_linear",
          "rho.(V* - V^{pi_k}) <= (1 - 1/theta_rho)^k 2/(1-g), geometric steps, k <= 60",
          _RND + ", rho uniform",
          {"quick": dict(instances=10, iterations=60), "full": dict(instances=30, iterations=60)},
          measure_geometric, judge_constant_rate, AtMost("max_ratio", 1),
          base_seed=None, seeds_key=None),
    Check("C6_cen_rate",
          "||Q*_l - Q^(k+1)_l|| <= C1 g (1 - eta l)^k; SPI contracts by gamma",
          "random S = 6, A = 3 MDPs; lambda in {0.01, 0.1, 1}, eta lambda/(1-g) in "
          "{0.1, 0.5, 1}",
          {"quick": dict(instances=2, iterations=100), "full": dict(instances=30, iterations=200)},
          measure_cen, judge_cen,
          AllOf((AtMost("max_ratio", 1), AtMost("spi_max_contraction_over_gamma", 1.000000001))),
          base_seed=None, seeds_key=None),
    Check("C7_shani_rates",
          "Shani schedules: slope <= -0.4 (unregularised), <= -0.9 (regularised); monotone",
          "random S = 8, A = 4 MDP (seed 0), lambda = 0.1, k in [100, 1000]",
          {"quick": dict(iterations=1000, reg=0.1), "full": dict(iterations=1000, reg=0.1)},
          measure_shani, judge_shani,
          AllOf((AtMost("slope_unreg", -0.4), AtMost("slope_reg", -0.9),
                 AtMost("monotone_violations", 0))),
          base_seed=None, seeds_key=None),
    Check("C8_regularisation_bias", "V* - V^{pi*_l} <= l log|A| / (1-g) at every state",
          "random S = 7, A = 4 MDPs, lambda in {0.01, 0.1, 1}",
          {"quick": dict(instances=5), "full": dict(instances=30)},
          measure_bias, judge_constant_rate, AtMost("max_ratio", 1),
          base_seed=None, seeds_key=None),
    Check("C9_npg_roundtrip", "NPG(eta) on softmax logits = mirror step with t = eta/(1-g)",
          "random S = 4, A = 3 MDPs and logits, eta = 0.3, rho uniform",
          {"quick": dict(problems=3), "full": dict(problems=20)},
          measure_npg, judge_npg, AtMost("max_error", 1e-10),
          base_seed=20_220_109, seeds_key="problems"),
    Check("C10_md_mpi", "MD-MPI m in {1, 5, inf}: K x average regret flat from K = 100",
          "random S = 6, A = 3 MDPs, t = 1, K = 1000",
          {"quick": dict(instances=1, iterations=1000), "full": dict(instances=5, iterations=1000)},
          measure_md_mpi, judge_md_mpi,
          AllOf((AtMost("max_growth", 1.5), AtMost("best_over_average_violations", 0))),
          base_seed=None, seeds_key=None),
    Check("C11_inexact_q", "error floor of regularised NPG linear in the Q error delta",
          "random S = 6, A = 3 MDP (seed 4), lambda = 0.1, eta lambda/(1-g) = 0.5, "
          "delta in {1e-3, 1e-2, 1e-1}",
          {"quick": dict(deltas=[1e-3, 1e-2, 1e-1], iterations=200, tail=100),
           "full": dict(deltas=[1e-3, 1e-2, 1e-1], iterations=400, tail=200)},
          measure_inexact, judge_inexact,
          AtLeast("slope", 0.8),
          base_seed=20_220_111, seeds_key=None),
]


# ----------------------------------------------------------------------------- variants
def wrong_sign_step(logpi, Q, t, reg=0.0):
    """Broken mirror step: descends on Q (the sign of the linear term flipped)."""
    return mirror_descent_step(logpi, -np.asarray(Q), t, reg)


def pmd_wrong_sign(P, R, gamma, iterations, step, reg=0.0, partial=None, logpi0=None
                   ) -> MirrorDescentResult:
    """Broken exact PMD: every step is :func:`wrong_sign_step` (exact Q; ``partial`` is
    ignored)."""
    step_fn = step if callable(step) else (lambda k: step)
    S, A = np.shape(R)
    logpi = np.full((S, A), -np.log(A))
    logs, values, steps = [logpi], [], []
    for k in range(iterations + 1):
        V, Q = soft_evaluate(P, R, gamma, logpi, reg)
        values.append(V)
        if k == iterations:
            break
        steps.append(step_fn(k))
        logpi = wrong_sign_step(logpi, Q, steps[-1], reg)
        logs.append(logpi)
    return MirrorDescentResult(np.array(logs), np.array(values), np.array(steps))


def soft_policy_no_temperature(P, R, gamma, reg) -> np.ndarray:
    """Broken regularised optimum: pi proportional to exp(Q*_lambda), the temperature
    lambda forgotten."""
    Q = soft_optimum(P, R, gamma, reg).Q
    return Q - logsumexp(Q, axis=1, keepdims=True)


#: Check name -> setting overrides that break it (used by the tests).
BROKEN = {
    "C1_closed_form": {"step": wrong_sign_step},
    "C2_rho_invariance": {"step": wrong_sign_step},
    "C3_monotone": {"pmd": pmd_wrong_sign},
    "C4_constant_step_rate": {"pmd": pmd_wrong_sign},
    "C5_geometric_linear": {"pmd": pmd_wrong_sign},
    "C6_cen_rate": {"pmd": pmd_wrong_sign},
    "C7_shani_rates": {"pmd": pmd_wrong_sign},
    "C8_regularisation_bias": {"soft_policy": soft_policy_no_temperature},
    "C9_npg_roundtrip": {"step": wrong_sign_step},
    "C10_md_mpi": {"pmd": pmd_wrong_sign},
    "C11_inexact_q": {"step": wrong_sign_step},
}
