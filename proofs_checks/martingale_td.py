"""Proof checks of Jia & Zhou (JMLR 2022), martingale policy evaluation, on the harness.

Each check is data (:data:`CHECKS`): per-tier settings, a ``measure_*``
function that runs estimators only, a ``judge_*`` that computes statistics,
and the rule registered in ``proofs_checks/registry.toml``. The estimators
under test are the methods of :class:`PolicyEvaluation`, placed in every
setting under ``agent``; its broken variants are subclasses in
``proofs_checks/variants.py`` (MSTDE in place of LSTD, a TD(lambda) fit in
place of ML, TD(1) without its trace or with Euler discounting, rates fed as
per-step rewards, a fixed per-step discount), and
``tests/test_martingale_td_checks.py`` asserts each check fails on its variant.

Two checks are invariants (they hold by algebra for any data):
``td1_equals_ml`` (a telescoping identity) and ``ml_best_ordering`` (ML is the
L2 projection of the discretised value, so its error is the smallest). The
rate of that projection, ``ml_projection_rate``, is the theorem check.

Tags: [V] PE abstract, [S] PG text, [R] reconstructed, [N] numerically
checked, [D] our design (docs/theory/martingale_td.md).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from theoryrl.claims import (
    AllOf,
    AnyOf,
    AtLeast,
    AtMost,
    CIMeets,
    fit_loglog_slope,
)
from theoryrl.evaluation.martingale_td import (
    Paths,
    gtd_sa,
    martingale_diagnostic,
    ml_sgd,
    mstde_brownian_limit,
    population_statistics,
    stationary_td0,
    td_lambda_sa,
    td_statistics,
    value_error,
)
from theoryrl.models.diffusion import BrownianQuadratic, OUDiscounted, OUQuadratic

from ._harness import Check, Measured

PAPER = "martingale_td"


class PolicyEvaluation:
    """The policy-evaluation methods the checks run (Jia & Zhou 2022): the
    algorithm under test. Broken variants subclass it and override one method or
    constant; the checks' statistics never change."""

    td1_lam = 1.0
    """Trace parameter of TD(1): the trace weights increments per unit of time."""
    discount = "exact"
    """Increment convention of TD(lambda) in the TD(1) = ML identity."""

    def lstd(self, st) -> np.ndarray:
        """LSTD(0), the population or sample TD(0) fixed point."""
        return st.lstd(0.0)

    def ml(self, st) -> np.ndarray:
        """The martingale-loss (ML) minimiser."""
        return st.ml()

    def mstde(self, st) -> np.ndarray:
        """The mean-square TD error minimiser (the paper's counterexample)."""
        return st.mstde()

    def td1(self, st) -> np.ndarray:
        """TD(1) with the per-unit-time trace."""
        return st.lstd(self.td1_lam)

    def ml_lams(self) -> tuple[float, ...]:
        """Trace parameters :meth:`ml` reads from the statistics (none: ML needs no trace)."""
        return ()

    def paths(self, model, X: np.ndarray) -> Paths:
        """The data the estimators see: paths with reward rates (times dt inside)."""
        return Paths.from_model(model, X)

    def td0_sa(self, model, f, *, online: bool, rng: np.random.Generator,
               **kw) -> np.ndarray:
        """TD(0) by stochastic approximation (offline or online): its final parameter."""
        return td_lambda_sa(model, f, online=online, rng=rng, **kw).theta

    def stationary_td0(self, model, dt: float, discount: str) -> np.ndarray:
        """Population TD(0) on one stationary step of the discounted model."""
        return stationary_td0(model, dt, discount=discount)

_C5_MODEL = dict(beta=0.0, kappa=1.0, sigma=0.8, q=1.0, p=2.0, T=2.0, m0=0.5, s0=0.5)

