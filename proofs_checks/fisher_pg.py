r"""Proof checks for normalised momentum policy gradient (N-PG-IGT, N-HARPG;
Fatkhullin, Barakat, Kireeva, He, ICML 2023), on the harness.

Eleven checks, B1-B11, registered in ``proofs_checks/registry.toml``. The
instance of B1-B9 is a random Dirichlet(0.5) MDP with S = 5, A = 3,
gamma = 0.9, rho uniform and the tabular softmax (B1 also a log-linear class);
B10 runs on the Gaussian-bandit toy, the only Fisher-non-degenerate instance.

Invariants (algebra and bookkeeping): B1 exact gradients against finite
differences, B5 the fundamental-theorem identity behind HARPG, B6 implicit
gradient transport is exact on quadratics, B11 sample accounting; and B9, a
**regression test, not a theorem check** (the tabular softmax is
Fisher-degenerate, so no theorem of the paper applies to it; the registry has
two kinds, so B9 is an invariant whose name and note mark it). Theorem checks
(each with a bite): B2 truncation bias, B3 unbiased GPOMDP and REINFORCE, B4 an
unbiased Hessian-vector estimator whose test has power against two broken
estimators, B7 HARPG's recursive momentum stays unbiased (it detects a wrong-sign
Hessian estimator in the correction, not a dropped correction: see its bite), B8 exact-oracle
normalised PG converges, B10 the local rates on the Gaussian bandit (medians:
a few runs escape to the flat region and dominate the mean).

The z-tests (B3, B4, B7) compare coordinate means with exact targets at a
two-sided Bonferroni level of 1e-3 over the coordinates tested; their statistic
is the largest |z| over the critical value. Every check fails on a broken
variant (``BROKEN``; ``tests/test_fisher_pg_checks.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from theoryrl.agents.fisher_pg import GaussianBandit, TabularOracle, run_pg
from theoryrl.claims import AllOf, AtLeast, AtMost, CIWithin
from theoryrl.evaluation.policy_gradient import PolicyGradientMDP
from theoryrl.planning import policy_iteration

from ._harness import Check, Measured

PAPER = "fisher_pg"
GAMMA = 0.9


def instance(seed: int = 0, cls=PolicyGradientMDP, loglinear: bool = False, S: int = 5,
             A: int = 3):
    """The random S=5, A=3 MDP of seed ``seed`` (log-linear: 4 Gaussian features)."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(S, 0.5), size=(S, A))
    R = rng.uniform(size=(S, A))
    phi = rng.normal(size=(S, A, 4)) if loglinear else None
    return cls(P, R, GAMMA, np.full(S, 1 / S), phi)


def _z(samples: np.ndarray, target) -> tuple[np.ndarray, np.ndarray]:
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return (samples.mean(axis=0) - target) / se, se


def critical(n_tests: int, level: float = 1e-3) -> float:
    """Two-sided Bonferroni critical |z| for ``n_tests`` coordinates at ``level``."""
    return float(norm.ppf(1 - level / (2 * n_tests)))