SWEEP: dict[str, dict] = {
    "brownian_counterexample": dict(sigma=0.7, T=2.0, K_pop=[2, 10, 40, 640], K_mc=[10, 160],
                                    n=20_000, R=8),
    "order_dt_exact": dict(K=[4, 8, 16, 32, 64]),
    "order_dt_mc": dict(K_fine=64, sub=[16, 8, 4, 2, 1], n=50_000, groups=25, n_boot=200),
    "sample_rate": dict(K=16, N=[500, 2000, 8000, 32000], R=32),
    "td1_equals_ml": dict(model=_C5_MODEL, K=200, lams=[0.0, 0.1, 0.5], n_mc=200),
    "ml_projection_rate": dict(model=_C5_MODEL, K=[50, 100, 200, 400]),
    "martingale_diagnostic": dict(K=100, n_train=20_000, n_test=20_000),
    "sa_convergence": dict(K=50, batch=32, iterations=4000),
    "variance_flat": dict(K=[10, 40, 160], n=2000, R=20),
    "infinite_horizon": dict(dt=[0.1, 0.05, 0.025, 0.0125]),
}
SWEEP = {name: dict(setting, agent=PolicyEvaluation) for name, setting in SWEEP.items()}
QUICK: dict[str, dict] = {
    **SWEEP,
    "brownian_counterexample": dict(SWEEP["brownian_counterexample"], K_pop=[2, 10, 40, 160],
                                    K_mc=[10, 80], n=10_000, R=8),
    "order_dt_mc": dict(SWEEP["order_dt_mc"], n=20_000, groups=20, n_boot=100,
                        sub=[16, 8, 4, 2]),
    "sample_rate": dict(SWEEP["sample_rate"], N=[500, 2000, 8000], R=16),
    "td1_equals_ml": dict(SWEEP["td1_equals_ml"], K=100, n_mc=50),
    "ml_projection_rate": dict(SWEEP["ml_projection_rate"], K=[25, 50, 100, 200]),
    "martingale_diagnostic": dict(SWEEP["martingale_diagnostic"], n_train=10_000,
                                  n_test=10_000),
    "sa_convergence": dict(SWEEP["sa_convergence"], iterations=1500),
    "variance_flat": dict(SWEEP["variance_flat"], n=1000, R=12),
}


def _fits(est: PolicyEvaluation, st) -> dict[str, np.ndarray]:
    return {"lstd": est.lstd(st), "ml": est.ml(st), "mstde": est.mstde(st)}


# ---------------------------------------------------------------------------
# C1 Brownian counterexample
# ---------------------------------------------------------------------------

def measure_brownian(s: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Population and Monte Carlo fits on B2 (no judgement)."""
    model = BrownianQuadratic(sigma=s["sigma"], T=s["T"])
    f = model.features()
    est = s["agent"]()
    pop = {K: _fits(est, population_statistics(model, f, K)) for K in s["K_pop"]}
    mc = {}
    for K in s["K_mc"]:
        reps = []
        for r in range(s["R"]):
            st = td_statistics(model, f, n_paths=s["n"] // s["R"], K=K,
                               seed=base_seed * 1000 + 17 * K + r)
            reps.append([v[0] for v in _fits(est, st).values()])
        mc[K] = np.array(reps)
    return {"pop": pop, "mc": mc, "theta_star": model.theta_star, "sigma": s["sigma"]}


def judge_brownian(d: dict, s: dict) -> Measured:
    """Population errors against the formulas; MC z-scores; MSTDE's gap to 1 in SE."""
    ts = d["theta_star"]
    pop_err = max(max(np.abs(v["lstd"] - ts).max(), np.abs(v["ml"] - ts).max())
                  for v in d["pop"].values())
    mst_err = max(abs(v["mstde"][0] - mstde_brownian_limit(K)) + abs(v["mstde"][1] - ts[1])
                  for K, v in d["pop"].items())
    zs = {}
    for K, reps in d["mc"].items():
        m, se = reps.mean(axis=0), reps.std(axis=0, ddof=1) / np.sqrt(len(reps))
        zs[K] = (float((m[0] - 1.0) / se[0]), float((m[2] - mstde_brownian_limit(K)) / se[2]),
                 float((1.0 - m[2]) / se[2]), float(m[2]), float(se[2]))
    Kmax = max(d["mc"])
    m2, se2 = zs[Kmax][3], zs[Kmax][4]
    Kp = max(d["pop"])
    st = {"population_error": float(max(pop_err, mst_err)),
          "max_abs_z_lstd": max(abs(z[0]) for z in zs.values()),
          "max_abs_z_mstde_formula": max(abs(z[1]) for z in zs.values()),
          "min_z_gap": min(z[2] for z in zs.values()),
          "mstde_bias": float(1.0 - d["pop"][Kp]["mstde"][0])}
    return Measured(m2, (m2 - 4 * se2, m2 + 4 * se2), st,
                    {"mc_z": zs, "formula": {K: mstde_brownian_limit(K) for K in d["mc"]},
                     "population_err_lstd_ml": float(pop_err),
                     "population_err_mstde": float(mst_err)})


# ---------------------------------------------------------------------------
# C2 / C3 order in dt
# ---------------------------------------------------------------------------

def measure_order_exact(s: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Population occupation-norm errors of LSTD(0), ML and MSTDE on B1 (exact moments)."""
    model = OUQuadratic()
    f = model.realizable_features()
    est = s["agent"]()
    fits = [_fits(est, population_statistics(model, f, K)) for K in s["K"]]
    err = {meth: [value_error(model, f, fit[meth]) for fit in fits]
           for meth in ("lstd", "ml", "mstde")}
    return {"K": np.array(s["K"]), "err": err}


def judge_order_exact(d: dict, s: dict) -> Measured:
    """Orders in dt of LSTD(0) and of ML; MSTDE's error curve."""
    dt = 1.0 / d["K"]
    fit = fit_loglog_slope(dt, np.array(d["err"]["lstd"]))
    fit_ml = fit_loglog_slope(dt, np.array(d["err"]["ml"]))
    ci = fit.ci()
    mst = np.array(d["err"]["mstde"])
    K = d["K"].tolist()
    e = np.array(d["err"]["lstd"])
    st = {"min_order": min(fit.slope, fit_ml.slope), "max_order": max(fit.slope, fit_ml.slope),
          "min_ci_low": min(ci[0], fit_ml.ci()[0]),
          "mstde_increasing": float(np.all(np.diff(mst) > 0)),
          "mstde_error_K64": float(mst[K.index(64)]) if 64 in K else float("nan"),
          "error_span": float(e[0] / e[-1])}
    return Measured(fit.slope, tuple(ci), st,
                    {"order_ml": fit_ml.slope, "errors": d["err"], "K": K})


def measure_order_mc(s: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Monte Carlo statistics per path block at every subsampled step (common paths)."""
    model = OUQuadratic()
    f = model.realizable_features()
    K = s["K_fine"]
    per = s["n"] // s["groups"]
    stats_ = {sub: [] for sub in s["sub"]}
    for X in model.iter_path_chunks(per * s["groups"], K, seed=base_seed, chunk=per):
        for sub in s["sub"]:
            stats_[sub].append(td_statistics(Paths.from_model(model, X[:, ::sub]), f))
    return {"stats": stats_, "K": np.array([K // sub for sub in s["sub"]]), "model": model,
            "features": f, "seed": base_seed}


def _pooled_error(d, sts, idx, est: PolicyEvaluation):
    tot = sts[idx[0]]
    for i in idx[1:]:
        tot = tot + sts[i]
    return value_error(d["model"], d["features"], est.lstd(tot), n_grid=256)


def judge_order_mc(d: dict, s: dict) -> Measured:
    """Order in dt of the pooled error; block bootstrap; fit where bias/SE > 5."""
    rng = np.random.default_rng(d["seed"])
    subs = list(d["stats"])
    G = len(d["stats"][subs[0]])
    m = s["agent"]()
    full = np.array([_pooled_error(d, d["stats"][k], list(range(G)), m) for k in subs])
    boots = np.array([[_pooled_error(d, d["stats"][k], idx, m) for k in subs]
                      for idx in rng.integers(0, G, size=(s["n_boot"], G))])
    se = boots.std(axis=0, ddof=1)
    use = full / se > 5                  # the smallest-dt points are noise-limited
    dt = 1.0 / d["K"]
    details = {"errors": full.tolist(), "se": se.tolist(), "K": d["K"].tolist(),
               "used": use.tolist()}
    if use.sum() < 2:
        nan = float("nan")
        return Measured(nan, (nan, nan), {"order": nan, "order_ci": (nan, nan),
                                          "order_ci_low": nan, "used_step_sizes": 0.0},
                        details)
    x = np.log(dt[use])
    xc = x - x.mean()

    def slope(y):
        ly = np.log(y[..., use])
        return ((ly - ly.mean(axis=-1, keepdims=True)) @ xc) / (xc @ xc)

    b = float(slope(full))
    ci = tuple(float(q) for q in np.quantile(slope(boots), [0.025, 0.975]))
    return Measured(b, ci, {"order": b, "order_ci": ci, "order_ci_low": ci[0],
                            "used_step_sizes": float(use.sum())}, details)


# ---------------------------------------------------------------------------
# C4 sample-size rate
# ---------------------------------------------------------------------------

def measure_sample_rate(s: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Squared Gram-norm errors of LSTD(0) against the population discretised
    solution, (R, len(N))."""
    model = OUQuadratic(beta=0.0)
    f = model.realizable_features()
    est = s["agent"]()
    pop = population_statistics(model, f, s["K"])
    target = pop.lstd(0.0)
    err2 = np.empty((s["R"], len(s["N"])))
    for r in range(s["R"]):
        for i, N in enumerate(s["N"]):
            st = td_statistics(model, f, n_paths=N, K=s["K"], seed=base_seed + 7919 * r + i)
            d = est.lstd(st) - target
            err2[r, i] = d @ pop.Gm @ d
    return {"N": np.array(s["N"]), "err2": err2}


def judge_sample_rate(d: dict, s: dict) -> Measured:
    """Bootstrap slope of RMSE in N (half the slope of the mean squared error)."""
    fit = fit_loglog_slope(d["N"], d["err2"], method="bootstrap", seed=1)
    lo, hi = fit.ci()
    slope, ci = fit.slope / 2, (lo / 2, hi / 2)
    return Measured(slope, ci, {"slope": slope, "slope_ci": ci,
                                "n_span": float(d["N"][-1] / d["N"][0])},
                    {"rmse": np.sqrt(d["err2"].mean(axis=0)).tolist(), "N": d["N"].tolist()})


# ---------------------------------------------------------------------------
# C5 TD(1) = ML, ordering, projection rate
# ---------------------------------------------------------------------------

def _quadrature(model: OUQuadratic, K: int):
    t = model.grid(K)[:-1]
    m, v = model.moments(t)
    z, w = np.polynomial.hermite_e.hermegauss(64)
    w = w / w.sum()
    return t, m[None] + np.sqrt(v)[None] * z[:, None], w


def measure_td1(s: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Population TD(lambda)/ML fits and their errors (to J and J^dt); the per-path identity."""
    model = OUQuadratic(**s["model"])
    est = s["agent"]()
    out = {}
    lams = tuple(sorted(set(s["lams"]) | {est.td1_lam} | set(est.ml_lams())))
    for kind in ("quad", "quad_tau"):
        f = model.features(kind)
        st = population_statistics(model, f, s["K"], lams=lams, discount=est.discount)
        t, x, w = _quadrature(model, s["K"])
        Jdt = _discretised_value(model, s["K"])

        def err(th, f=f, t=t, x=x, w=w, K=s["K"], target=None):
            J = model.value(t[None], x) if target is None else target(x)
            dd = f(t, x) @ th - J
            return float(np.sqrt(np.sum(np.exp(-2 * model.beta * t) * model.T / K
                                        * (w @ dd ** 2))))

        ml = est.ml(st)
        thetas = {"ml": ml, **{lam: st.lstd(lam) for lam in s["lams"]}}
        out[kind] = {"ml": ml, "td1": est.td1(st),
                     "err": {k: err(th) for k, th in thetas.items()},
                     "err_dt": {k: err(th, target=Jdt) for k, th in thetas.items()}}
    # per-path identity on simulated data: sum_k xi_k delta_k(theta) = -grad ML
    f = model.features("quad")
    X = model.sample_paths(s["n_mc"], 20, rng=np.random.default_rng(base_seed))
    p = Paths.from_model(model, X)
    st = td_statistics(p, f, lams=(est.td1_lam,), discount=est.discount)
    th = np.array([0.3, -0.7])
    out["grad_gap"] = float(np.abs(st.g(th, est.td1_lam) - (st.gm - st.Gm @ th)).max())
    return out


def _discretised_value(model: OUQuadratic, K: int):
    r"""``x -> J^dt(t_k, x)`` on the grid (columns k < K) for B1: the value with the
    running reward replaced by its left Riemann sum, :math:`E[G_k|X_k=x]`."""
    dt = model.T / K
    a = np.exp(-model.kappa * dt)
    m = np.arange(K + 1)
    V = model.sigma ** 2 * (1 - a ** (2 * m)) / (2 * model.kappa)
    disc = np.exp(-model.beta * dt * m)
    ks = np.arange(K)
    c2 = np.array([np.sum(disc[:K - k] * dt * model.q * a ** (2 * m[:K - k]))
                   + disc[K - k] * model.p * a ** (2 * (K - k)) for k in ks])
    c0 = np.array([np.sum(disc[:K - k] * dt * model.q * V[:K - k])
                   + disc[K - k] * model.p * V[K - k] for k in ks])
    return lambda x: c2[None, :] * x ** 2 + c0[None, :]


def judge_td1(d: dict, s: dict) -> Measured:
    """Largest |theta_TD(1) - theta_ML| (population, both feature sets) and the path identity."""
    gap = max(np.abs(d[k]["td1"] - d[k]["ml"]).max() for k in ("quad", "quad_tau"))
    gap = float(max(gap, d["grad_gap"]))
    return Measured(gap, (gap, gap), {"gap": gap},
                    {"theta_ml": {k: d[k]["ml"] for k in ("quad", "quad_tau")}})


def judge_ordering(d: dict, s: dict) -> Measured:
    """ML's L2 error to J^dt against every TD(lambda)'s (margin of the smallest gap)."""
    margins = [min(v for kk, v in d[k]["err_dt"].items() if kk != "ml") - d[k]["err_dt"]["ml"]
               for k in ("quad", "quad_tau")]
    m = float(min(margins))
    return Measured(m, (m, m), {"ordering_holds": float(m >= -1e-12)},
                    {"errors": {k: d[k]["err"] for k in ("quad", "quad_tau")},
                     "errors_vs_Jdt": {k: d[k]["err_dt"] for k in ("quad", "quad_tau")}})


def measure_projection(s: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """For each K: the ML parameter and the L2(occupation) projection of the
    continuous J on the same grid."""
    model = OUQuadratic(**s["model"])
    f = model.features("quad")
    est = s["agent"]()
    lams = tuple(sorted({0.0} | set(est.ml_lams())))
    gaps = []
    for K in s["K"]:
        st = population_statistics(model, f, K, lams=lams, discount="exact")
        th = est.ml(st)
        t, x, w = _quadrature(model, K)
        F = f(t, x)                                      # (nq, K, d)
        wt = w[:, None] * np.exp(-2 * model.beta * t)[None] * (model.T / K)
        A = np.einsum("qk,qki,qkj->ij", wt, F, F)
        b = np.einsum("qk,qki,qk->i", wt, F, model.value(t[None], x))
        gaps.append(float(np.abs(th - np.linalg.solve(A, b)).max()))
    return {"K": np.array(s["K"], dtype=float), "gap": np.array(gaps)}


def judge_projection(d: dict, s: dict) -> Measured:
    """Order in dt of |theta - theta_proj| (1: the gap halves when K doubles)."""
    fit = fit_loglog_slope(1.0 / d["K"], np.maximum(d["gap"], 1e-300))
    return Measured(fit.slope, tuple(fit.ci()),
                    {"order": fit.slope, "k_span": float(d["K"][-1] / d["K"][0])},
                    {"K": d["K"].tolist(), "gap": d["gap"].tolist(),
                     "halving_ratios": (d["gap"][:-1] / d["gap"][1:]).tolist()})


# ---------------------------------------------------------------------------
# C7 martingale diagnostic
# ---------------------------------------------------------------------------

_TEST_FNS = {"1": lambda t, x: np.ones_like(x), "x": lambda t, x: x,
             "x^2": lambda t, x: x ** 2, "t x^2": lambda t, x: t * x ** 2,
             "x^3": lambda t, x: x ** 3}


def measure_diagnostic(s: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Held-out martingale z-scores of four fits against five test functions."""
    model = OUQuadratic(beta=0.0)
    f = model.realizable_features()
    st = td_statistics(model, f, n_paths=s["n_train"], K=s["K"], seed=base_seed)
    test = Paths.from_model(model, model.sample_paths(s["n_test"], s["K"],
                                                      rng=np.random.default_rng(base_seed + 1)))
    est = s["agent"]()
    thetas = {"true": model.theta_star, "fitted": est.lstd(st), "ml": est.ml(st),
              "mstde": est.mstde(st)}
    return {k: martingale_diagnostic(th, test, f, _TEST_FNS) for k, th in thetas.items()}


def judge_diagnostic(d: dict, s: dict) -> Measured:
    """Largest |z| of each fit."""
    mx = {k: float(max(abs(z) for z in v.values())) for k, v in d.items()}
    return Measured(mx["fitted"], (0.0, 4.0),
                    {"max_z_fitted": mx["fitted"], "max_z_ml": mx["ml"],
                     "max_z_mstde": mx["mstde"], "max_z_true_headroom": 4.0 - mx["true"]},
                    {"max_abs_z": mx, "z": d})


# ---------------------------------------------------------------------------
# C8 stochastic approximation
# ---------------------------------------------------------------------------

def measure_sa(s: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Sup-norm value errors at t = 0 of four stochastic-approximation runs."""
    model = OUQuadratic()
    f = model.realizable_features()
    xs = np.linspace(-1.5, 1.5, 61)
    kw = dict(K=s["K"], iterations=s["iterations"], batch=s["batch"])
    est = s["agent"]()
    runs = {
        "offline TD(0)": lambda rng: est.td0_sa(model, f, online=False, rng=rng, **kw),
        "online TD(0)": lambda rng: est.td0_sa(model, f, online=True, rng=rng, **kw),
        "offline GTD2": lambda rng: gtd_sa(model, f, rng=rng, **kw).theta,
        "ML SGD": lambda rng: ml_sgd(model, f, rng=rng, **kw).theta,
    }
    out = {name: value_error(model, f, run(np.random.default_rng(base_seed + i)), xs=xs)
           for i, (name, run) in enumerate(runs.items())}
    out["population LSTD(0)"] = value_error(model, f, population_statistics(
        model, f, s["K"]).lstd(0.0), xs=xs)
    out["initial"] = value_error(model, f, np.zeros(len(f.powers)), xs=xs)
    return out


def judge_sa(d: dict, s: dict) -> Measured:
    """Worst error over the stochastic-approximation runs."""
    worst = float(max(v for k, v in d.items() if k not in ("initial", "population LSTD(0)")))
    return Measured(worst, (worst, worst),
                    {"worst_error": worst, "initial_over_tolerance": d["initial"] / 0.05},
                    {"errors": d})


# ---------------------------------------------------------------------------
# C9 variance does not blow up
# ---------------------------------------------------------------------------

def measure_variance(s: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Replicated estimates of J(0, 1) by LSTD(0) and ML at each K."""
    model = OUQuadratic(beta=0.0)
    f = model.realizable_features()
    phi0 = f(np.zeros(1), np.ones((1, 1)))[0, 0]
    pe = s["agent"]()
    est = np.empty((2, s["R"], len(s["K"])))
    for r in range(s["R"]):
        for i, K in enumerate(s["K"]):
            rng = np.random.default_rng(base_seed + 1009 * r + i)
            st = td_statistics(pe.paths(model, model.sample_paths(s["n"], K, rng=rng)), f)
            est[0, r, i] = phi0 @ pe.lstd(st)
            est[1, r, i] = phi0 @ pe.ml(st)
    return {"K": s["K"], "est": est, "truth": float(model.value(0.0, 1.0))}


def judge_variance(d: dict, s: dict) -> Measured:
    """SD ratio between the largest and smallest K, for LSTD(0) and ML (F interval)."""
    sd = d["est"].std(axis=1, ddof=1)                  # (2, nK)
    R = d["est"].shape[1]
    ratio = sd[:, -1] / sd[:, 0]
    q = stats.f.ppf([0.025, 0.975], R - 1, R - 1)
    ci = (float(ratio[0] / np.sqrt(q[1])), float(ratio[0] / np.sqrt(q[0])))
    return Measured(float(ratio[0]), ci,
                    {"ratio_min": float(ratio.min()), "ratio_max": float(ratio.max()),
                     "k_span": float(d["K"][-1] / d["K"][0])},
                    {"sd_lstd": sd[0].tolist(), "sd_ml": sd[1].tolist(),
                     "ratio_ml": float(ratio[1]), "K": d["K"],
                     "bias_lstd": (d["est"][0].mean(axis=0) - d["truth"]).tolist()})


# ---------------------------------------------------------------------------
# C10 infinite horizon
# ---------------------------------------------------------------------------

def measure_infinite(s: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Population TD(0) coefficient errors on B3 for both increment conventions."""
    model = OUDiscounted()
    est = s["agent"]()
    out = {}
    for disc in ("euler", "exact"):
        out[disc] = [float(np.abs(est.stationary_td0(model, dt, disc) - model.theta_star).max())
                     for dt in s["dt"]]
    return {"dt": np.array(s["dt"]), "err": out}


def judge_infinite(d: dict, s: dict) -> Measured:
    """Order in dt of both conventions' errors."""
    fits = {k: fit_loglog_slope(d["dt"], np.array(v)) for k, v in d["err"].items()}
    f = fits["euler"]
    slopes = [g.slope for g in fits.values()]
    return Measured(f.slope, tuple(f.ci()),
                    {"slope_min": min(slopes), "slope_max": max(slopes),
                     "dt_span": float(d["dt"][0] / d["dt"][-1])},
                    {"slope_exact": fits["exact"].slope, "errors": d["err"],
                     "dt": d["dt"].tolist()})


# ---------------------------------------------------------------------------

def _tiers(name: str) -> dict:
    return {"quick": QUICK[name], "full": SWEEP[name]}


_ORDER_WINDOW = (AtLeast("min_order", 0.9), AtMost("max_order", 1.1))

CHECKS = [
    Check("brownian_counterexample",
          "MSTDE minimiser on dX = sigma dW, h = x^2 is theta_1 = (3K-2)/(5K-4) -> 3/5 while "
          "LSTD and ML recover 1: population exact to 1e-8, MC |z| <= 4 for LSTD vs 1 and "
          "MSTDE vs the formula, MSTDE > 10 SE below 1 [R, N]",
          "B2: Brownian motion, sigma = 0.7, T = 2", _tiers("brownian_counterexample"),
          measure_brownian, judge_brownian,
          AllOf((AtMost("population_error", 1e-8), AtMost("max_abs_z_lstd", 4),
                 AtMost("max_abs_z_mstde_formula", 4), AtLeast("min_z_gap", 10))),
          base_seed=11, seeds_key="R"),
    Check("order_dt_exact",
          "population LSTD(0) and ML errors on B1 shrink at order 1 in dt (orders in "
          "[0.9, 1.1]); the MSTDE error grows as dt shrinks and is >= 0.15 at K = 64 [R, N]",
          "B1: OU with quadratic reward, realizable basis", _tiers("order_dt_exact"),
          measure_order_exact, judge_order_exact,
          AllOf((*_ORDER_WINDOW, AtLeast("mstde_increasing", 1),
                 AtLeast("mstde_error_K64", 0.15))),
          base_seed=None, seeds_key=None),
    Check("order_dt_mc",
          "Monte Carlo LSTD(0) error on B1 (exact OU paths, common random numbers) shrinks "
          "at order in [0.7, 1.5] in dt and the block-bootstrap 95% CI meets [0.8, 1.2]; fit "
          "on dt with bias/SE > 5 [N]",
          "B1, paths at K = 64 subsampled", _tiers("order_dt_mc"),
          measure_order_mc, judge_order_mc,
          AllOf((AtLeast("order", 0.7), AtMost("order", 1.5),
                 CIMeets("order_ci", 0.8, 1.2))),
          base_seed=7, seeds_key="groups"),
    Check("sample_rate",
          "RMSE of LSTD(0) against the population discretised solution (Gram norm) falls "
          "like N^(-1/2): bootstrap CI of the slope contains -0.5 or slope in [-0.6, -0.4] [N]",
          "B1, beta = 0, K = 16", _tiers("sample_rate"),
          measure_sample_rate, judge_sample_rate,
          AnyOf((CIMeets("slope_ci", -0.5, -0.5),
                 AllOf((AtLeast("slope", -0.6), AtMost("slope", -0.4))))),
          base_seed=2024, seeds_key="R"),
    Check("td1_equals_ml",
          "TD(1) with the per-unit-time trace equals ML to 1e-10 (beta = 0, or exact "
          "discounting), population and per path [R, N]",
          "B1 misspecified (features [1, x^2] and [1, x^2, T-t]), K = 200",
          _tiers("td1_equals_ml"), measure_td1, judge_td1, AtMost("gap", 1e-10),
          base_seed=5, seeds_key=None),
    Check("ml_best_ordering",
          "ML has the smallest L2(occupation) error to J^dt among TD(lambda), lambda in "
          "{0, 0.1, 0.5} (ML is that projection) [R, N]",
          "B1 misspecified, K = 200", _tiers("td1_equals_ml"), measure_td1, judge_ordering,
          AtLeast("ordering_holds", 1), base_seed=5, seeds_key=None),
    Check("ml_projection_rate",
          "|theta_ML - theta_proj| halves when K doubles: order in dt within [0.9, 1.1] "
          "(theta_proj: L2(occupation) projection of the continuous J on the same grid) [R]",
          "B1 misspecified (features [1, x^2])", _tiers("ml_projection_rate"),
          measure_projection, judge_projection,
          AllOf((AtLeast("order", 0.9), AtMost("order", 1.1))),
          base_seed=None, seeds_key=None),
    Check("martingale_diagnostic",
          "held-out increments of the LSTD/ML fits are martingale-orthogonal to 5 test "
          "functions not used in fitting (max|z| <= 4), while the MSTDE fit is rejected "
          "(max|z| >= 10) [N]",
          "B1, beta = 0, K = 100", _tiers("martingale_diagnostic"),
          measure_diagnostic, judge_diagnostic,
          AllOf((AtMost("max_z_fitted", 4), AtMost("max_z_ml", 4),
                 AtLeast("max_z_mstde", 10))),
          base_seed=3, seeds_key=None),
    Check("sa_convergence",
          "offline/online TD(0), two-timescale GTD2 and gradient-MC SGD with alpha_j = "
          "j^-0.51 reach max_x |J^theta(0,x) - J(0,x)| <= 0.05 on B1 [N]",
          "B1, K = 50, minibatch 32", _tiers("sa_convergence"), measure_sa, judge_sa,
          AtMost("worst_error", 0.05), base_seed=8, seeds_key=None),
    Check("variance_flat",
          "SD of J^(0,1) from LSTD(0) and ML does not blow up as dt -> 0: SD(K_max)/SD(K_min) "
          "in [0.5, 2] for both [N]",
          "B1, beta = 0", _tiers("variance_flat"), measure_variance, judge_variance,
          AllOf((AtLeast("ratio_min", 0.5), AtMost("ratio_max", 2.0))),
          base_seed=9, seeds_key="R"),
    Check("infinite_horizon",
          "population TD(0) coefficient error on the discounted OU model B3 is O(dt) for both "
          "increment conventions: slopes in [0.9, 1.1] [N]",
          "B3: discounted OU", _tiers("infinite_horizon"), measure_infinite, judge_infinite,
          AllOf((AtLeast("slope_min", 0.9), AtMost("slope_max", 1.1))),
          base_seed=None, seeds_key=None),
]