# ----------------------------------------------------------------------------- B1
def measure_gradient(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Relative error of exact gradients (J and J_H) against central differences."""
    cls = setting.get("model", PolicyGradientMDP)
    rng = np.random.default_rng(base_seed)
    err = []
    for i in range(setting["problems"]):
        for loglinear in (False, True):
            m = instance(1 + i, cls, loglinear)
            theta = rng.normal(size=m.dim)
            h = 1e-6
            E = np.eye(m.dim) * h
            g = m.gradient(theta)
            scale = np.abs(g).max()
            fd = (m.value(theta + E) - m.value(theta - E)) / (2 * h)
            fdH = (m.truncated_value(theta + E, 30) - m.truncated_value(theta - E, 30)) / (2 * h)
            err.append(np.abs(fd - g).max() / scale)
            err.append(np.abs(fdH - m.truncated_gradient(theta, 30)).max() / scale)
    return {"error": np.array(err)}


def judge_gradient(data: dict, setting: dict) -> Measured:
    """Largest relative error."""
    e = float(data["error"].max())
    return Measured(e, (float(data["error"].min()), e), {"max_rel_error": e},
                    {"comparisons": int(data["error"].size)})


# ----------------------------------------------------------------------------- B2
def measure_truncation(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """||grad J - grad J_H||_inf over H in {10, 20, 40, 80}, random parameters."""
    cls = setting.get("model", PolicyGradientMDP)
    m = instance(3, cls)
    rng = np.random.default_rng(base_seed)
    Hs = np.array([10, 20, 40, 80])
    bias = []
    for _ in range(setting["thetas"]):
        theta = rng.normal(size=m.dim)
        g = m.gradient(theta)
        bias.append([np.abs(g - m.truncated_gradient(theta, int(H))).max() for H in Hs])
    return {"H": Hs, "bias": np.array(bias)}


def judge_truncation(data: dict, setting: dict) -> Measured:
    """Largest bias / bound and the number of non-decreasing steps in H."""
    Hs, b = data["H"], data["bias"]
    bound = 2 * Hs * GAMMA ** Hs / (1 - GAMMA) ** 2
    ratio = b / bound
    r = float(ratio.max())
    return Measured(r, (float(ratio.min()), r),
                    {"max_ratio": r, "non_decreasing_steps": int((np.diff(b, axis=1) >= 0).sum())},
                    {"H": Hs.tolist(), "mean_bias": b.mean(axis=0).tolist()})


# ----------------------------------------------------------------------------- B3
def measure_estimators(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """GPOMDP and REINFORCE on N trajectories, against the exact grad J_H."""
    cls = setting.get("model", PolicyGradientMDP)
    m = instance(0, cls)
    theta = np.random.default_rng(1).normal(size=m.dim) * 0.5
    H, N = setting["H"], setting["seeds"]
    Th = np.tile(theta, (N, 1))
    traj = m.sample(Th, H, np.random.default_rng(base_seed))
    target = m.truncated_gradient(theta, H)
    out = {"target": target}
    for est in ("gpomdp", "reinforce"):
        out[est] = _z(getattr(m, est)(Th, traj), target)
    return out


def judge_estimators(data: dict, setting: dict) -> Measured:
    """max |z| over both estimators and all coordinates, over the critical value."""
    z = np.concatenate([np.abs(data[k][0]) for k in ("gpomdp", "reinforce")])
    se = max(float(data[k][1].max()) for k in ("gpomdp", "reinforce"))
    crit = critical(z.size)
    zmax = float(z.max())
    return Measured(zmax, (0.0, crit), {"max_z_over_critical": zmax / crit,
                                        "resolution": float(np.abs(data["target"]).max() / se)},
                    {"critical": crit,
                     "max_abs_z": {k: float(np.abs(data[k][0]).max())
                                   for k in ("gpomdp", "reinforce")}})


# ----------------------------------------------------------------------------- B4
class FlippedProduct(PolicyGradientMDP):
    """Broken Hessian estimator: the score-product term enters with the wrong sign."""

    def hvp(self, theta, traj, v):
        theta, v = np.atleast_2d(theta), np.atleast_2d(v)
        good = super().hvp(theta, traj, v)
        psi = self._step_scores(theta, traj)
        togo = np.cumsum(traj.disc_rewards[:, ::-1], axis=1)[:, ::-1]
        first = np.einsum("rh,rhd->rd", togo, psi) * np.einsum("rhd,rd->r", psi, v)[:, None]
        return good - 2 * first


class NoProduct(PolicyGradientMDP):
    """Broken Hessian estimator: the score-product term is dropped."""

    def hvp(self, theta, traj, v):
        theta, v = np.atleast_2d(theta), np.atleast_2d(v)
        togo = np.cumsum(traj.disc_rewards[:, ::-1], axis=1)[:, ::-1]
        return self._curvature(theta, traj, togo, v)


def measure_hvp(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """The Hessian estimator (and two broken ones, for power) on the same trajectories."""
    cls = setting.get("model", PolicyGradientMDP)
    m = instance(0, cls)
    theta = np.random.default_rng(1).normal(size=m.dim) * 0.5
    v = np.random.default_rng(2).normal(size=m.dim)
    H, N = setting["H"], setting["seeds"]
    target = m.truncated_hessian(theta, H) @ v
    Th, Vv = np.tile(theta, (N, 1)), np.tile(v, (N, 1))
    traj = m.sample(Th, H, np.random.default_rng(base_seed))
    out = {"estimator": _z(m.hvp(Th, traj, Vv), target)[0]}
    for broken in (FlippedProduct, NoProduct):
        b = broken(m.P, m.R, m.gamma, m.rho)
        out[broken.__name__] = _z(b.hvp(Th, traj, Vv), target)[0]
    return out


def judge_hvp(data: dict, setting: dict) -> Measured:
    """max |z| of the estimator over the critical value; the broken ones' max |z|."""
    crit = critical(data["estimator"].size)
    z = float(np.abs(data["estimator"]).max())
    power = min(float(np.abs(data[k]).max()) for k in ("FlippedProduct", "NoProduct"))
    return Measured(z, (0.0, crit), {"max_z_over_critical": z / crit, "power_z": power},
                    {"critical": crit,
                     "broken_max_abs_z": {k: float(np.abs(data[k]).max())
                                          for k in ("FlippedProduct", "NoProduct")}})


# ----------------------------------------------------------------------------- B5
def measure_ftc(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Gauss-Legendre average Hessian times the displacement vs the gradient difference.

    16 nodes: over displacements of norm ~5 the 8-node rule's own quadrature error
    reaches 6e-7; with 16 the error is the finite-difference Hessian's (~1e-10)."""
    cls = setting.get("model", PolicyGradientMDP)
    m = instance(4, cls)
    rng = np.random.default_rng(base_seed)
    x, w = np.polynomial.legendre.leggauss(setting["nodes"])
    q, w = (x + 1) / 2, w / 2
    err = []
    for _ in range(setting["pairs"]):
        a, b = rng.normal(size=(2, m.dim))
        avg = sum(wi * m.truncated_hessian(a + qi * (b - a), 30)
                  for qi, wi in zip(q, w, strict=True))
        err.append(np.abs(avg @ (b - a) - (m.truncated_gradient(b, 30)
                                            - m.truncated_gradient(a, 30))).max())
    return {"error": np.array(err)}


def judge_max_error(data: dict, setting: dict) -> Measured:
    """Largest error."""
    e = float(data["error"].max())
    return Measured(e, (float(data["error"].min()), e), {"max_error": e},
                    {"pairs": int(data["error"].size)})


# ----------------------------------------------------------------------------- B6
def igt_extrapolation(theta, prev, eta):
    """The IGT point theta + (1 - eta)/eta (theta - prev)."""
    return theta + (1 - eta) / eta * (theta - prev)


@dataclass(frozen=True)
class QuadraticOracle:
    """f(theta) = -theta' M theta / 2 + b' theta with exact gradients (an oracle)."""

    M: np.ndarray
    b: np.ndarray
    steps = 0

    @property
    def dim(self) -> int:
        return self.b.size

    def grad(self, theta, rng):
        return -theta @ self.M + self.b

    def hvp(self, theta, v, rng):
        return -v @ self.M

    def value(self, theta):
        return -0.5 * np.einsum("rd,de,re->r", theta, self.M, theta) + theta @ self.b


def measure_igt(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """IGT's d_t against grad f(theta_t) on a quadratic; the library's N-PG-IGT against
    exact normalised gradient ascent; and (reported) the error on the tabular J."""
    extrapolate = setting.get("extrapolate", igt_extrapolation)
    rng = np.random.default_rng(base_seed)
    X = rng.normal(size=(6, 6))
    f = QuadraticOracle(X @ X.T + np.eye(6), rng.normal(size=6))
    T = setting["iterations"]

    def recursion(grad, dim, record=()):
        theta = np.zeros((1, dim))
        prev, d, errs = theta.copy(), np.zeros((1, dim)), {}
        rel = []
        for t in range(T):
            eta = (2.0 / (t + 2)) ** 0.8
            d = (1 - eta) * d + eta * grad(extrapolate(theta, prev, eta))
            g = grad(theta)
            rel.append(np.abs(d - g).max() / (1 + np.abs(g).max()))
            if t in record:
                errs[t] = float(np.abs(d - g).max())
            prev, theta = theta, theta + 2.0 / (t + 2) * d / np.linalg.norm(d)
        return np.array(rel), errs

    rel, _ = recursion(lambda th: f.grad(th, None), 6)
    # the library's N-PG-IGT with exact gradients is exact normalised gradient ascent
    lib = run_pg("n_pg_igt", f, np.zeros(6), T, 1.0)
    theta = np.zeros(6)
    direct = [f.value(theta[None])[0]]
    for t in range(T):
        g = f.grad(theta, None)
        theta = theta + 2.0 / (t + 2) * g / (np.linalg.norm(g) + 1e-12)
        direct.append(f.value(theta[None])[0])
    lib_err = np.abs(lib.values[:, 0] - np.array(direct)) / (1 + np.abs(direct))
    m = instance(0)
    _, tab = recursion(lambda th: m.gradient(th), m.dim, record=(1, 10, 100, T - 1))
    return {"rel": rel, "lib": lib_err, "tabular": tab}


def judge_igt(data: dict, setting: dict) -> Measured:
    """Largest relative error of d_t on the quadratic. The library's N-PG-IGT run
    against exact normalised ascent is reported only: the two paths differ by rounding
    amplified along 200 normalised steps (about 1e-9), which says nothing about IGT."""
    e = float(data["rel"].max())
    return Measured(e, (0.0, e), {"max_rel_error": e},
                    {"recursion_error": float(data["rel"].max()),
                     "library_error": float(data["lib"].max()),
                     "tabular_d_minus_grad_at_t": data["tabular"]})


# ----------------------------------------------------------------------------- B7
def hessian_correction(oracle, hat, delta, rng):
    """HARPG's correction B(tau_hat, theta_hat)(theta_t - theta_{t-1})."""
    return oracle.hvp(hat, delta, rng)


def measure_harpg(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """R independent HARPG recursions (alpha_0 = 0.5, H = 30): d_t - grad J_H(theta_t)."""
    correction = setting.get("correction", hessian_correction)
    m = instance(0, setting.get("model", PolicyGradientMDP))
    H, R, alpha0 = 30, setting["seeds"], 0.5
    oracle = TabularOracle(m, H)
    rng = np.random.default_rng(base_seed)
    theta = np.zeros((R, m.dim))
    prev = theta.copy()
    g0 = m.truncated_gradient(theta[0], H)
    d = oracle.grad(theta, rng)
    out = {}
    for t in range(1, max(setting["test_at"]) + 1):
        prev, theta = theta, theta + alpha0 * 2.0 / (t + 1) * d / np.linalg.norm(
            d, axis=1, keepdims=True)
        eta = 2.0 / (t + 2)
        q = rng.random((R, 1))
        hat = q * theta + (1 - q) * prev
        d = (1 - eta) * (d + correction(oracle, hat, theta - prev, rng)) \
            + eta * oracle.grad(theta, rng)
        if t in setting["test_at"]:
            g = m.truncated_gradient(theta, H)
            z, se = _z(d - g, 0.0)
            move = float(np.abs(g.mean(axis=0) - g0).max())
            out[t] = (z, se, move)
    return out


def judge_harpg(data: dict, setting: dict) -> Measured:
    """max |z| over coordinates and tested t, over the critical value."""
    z = np.concatenate([np.abs(v[0]) for v in data.values()])
    crit = critical(z.size)
    res = min(v[2] / float(v[1].max()) for v in data.values())
    zmax = float(z.max())
    return Measured(zmax, (0.0, crit), {"max_z_over_critical": zmax / crit, "resolution": res},
                    {"critical": crit,
                     "max_abs_z_at_t": {int(t): float(np.abs(v[0]).max())
                                        for t, v in data.items()}})


# ----------------------------------------------------------------------------- B8
@dataclass(frozen=True)
class ExactOracle:
    """The exact gradient of J as a (noise-free) oracle."""

    mdp: PolicyGradientMDP
    steps = 0

    @property
    def dim(self) -> int:
        return self.mdp.dim

    def grad(self, theta, rng):
        return self.mdp.gradient(theta)

    def hvp(self, theta, v, rng):  # pragma: no cover - not used by normalised PG
        raise NotImplementedError

    def value(self, theta):
        return self.mdp.value(theta)


def measure_exact_npg(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Normalised PG (the library's ``nsgd`` with an exact oracle), alpha_0 = 5."""
    oracle = setting.get("oracle", ExactOracle)(instance(0))
    m = oracle.mdp
    jstar = m.rho @ policy_iteration(m.P, m.R, m.gamma).V
    res = run_pg("nsgd", oracle, np.zeros(m.dim), setting["iterations"], 5.0)
    return {"gap": jstar - res.values[:, 0]}


def judge_exact_npg(data: dict, setting: dict) -> Measured:
    """Final gap, increases after iteration 50, and the reduction factor."""
    g = data["gap"]
    inc = int((np.diff(g[50:]) > 1e-12).sum())
    return Measured(float(g[-1]), (float(g[-1]), float(g[0])),
                    {"final_gap": float(g[-1]), "increases_after_burn_in": inc,
                     "gap_reduction": float(g[0] / max(g[-1], 1e-300))},
                    {"initial_gap": float(g[0]), "gap_at_100": float(g[100])})


# ----------------------------------------------------------------------------- B9
def measure_regression(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Gaps of the two momentum methods and of normalised SGD, one trajectory per step."""
    methods = setting.get("methods", {"n_pg_igt": "n_pg_igt", "n_harpg": "n_harpg"})
    m = instance(0)
    oracle = TabularOracle(m, 40)
    jstar = m.rho @ policy_iteration(m.P, m.R, m.gamma).V
    T, R = setting["iterations"], setting["seeds"]
    gaps = {}
    for label, method in list(methods.items()) + [("nsgd", "nsgd")]:
        r = run_pg(method, oracle, np.zeros(m.dim), T, 1.0, runs=R, seed=base_seed,
                   record=[0, T])
        gaps[label] = jstar - r.values
    return gaps


def _zmean(x: np.ndarray) -> float:
    se = x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean() / se) if se > 0 else 0.0


def judge_regression(data: dict, setting: dict) -> Measured:
    """Improvement z and paired z against NSGD, the smaller over the two methods."""
    imp, beat = {}, {}
    for k in ("n_pg_igt", "n_harpg"):
        imp[k] = _zmean(data[k][0] - data[k][1])
        beat[k] = _zmean(data["nsgd"][1] - data[k][1])
    mean_gap = {k: float(v[1].mean()) for k, v in data.items()}
    return Measured(min(beat.values()), (min(beat.values()), max(beat.values())),
                    {"min_improvement_z": min(imp.values()), "min_beat_nsgd_z": min(beat.values())},
                    {"improvement_z": imp, "beat_nsgd_z": beat, "mean_final_gap": mean_gap,
                     "initial_gap": float(data["nsgd"][0].mean()),
                     "label": "regression test, not a theorem check"})


# ----------------------------------------------------------------------------- B10
def measure_bandit(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Gaps of N-PG-IGT and N-HARPG on the Gaussian bandit at the recorded T."""
    toy = setting.get("bandit", GaussianBandit)(1.0)
    Ts = setting["T"]
    out = {"T": np.array(Ts)}
    for j, method in enumerate(("n_pg_igt", "n_harpg")):
        r = run_pg(method, toy, np.array([1.5]), Ts[-1], 1.0, runs=setting["seeds"],
                   seed=base_seed + j, record=Ts)
        out[method] = toy.optimum() - r.values  # (len(T), runs)
    return out


def _median_slope_ci(Ts: np.ndarray, gaps: np.ndarray, rng) -> tuple[float, tuple]:
    x = np.log(Ts)

    def slope(g):
        return float(np.polyfit(x, np.log(np.maximum(np.median(g, axis=1), 1e-300)), 1)[0])

    n = gaps.shape[1]
    boot = [slope(gaps[:, rng.integers(n, size=n)]) for _ in range(1000)]
    # the upper end is a one-sided 95% bound
    return slope(gaps), (float(np.percentile(boot, 5)), float(np.percentile(boot, 95)))


def judge_bandit(data: dict, setting: dict) -> Measured:
    """Bootstrap (over runs) CIs of the log-log slopes of the median gap."""
    rng = np.random.default_rng(0)
    s_i, ci_i = _median_slope_ci(data["T"], data["n_pg_igt"], rng)
    s_h, ci_h = _median_slope_ci(data["T"], data["n_harpg"], rng)
    med = {k: np.median(data[k], axis=1) for k in ("n_pg_igt", "n_harpg")}
    dec = min(float(v[0] / v[-1]) for v in med.values())
    return Measured(s_i, ci_i, {"slope_ci_igt": ci_i, "slope_ci_harpg": ci_h,
                                "min_median_decrease": dec},
                    {"slope_harpg": s_h, "T": data["T"].tolist(),
                     "median_gap": {k: v.tolist() for k, v in med.items()},
                     "mean_gap_last_T": {k: float(data[k][-1].mean())
                                         for k in ("n_pg_igt", "n_harpg")}})


# ----------------------------------------------------------------------------- B11
class CountingMDP:
    """Delegates to a PolicyGradientMDP and counts the environment steps it simulates."""

    def __init__(self, mdp):
        self._mdp = mdp
        self.steps_per_run = 0

    def __getattr__(self, name):
        return getattr(self._mdp, name)

    def sample(self, theta, H, rng):
        self.steps_per_run += H  # one trajectory of H steps per run (row of theta)
        return self._mdp.sample(theta, H, rng)


def measure_accounting(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Reported samples against the steps the oracle simulated, both methods."""
    oracle_cls = setting.get("oracle", TabularOracle)
    H, T = 10, setting["iterations"]
    out = {}
    for method, expected in (("n_pg_igt", T * H), ("n_harpg", (2 * T - 1) * H)):
        counter = CountingMDP(instance(0))
        r = run_pg(method, oracle_cls(counter, H), np.zeros(15), T, 0.5, runs=4,
                   seed=base_seed, record=[T])
        out[method] = (int(r.samples[-1]), counter.steps_per_run, expected)
    return out


def judge_accounting(data: dict, setting: dict) -> Measured:
    """Sum of |reported - simulated| and |simulated - expected| (environment steps)."""
    err = sum(abs(rep - sim) + abs(sim - exp) for rep, sim, exp in data.values())
    return Measured(err, (err, err), {"accounting_error": err},
                    {k: {"reported": v[0], "simulated": v[1], "expected": v[2]}
                     for k, v in data.items()})


# ----------------------------------------------------------------------------- checks
_INST = "random Dirichlet(0.5) MDP S=5, A=3, gamma=0.9, rho uniform, tabular softmax"

CHECKS = [
    Check("B1_exact_gradient", "exact grad J and grad J_H = central differences (rel 1e-6)",
          _INST + " and log-linear (d = 4)",
          {"quick": dict(problems=1), "full": dict(problems=5)},
          measure_gradient, judge_gradient, AtMost("max_rel_error", 1e-6),
          base_seed=20_230_201, seeds_key="problems"),
    Check("B2_truncation_bias", "||grad J - grad J_H|| <= 2 H g^H/(1-g)^2, decreasing in H",
          _INST + ", H in {10, 20, 40, 80}",
          {"quick": dict(thetas=2), "full": dict(thetas=10)},
          measure_truncation, judge_truncation,
          AllOf((AtMost("max_ratio", 1), AtMost("non_decreasing_steps", 0))),
          base_seed=20_230_202, seeds_key="thetas"),
    Check("B3_gradient_unbiased", "GPOMDP and REINFORCE unbiased for grad J_H (z-test)",
          _INST + ", H = 40",
          {"quick": dict(H=40, seeds=5_000), "full": dict(H=40, seeds=20_000)},
          measure_estimators, judge_estimators, AtMost("max_z_over_critical", 1),
          base_seed=20_230_203),
    Check("B4_hvp_unbiased", "Hessian estimator unbiased; broken estimators detected",
          _INST + ", H = 40, random v",
          {"quick": dict(H=40, seeds=5_000), "full": dict(H=40, seeds=20_000)},
          measure_hvp, judge_hvp, AtMost("max_z_over_critical", 1), base_seed=20_230_204),
    Check("B5_ftc_identity", "int grad^2 J_H dq (b - a) = grad J_H(b) - grad J_H(a) (16 nodes)",
          _INST + ", H = 30, random pairs",
          {"quick": dict(pairs=2, nodes=16), "full": dict(pairs=10, nodes=16)},
          measure_ftc, judge_max_error, AtMost("max_error", 1e-7),
          base_seed=20_230_205, seeds_key="pairs"),
    Check("B6_igt_quadratic", "IGT: d_t = grad f(theta_t) on a quadratic (rel 1e-10)",
          "f = -theta'M theta/2 + b'theta, d = 6; tabular J reported",
          {"quick": dict(iterations=200), "full": dict(iterations=200)},
          measure_igt, judge_igt, AtMost("max_rel_error", 1e-10),
          base_seed=20_230_206, seeds_key=None),
    Check("B7_harpg_unbiased", "E[d_t - grad J_H(theta_t)] = 0 for HARPG's momentum",
          _INST + ", H = 30, alpha_0 = 0.5",
          {"quick": dict(seeds=1000, test_at=[5, 20]),
           "full": dict(seeds=2000, test_at=[5, 20, 59])},
          measure_harpg, judge_harpg, AtMost("max_z_over_critical", 1), base_seed=20_230_207),
    Check("B8_exact_npg", "exact normalised PG: gap <= 1e-6 at t = 200, monotone after 50",
          _INST + ", alpha_0 = 5, alpha_t = alpha_0 2/(t+2)",
          {"quick": dict(iterations=200), "full": dict(iterations=200)},
          measure_exact_npg, judge_exact_npg,
          AllOf((AtMost("final_gap", 1e-6), AtMost("increases_after_burn_in", 0))),
          base_seed=None, seeds_key=None),
    Check("B9_stochastic_regression",
          "REGRESSION TEST: momentum methods improve and beat NSGD (one trajectory/step)",
          _INST + ", H = 40, alpha_0 = 1",
          {"quick": dict(iterations=250, seeds=32), "full": dict(iterations=1000, seeds=32)},
          measure_regression, judge_regression,
          AllOf((AtLeast("min_improvement_z", 5), AtLeast("min_beat_nsgd_z", 2.326))),
          base_seed=20_230_209),
    Check("B10_gaussian_bandit_rate",
          "median gap slope <= -0.4 (N-PG-IGT), <= -0.5 (N-HARPG), bootstrap upper end",
          "Gaussian bandit, sigma = 1, theta_0 = 1.5, alpha_0 = 1",
          {"quick": dict(T=[500, 5_000, 20_000], seeds=200),
           "full": dict(T=[1_000, 10_000, 100_000], seeds=400)},
          measure_bandit, judge_bandit,
          AllOf((CIWithin("slope_ci_igt", high=-0.4), CIWithin("slope_ci_harpg", high=-0.5))),
          base_seed=20_230_210),
    Check("B11_sample_accounting", "reported samples = simulated steps = T H, (2T-1) H",
          _INST + ", H = 10",
          {"quick": dict(iterations=20), "full": dict(iterations=100)},
          measure_accounting, judge_accounting, AtMost("accounting_error", 0),
          base_seed=20_230_211, seeds_key=None),
]


# ----------------------------------------------------------------------------- variants
class ScaledGradient(PolicyGradientMDP):
    """Broken exact gradients: the 1/(1 - gamma) occupancy normalisation applied twice."""

    def gradient(self, theta):
        return super().gradient(theta) / (1 - self.gamma)

    def truncated_gradient(self, theta, H):
        return super().truncated_gradient(theta, H) / (1 - self.gamma)


class CappedHorizon(PolicyGradientMDP):
    """Broken truncated gradient: the horizon is capped at 10 steps."""

    def truncated_gradient(self, theta, H):
        return super().truncated_gradient(theta, min(H, 10))


class DroppedImmediateReward(PolicyGradientMDP):
    """Broken GPOMDP: the reward-to-go starts one step after the action."""

    def gpomdp(self, theta, traj):
        togo = np.cumsum(traj.disc_rewards[:, ::-1], axis=1)[:, ::-1] - traj.disc_rewards
        return np.einsum("rh,rhd->rd", togo, self._step_scores(theta, traj))


class OffByOneHessian(PolicyGradientMDP):
    """Broken Hessian of J_H: computed with horizon H - 1."""

    def truncated_hessian(self, theta, H, step=1e-5):
        return super().truncated_hessian(theta, H - 1, step)


def no_transport(theta, prev, eta):
    """Broken IGT: samples at theta_t (no extrapolation), plain momentum."""
    return theta


def no_correction(oracle, hat, delta, rng):
    """Broken HARPG: the Hessian correction is dropped (plain momentum). B7 does not
    detect it at the registered sizes: its bias, the lag of the momentum behind a
    gradient that moves less than one standard error, is below the test's resolution,
    which B7's bite reports."""
    return np.zeros_like(delta)


@dataclass(frozen=True)
class DescentOracle(ExactOracle):
    """Broken exact oracle: returns minus the gradient."""

    def grad(self, theta, rng):
        return -self.mdp.gradient(theta)


@dataclass(frozen=True)
class BiasedBandit(GaussianBandit):
    """Broken bandit sampler: every gradient sample carries a bias of 0.05."""

    def grad(self, theta, rng):
        return super().grad(theta, rng) + 0.05


@dataclass(frozen=True)
class SeparateScoreOracle(TabularOracle):
    """Broken Hessian sampler: draws a second trajectory for the score product, so
    N-HARPG uses three trajectories per iteration, not two."""

    def hvp(self, theta, v, rng):
        self.mdp.sample(theta, self.H, rng)
        return super().hvp(theta, v, rng)


#: Check name -> setting overrides that break it (used by the tests).
BROKEN = {
    "B1_exact_gradient": {"model": ScaledGradient},
    "B2_truncation_bias": {"model": CappedHorizon},
    "B3_gradient_unbiased": {"model": DroppedImmediateReward},
    "B4_hvp_unbiased": {"model": FlippedProduct},
    "B5_ftc_identity": {"model": OffByOneHessian},
    "B6_igt_quadratic": {"extrapolate": no_transport},
    "B7_harpg_unbiased": {"model": FlippedProduct},
    "B8_exact_npg": {"oracle": DescentOracle},
    "B9_stochastic_regression": {"methods": {"n_pg_igt": "nsgd", "n_harpg": "nsgd"}},
    "B10_gaussian_bandit_rate": {"bandit": BiasedBandit},
    "B11_sample_accounting": {"oracle": SeparateScoreOracle},
}
