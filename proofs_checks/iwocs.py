r"""Proof checks for robust MDPs and IWOCS (Zouitine, Geist, Rachelson 2024), on the harness.

Thirteen checks, A1-A13, registered in ``proofs_checks/registry.toml``. All
but A11 (its Monte-Carlo part) and A12 are deterministic: each measurement is
exact (LP, conic solver, brute force over static models, exact policy
evaluation) and judged against explicit tolerances.

Invariants (algebra that holds for any correct implementation): A1 the L1
closed form against an LP, A2 the KL dual against cvxpy, A3 properties of the
inner problems, A4 the contraction and monotonicity of the robust Bellman
operator. Theorem checks (with a bite statistic each): A5 static = dynamic
(Iyengar 2005, Lemma 3.3) by brute force, A6 the certificate and Properties
1-2 of Algorithm 1, A7 finite termination of the rectangular variant, A8 stall
rate (the paper's version stalls, the rectangular one never), A9/A10 IWOCS on
L1/KL balls against robust value iteration, A11 the windy-walk replica, A12 the
winner's curse of the Monte-Carlo worst-case search, A13 the gap between a
coupled family and its rectangular hull.

Every check fails on a broken variant placed in its setting
(``tests/test_iwocs_checks.py``); the variants are defined at the end of
this module.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog

from theoryrl.agents.iwocs import IWOCSResult, iwocs, monte_carlo_values
from theoryrl.claims import AllOf, AtLeast, AtMost
from theoryrl.envs.robust import random_finite_set, windy_walk
from theoryrl.planning import policy_iteration
from theoryrl.robust import (
    KLBall,
    L1Ball,
    ModelFamily,
    kl_worst,
    l1_worst,
    robust_bellman,
    robust_policy_evaluation,
    robust_value_iteration,
    static_value,
)

from ._harness import Check, Measured

PAPER = "iwocs"


def _dist(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.min()), float(v.max())


# ----------------------------------------------------------------------------- A1
def _l1_lp(p_hat: np.ndarray, v: np.ndarray, beta: float) -> float:
    """min p.v over {p in simplex, ||p - p_hat||_1 <= beta}, as an LP in (p, t)."""
    S = p_hat.size
    c = np.concatenate([v, np.zeros(S)])
    eye = np.eye(S)
    A_ub = np.block([[eye, -eye], [-eye, -eye], [np.zeros((1, S)), np.ones((1, S))]])
    b_ub = np.concatenate([p_hat, -p_hat, [beta]])
    A_eq = np.concatenate([np.ones(S), np.zeros(S)])[None]
    # HiGHS' default feasibility slack (1e-7) moves the optimum by ~1e-8
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0],
                  bounds=[(0, None)] * (2 * S), method="highs",
                  options=dict(primal_feasibility_tolerance=1e-10,
                               dual_feasibility_tolerance=1e-10))
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return float(res.fun)


def measure_l1(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Closed-form value, LP value and feasibility on random instances."""
    solve = setting.get("l1", l1_worst)
    rng = np.random.default_rng(base_seed)
    err, infeas = [], []
    for _ in range(setting["instances"]):
        S = int(rng.integers(2, 12))
        p_hat = rng.dirichlet(np.full(S, 0.5))
        v = rng.normal(size=S) * rng.choice([1.0, 10.0])
        beta = float(rng.uniform(0, 2.2))
        val, p = solve(p_hat, v, beta)
        err.append(abs(float(val) - _l1_lp(p_hat, v, beta)) / (1 + np.abs(v).max()))
        infeas.append(max(np.abs(p - p_hat).sum() - beta, -p.min(), abs(p.sum() - 1), 0.0))
    return {"error": np.array(err), "infeasibility": np.array(infeas)}


def judge_l1(data: dict, setting: dict) -> Measured:
    """Largest value error (relative to 1 + max|v|) and largest infeasibility."""
    e, f = float(data["error"].max()), float(data["infeasibility"].max())
    return Measured(e, _dist(data["error"]), {"max_value_error": e, "max_infeasibility": f},
                    {"instances": int(data["error"].size)})


# ----------------------------------------------------------------------------- A2
def measure_kl(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Dual value against cvxpy on random instances, and the corner case."""
    import cvxpy as cp

    solve = setting.get("kl", kl_worst)
    rng = np.random.default_rng(base_seed)
    err = []
    for _ in range(setting["instances"]):
        S = int(rng.integers(2, 8))
        p_hat = rng.dirichlet(np.ones(S))
        v = rng.normal(size=S)
        beta = float(rng.uniform(0.01, 0.5))
        val = solve(p_hat, v, beta)[0]
        x = cp.Variable(S)
        prob = cp.Problem(cp.Minimize(v @ x), [x >= 0, cp.sum(x) == 1,
                                               cp.sum(cp.kl_div(x, p_hat)) <= beta])
        prob.solve()
        err.append(abs(float(val) - float(prob.value)))
    # beyond the corner all mass sits on the best state of the support
    p_hat = np.array([0.5, 0.3, 0.2, 0.0])
    v = np.array([3.0, 1.0, 2.0, -5.0])
    corner = abs(float(solve(p_hat, v, -np.log(0.3) + 1e-3)[0]) - 1.0)
    return {"error": np.array(err), "corner": corner}


def judge_kl(data: dict, setting: dict) -> Measured:
    """Largest |dual - cvxpy| and the corner-case error."""
    e = float(data["error"].max())
    return Measured(e, _dist(data["error"]), {"max_value_error": e,
                                              "corner_error": float(data["corner"])},
                    {"instances": int(data["error"].size)})


# ----------------------------------------------------------------------------- A3
def measure_properties(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Property violations of both inner problems on random examples."""
    solvers = {"l1": setting.get("l1", l1_worst), "kl": setting.get("kl", kl_worst)}
    rng = np.random.default_rng(base_seed)
    bad: dict[str, int] = {}

    def flag(name, ok):
        if not ok:
            bad[name] = bad.get(name, 0) + 1

    for _ in range(setting["examples"]):
        S = int(rng.integers(2, 8))
        v = rng.uniform(-50, 50, size=S)
        p_hat = rng.dirichlet(np.ones(S))
        lo, hi = np.sort(rng.uniform(0, 3, size=2))
        c = float(rng.uniform(-20, 20))
        scale = 1 + np.abs(v).max() + abs(c)
        for key, solve in solvers.items():
            val_lo, p = solve(p_hat, v, lo)[:2]
            flag(f"{key}_radius", solve(p_hat, v, hi)[0] <= val_lo + 1e-9 * scale)
            flag(f"{key}_centre", abs(solve(p_hat, v, 0.0)[0] - p_hat @ v) <= 1e-9 * scale)
            flag(f"{key}_translation", abs(solve(p_hat, v + c, lo)[0] - val_lo - c)
                 <= 1e-8 * scale)
            flag(f"{key}_monotone", val_lo <= solve(p_hat, v + np.abs(v), lo)[0]
                 + 1e-9 * scale)
            flag(f"{key}_feasible", p.min() >= -1e-12 and abs(p.sum() - 1) <= 1e-9)
        flag("l1_beta2", abs(solvers["l1"](p_hat, v, 2.0)[0] - v.min()) <= 1e-9 * scale)
    return {"violations": bad, "examples": setting["examples"]}


def judge_properties(data: dict, setting: dict) -> Measured:
    """Total property violations (by property in the details)."""
    n = sum(data["violations"].values())
    return Measured(n, (n, n), {"violations": n},
                    {"by_property": data["violations"], "examples": data["examples"]})


# ----------------------------------------------------------------------------- A4
def _sets(seed: int):
    inst = random_finite_set(5, 3, 3, gamma=0.9, seed=seed)
    P = inst.uset.C[:, :, 0]
    return inst.R, [inst.uset, L1Ball(P, 0.4), KLBall(P, 0.1)]


def measure_contraction(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """||LV - LW|| - gamma ||V - W|| and monotonicity on random pairs, three set types."""
    bellman = setting.get("bellman", robust_bellman)
    rng = np.random.default_rng(base_seed)
    excess, mono = [], 0
    for seed in range(setting["instances"]):
        R, sets = _sets(seed)
        for uset in sets:
            for _ in range(setting["pairs"]):
                V, W = rng.normal(size=(2, R.shape[0])) * 5
                LV = bellman(uset, R, 0.9, V)[0].max(axis=1)
                LW = bellman(uset, R, 0.9, W)[0].max(axis=1)
                excess.append(np.abs(LV - LW).max() - 0.9 * np.abs(V - W).max())
                Lmax = bellman(uset, R, 0.9, np.maximum(V, W))[0].max(axis=1)
                mono += int((Lmax < np.maximum(LV, LW) - 1e-9).any())
    return {"excess": np.array(excess), "monotone_violations": mono}


def judge_contraction(data: dict, setting: dict) -> Measured:
    """Largest excess over the contraction bound."""
    e = float(data["excess"].max())
    return Measured(e, _dist(data["excess"]),
                    {"max_excess": e, "monotone_violations": data["monotone_violations"]},
                    {"pairs": int(data["excess"].size)})


# ----------------------------------------------------------------------------- A5
class RobustSolvers:
    """The robust values a check compares with brute force (the library's solvers)."""

    def evaluate(self, uset, R, gamma, pi) -> np.ndarray:
        """Robust value of ``pi``."""
        return robust_policy_evaluation(uset, R, gamma, pi).V

    def optimise(self, uset, R, gamma) -> np.ndarray:
        """Optimal robust value."""
        return robust_value_iteration(uset, R, gamma, epsilon=1e-10).V


def _all_static(C: np.ndarray):
    S, A, K, _ = C.shape
    for choice in itertools.product(range(K), repeat=S * A):
        k = np.array(choice).reshape(S, A)
        yield np.take_along_axis(C, k[..., None, None], axis=2)[:, :, 0]


def measure_static_dynamic(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Brute force over the 2^(S A) static models of tiny finite sets."""
    solvers = setting.get("solvers", RobustSolvers())
    pe, vi, spread = [], [], []
    for seed in range(setting["instances"]):
        inst = random_finite_set(3, 2, 2, gamma=0.9, seed=seed)
        C, R = inst.uset.C, inst.R
        pi = np.random.default_rng(seed).integers(2, size=3)
        models = list(_all_static(C))
        static = np.array([static_value(T, R, 0.9, pi)[0] for T in models])
        best = np.array([policy_iteration(T, R, 0.9).V[0] for T in models])
        pe.append(abs(static.min() - solvers.evaluate(inst.uset, R, 0.9, pi)[0]))
        vi.append(abs(best.min() - solvers.optimise(inst.uset, R, 0.9)[0]))
        spread.append((static.max() - static.min()) / abs(static.min()))
    return {"pe": np.array(pe), "vi": np.array(vi), "spread": np.array(spread)}


def judge_static_dynamic(data: dict, setting: dict) -> Measured:
    """Largest error of robust PE and of robust VI against the static minimum."""
    e = max(float(data["pe"].max()), float(data["vi"].max()))
    return Measured(e, (0.0, e), {"max_pe_error": float(data["pe"].max()),
                                  "max_vi_error": float(data["vi"].max()),
                                  "median_spread": float(np.median(data["spread"]))},
                    {"instances": int(data["pe"].size)})


# ----------------------------------------------------------------------------- A6, A7
def measure_random_sets(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """IWOCS on random finite sets with the robust VI reference, per instance."""
    run = setting.get("agent", iwocs)
    S, A, K = setting["S"], setting["A"], setting["K"]
    out = []
    for seed in range(setting["instances"]):
        inst = random_finite_set(S, A, K, gamma=0.9, seed=seed)
        rv = robust_value_iteration(inst.uset, inst.R, 0.9, epsilon=1e-11)
        res = run(inst.uset, inst.R, 0.9, inst.init, variant=setting["variant"],
                  epsilon=setting["epsilon"])
        rec = {"status": res.status, "models": len(res.models), "rv": rv, "res": res}
        if setting["variant"] == "rect":
            ev = robust_policy_evaluation(inst.uset, inst.R, 0.9, res.policy)
            rec["policy_error"] = float(np.abs(ev.V - rv.V).max())
        out.append(rec)
    return {"runs": out, "budget": S * A * K}


def _invariant_violations(res: IWOCSResult, rv, tol: float = 1e-8) -> int:
    bad = int((np.diff(res.upper) > tol).sum())
    for Q, U, L in zip(res.Q, res.upper, res.lower, strict=True):
        bad += int((Q < rv.Q - tol).any()) + int(U < rv.V[0] - tol) + int(L > rv.V[0] + tol)
    for Q0, Q1 in itertools.pairwise(res.Q):
        bad += int((Q1 > Q0 + tol).any())
    if res.status == "converged":
        bad += int(rv.V[0] - res.value > 1e-8 + tol)
    return bad


def judge_invariants(data: dict, setting: dict) -> Measured:
    """Violations of Properties 1-2 and the certificate, over all iterations."""
    runs = data["runs"]
    bad = sum(_invariant_violations(r["res"], r["rv"]) for r in runs)
    conv = float(np.mean([r["status"] == "converged" for r in runs]))
    models = np.array([r["models"] for r in runs])
    return Measured(bad, (bad, bad), {"violations": bad, "converged_fraction": conv,
                                      "mean_models": float(models.mean())},
                    {"instances": len(runs), "max_models": int(models.max()),
                     "statuses": sorted({r["status"] for r in runs})})


def judge_termination(data: dict, setting: dict) -> Measured:
    """Runs not converged, over the model budget, and the worst policy error."""
    runs = data["runs"]
    nc = sum(r["status"] != "converged" for r in runs)
    over = sum(r["models"] > data["budget"] for r in runs)
    perr = max(r["policy_error"] for r in runs)
    models = np.array([r["models"] for r in runs])
    return Measured(perr, (0.0, perr), {"not_converged": nc, "over_budget": over,
                                        "max_policy_error": perr,
                                        "mean_models": float(models.mean())},
                    {"instances": len(runs), "max_models": int(models.max())})


# ----------------------------------------------------------------------------- A8
def _rect(uset, R, gamma, init, **kw) -> IWOCSResult:
    return iwocs(uset, R, gamma, init, variant="rect", **kw)


def measure_stalls(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """Statuses of both versions on sparse random finite sets."""
    rect = setting.get("rect", _rect)
    paper, rects = [], []
    for seed in range(setting["instances"]):
        inst = random_finite_set(setting["S"], setting["A"], setting["K"],
                                 concentration=setting["concentration"], gamma=0.9, seed=seed)
        paper.append(iwocs(inst.uset, inst.R, 0.9, inst.init).status)
        rects.append(rect(inst.uset, inst.R, 0.9, inst.init).status)
    return {"paper": paper, "rect": rects}


def judge_stalls(data: dict, setting: dict) -> Measured:
    """Stalls of the rect variant (rule) and of the paper's version (recorded, bite)."""
    ps = [i for i, s in enumerate(data["paper"]) if s == "stalled"]
    rs = sum(s == "stalled" for s in data["rect"])
    n = len(data["paper"])
    return Measured(len(ps) / n, (len(ps) / n, len(ps) / n),
                    {"rect_stalled": rs, "paper_stalled": len(ps)},
                    {"instances": n, "paper_stalled_seeds": ps,
                     "rect_not_converged": sum(s != "converged" for s in data["rect"])})


# ----------------------------------------------------------------------------- A9, A10
def measure_ball(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """IWOCS (rect) on L1 or KL balls around random kernels, with robust VI."""
    run = setting.get("agent", iwocs)
    make = {"l1": L1Ball, "kl": KLBall}[setting["ball"]]
    err, cert, disc = [], 0, []
    for seed in range(setting["instances"]):
        inst = random_finite_set(setting["S"], 3, 1, gamma=0.9, seed=seed)
        P = inst.uset.C[:, :, 0]
        uset = make(P, setting["beta"])
        res = run(uset, inst.R, 0.9, inst.init, variant="rect", epsilon=1e-7,
                  vi_epsilon=setting["vi_epsilon"])
        rv = robust_value_iteration(uset, inst.R, 0.9, epsilon=setting["vi_epsilon"])
        tol = 1e-6
        err.append(abs(res.value - rv.V[0]))
        cert += int((np.diff(res.upper) > tol).sum())
        cert += int((res.upper < rv.V[0] - tol).sum() + (res.lower > rv.V[0] + tol).sum())
        disc.append(policy_iteration(P, inst.R, 0.9).V[0] - rv.V[0])
    return {"error": np.array(err), "certificate": cert, "discount": np.array(disc)}


def judge_ball(data: dict, setting: dict) -> Measured:
    """Largest |L_final - robust VI| and certificate violations."""
    e = float(data["error"].max())
    return Measured(e, _dist(data["error"]),
                    {"max_value_error": e, "certificate_violations": data["certificate"],
                     "min_robust_discount": float(data["discount"].min())},
                    {"instances": int(data["error"].size)})


# ----------------------------------------------------------------------------- A11
def measure_windy(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """IWOCS on the windy walk, exact and with Monte-Carlo estimates of the models."""
    run = setting.get("agent", iwocs)
    inst = windy_walk()
    res = run(inst.uset, inst.R, inst.gamma, inst.init)
    hull = robust_value_iteration(inst.uset.hull(), inst.R, inst.gamma, epsilon=1e-10)
    exact = np.array([static_value(T, inst.R, inst.gamma, res.policy)[inst.init]
                      for T in inst.uset.models])
    mean, se = monte_carlo_values(inst.uset.models, inst.R, inst.gamma, res.policy, inst.init,
                                  setting["rollouts"], np.random.default_rng(base_seed))
    nominal = policy_iteration(inst.uset.models[0], inst.R, inst.gamma).V[inst.init]
    det = np.array([np.isin(T, (0.0, 1.0)).all() for T in inst.uset.models])
    return {"models": len(res.models), "value": res.value, "hull": hull.V[inst.init],
            "exact": exact, "mean": mean, "se": se, "nominal": nominal, "deterministic": det}


def judge_windy(data: dict, setting: dict) -> Measured:
    """Models found, |value - hull RVI|, largest Monte-Carlo z.

    Models whose rollouts all returned the same value have no standard error:
    a deterministic kernel (alpha = 0) must then be matched exactly, a random one
    (a gust too rare to show in the rollouts) is left out of the z-test and counted.
    """
    noisy = data["se"] > 1e-9
    z = np.abs(data["mean"] - data["exact"])[noisy] / data["se"][noisy]
    zmax = float(z.max()) if z.size else 0.0
    det = data["deterministic"] & ~noisy
    if (np.abs(data["mean"] - data["exact"])[det] > 1e-7).any():
        zmax = float("inf")
    return Measured(data["value"], (data["value"], data["value"]),
                    {"models_minus_2": data["models"] - 2,
                     "hull_error": abs(data["value"] - data["hull"]),
                     "max_abs_mc_z": zmax,
                     "robust_discount": float(data["nominal"] - data["value"])},
                    {"models": data["models"], "hull_value": float(data["hull"]),
                     "z_tested_models": int(noisy.sum()),
                     "unseen_gust_models": int((~noisy & ~data["deterministic"]).sum())})


# ----------------------------------------------------------------------------- A12
def naive_minimum(models, R, gamma, pi, init, rollouts, rng) -> float:
    """The paper's worst-case estimate: the minimum of the Monte-Carlo means."""
    return float(monte_carlo_values(models, R, gamma, pi, init, rollouts, rng)[0].min())


def measure_curse(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Repeated estimates of min_alpha V_alpha on 25 near-tied windy-walk models."""
    estimate = setting.get("estimator", naive_minimum)
    inst = windy_walk(np.linspace(0.45, 0.5, 25))
    pi = iwocs(inst.uset, inst.R, inst.gamma, inst.init).policy
    exact = np.array([static_value(T, inst.R, inst.gamma, pi)[inst.init]
                      for T in inst.uset.models])
    rng = np.random.default_rng(base_seed)
    se = monte_carlo_values(inst.uset.models, inst.R, inst.gamma, pi, inst.init,
                            setting["rollouts"], rng)[1]
    bias = np.array([estimate(inst.uset.models, inst.R, inst.gamma, pi, inst.init,
                              setting["rollouts"], rng) - exact.min()
                     for _ in range(setting["seeds"])])
    return {"bias": bias, "se": se, "exact": exact}


def judge_curse(data: dict, setting: dict) -> Measured:
    """z of the mean bias; noise over the spread of the exact values."""
    b = data["bias"]
    se = b.std(ddof=1) / np.sqrt(b.size)
    m = float(b.mean())
    spread = float(np.ptp(data["exact"]))
    return Measured(m, (m - 1.96 * se, m + 1.96 * se),
                    {"bias_z": m / se, "noise_over_spread": float(data["se"].mean()) / spread},
                    {"repetitions": int(b.size), "exact_spread": spread})


# ----------------------------------------------------------------------------- A13
def coupled_family() -> tuple[ModelFamily, np.ndarray]:
    """Two states whose worst cases need opposite parameters (alpha = 0 or 1)."""
    S, A = 3, 1
    models = np.zeros((2, S, A, S))
    models[:, 0, 0] = [0.0, 0.5, 0.5]
    models[0, 1, 0], models[1, 1, 0] = [0, 1, 0], [1, 0, 0]
    models[0, 2, 0], models[1, 2, 0] = [1, 0, 0], [0, 0, 1]
    return ModelFamily(models), np.array([[0.0], [1.0], [1.0]])


def hull_value(family: ModelFamily, R, gamma) -> float:
    """Robust VI on the rectangular hull of the family, at state 0."""
    return float(robust_value_iteration(family.hull(), R, gamma, epsilon=1e-11).V[0])


def measure_gap(setting: dict, base_seed: int | None, n_jobs: int = 1) -> dict:
    """IWOCS's static value and the hull's robust value on the coupled family."""
    conservative = setting.get("conservative", hull_value)
    fam, R = coupled_family()
    res = iwocs(fam, R, 0.9, 0)
    members = [static_value(T, R, 0.9, res.policy)[0] for T in fam.models]
    return {"static": res.value, "hull": conservative(fam, R, 0.9), "members": members}


def judge_gap(data: dict, setting: dict) -> Measured:
    """static - hull."""
    g = float(data["static"] - data["hull"])
    return Measured(g, (g, g), {"gap": g, "static_spread": float(np.ptp(data["members"]))},
                    {"static": float(data["static"]), "hull": float(data["hull"])})


# ----------------------------------------------------------------------------- checks
_R6 = dict(S=8, A=3, K=4, epsilon=1e-8)

CHECKS = [
    Check("A1_l1_vs_lp", "L1 closed form = LP optimum (HiGHS), feasible",
          "random p_hat ~ Dir(0.5), S in [2, 12), beta in [0, 2.2]",
          {"quick": dict(instances=100), "full": dict(instances=300)},
          measure_l1, judge_l1,
          AllOf((AtMost("max_value_error", 1e-9), AtMost("max_infeasibility", 1e-9))),
          base_seed=20_241_101),
    Check("A2_kl_vs_cvxpy", "KL dual (bisection) = cvxpy optimum; corner case exact",
          "random p_hat ~ Dir(1), S in [2, 8), beta in [0.01, 0.5]",
          {"quick": dict(instances=20), "full": dict(instances=100)},
          measure_kl, judge_kl,
          AllOf((AtMost("max_value_error", 1e-6), AtMost("corner_error", 0))),
          base_seed=20_241_102),
    Check("A3_inner_properties",
          "inner problems: monotone in beta and v, centre at 0, translation, feasible",
          "random v in [-50, 50]^S, S in [2, 8), radii in [0, 3]",
          {"quick": dict(examples=30), "full": dict(examples=300)},
          measure_properties, judge_properties, AtMost("violations", 0),
          base_seed=20_241_103, seeds_key="examples"),
    Check("A4_contraction", "robust Bellman operator: monotone gamma-contraction",
          "random S=5, A=3: finite set K=3, L1 ball 0.4, KL ball 0.1; gamma=0.9",
          {"quick": dict(instances=3, pairs=20), "full": dict(instances=10, pairs=50)},
          measure_contraction, judge_contraction,
          AllOf((AtMost("max_excess", 1e-12), AtMost("monotone_violations", 0))),
          base_seed=20_241_104, seeds_key=None),
    Check("A5_static_equals_dynamic",
          "min over static models = robust PE and robust VI values (brute force)",
          "random finite sets S=3, A=2, K=2 (64 static models), gamma=0.9",
          {"quick": dict(instances=5), "full": dict(instances=20)},
          measure_static_dynamic, judge_static_dynamic,
          AllOf((AtMost("max_pe_error", 1e-8), AtMost("max_vi_error", 1e-8))),
          base_seed=None, seeds_key=None),
    Check("A6_iwocs_invariants",
          "U_i >= V* >= L_i, U and Q non-increasing, Q_i >= Q*; eps-optimal at convergence",
          "random finite sets S=8, A=3, K=4, gamma=0.9 (paper's version)",
          {"quick": dict(_R6, instances=20, variant="paper"),
           "full": dict(_R6, instances=200, variant="paper")},
          measure_random_sets, judge_invariants,
          AllOf((AtMost("violations", 0), AtLeast("converged_fraction", 0.9))),
          base_seed=None, seeds_key=None),
    Check("A7_rect_termination",
          "rect variant: converged, <= sum |P_sa| models, robust-optimal at every state",
          "random finite sets S=8, A=3, K=4, gamma=0.9 (rect variant, eps=1e-9)",
          {"quick": dict(_R6, instances=20, variant="rect", epsilon=1e-9),
           "full": dict(_R6, instances=200, variant="rect", epsilon=1e-9)},
          measure_random_sets, judge_termination,
          AllOf((AtMost("not_converged", 0), AtMost("over_budget", 0),
                 AtMost("max_policy_error", 1e-8))),
          base_seed=None, seeds_key=None),
    Check("A8_stall_rate", "rect never stalls; the paper's stall rate recorded",
          "random finite sets S=20, A=5, K=10, Dir(0.05), gamma=0.9",
          {"quick": dict(S=20, A=5, K=10, concentration=0.05, instances=30),
           "full": dict(S=20, A=5, K=10, concentration=0.05, instances=100)},
          measure_stalls, judge_stalls, AtMost("rect_stalled", 0),
          base_seed=None, seeds_key=None),
    Check("A9_l1_ball", "IWOCS on an L1 ball (0.4): L_final = robust VI to 1e-6",
          "random S=8, A=3 kernels, gamma=0.9",
          {"quick": dict(ball="l1", beta=0.4, S=8, instances=5, vi_epsilon=1e-9),
           "full": dict(ball="l1", beta=0.4, S=8, instances=20, vi_epsilon=1e-9)},
          measure_ball, judge_ball,
          AllOf((AtMost("max_value_error", 1e-6), AtMost("certificate_violations", 0))),
          base_seed=None, seeds_key=None),
    Check("A10_kl_ball", "IWOCS on a KL ball (0.1): L_final = robust VI to 1e-6",
          "random S=6, A=3 kernels, gamma=0.9",
          {"quick": dict(ball="kl", beta=0.1, S=6, instances=1, vi_epsilon=1e-8),
           "full": dict(ball="kl", beta=0.1, S=6, instances=3, vi_epsilon=1e-8)},
          measure_ball, judge_ball,
          AllOf((AtMost("max_value_error", 1e-6), AtMost("certificate_violations", 0))),
          base_seed=None, seeds_key=None),
    Check("A11_windy_walk",
          "windy walk: 2 models, value = hull RVI to 1e-8, MC within 4 SE",
          "windy walk (reconstructed 6x6 layout), 25 wind strengths in [0, 0.5], gamma=0.95",
          {"quick": dict(rollouts=300), "full": dict(rollouts=300)},
          measure_windy, judge_windy,
          AllOf((AtMost("models_minus_2", 0), AtLeast("models_minus_2", 0),
                 AtMost("hull_error", 1e-8), AtMost("max_abs_mc_z", 4))),
          base_seed=20_241_111, seeds_key=None),
    Check("A12_winners_curse", "min of 25 noisy MC estimates is biased low (z < -4)",
          "windy walk, 25 wind strengths in [0.45, 0.5], 300 rollouts per model",
          {"quick": dict(rollouts=300, seeds=60), "full": dict(rollouts=300, seeds=200)},
          measure_curse, judge_curse, AtMost("bias_z", -4), base_seed=20_241_112),
    Check("A13_non_rectangular_gap", "robust VI on the hull < IWOCS static value - 1e-3",
          "coupled 2-model family on 3 states, gamma=0.9",
          {"quick": {}, "full": {}},
          measure_gap, judge_gap, AtLeast("gap", 1e-3), base_seed=None, seeds_key=None),
]


# ----------------------------------------------------------------------------- variants
def l1_half_radius(p_hat, v, beta):
    """Broken L1 solver: uses half the radius (feasible, but not the minimum)."""
    return l1_worst(p_hat, v, np.asarray(beta) / 2)


def kl_double_radius(p_hat, v, beta, **kw):
    """Broken KL solver: uses twice the radius (below the true minimum)."""
    return kl_worst(p_hat, v, 2 * np.asarray(beta), **kw)


def l1_uncapped(p_hat, v, beta):
    """Broken L1 solver: moves beta/2 of mass from the best to the worst state without
    capping at the available mass (can leave the simplex)."""
    v = np.asarray(v, dtype=float)
    p = np.array(p_hat, dtype=float, copy=True)
    p[..., int(np.argmin(v))] += beta / 2
    p[..., int(np.argmax(v))] -= beta / 2
    return p @ v, p


def bellman_double_count(uset, R, gamma, V):
    """Broken Bellman operator: adds the continuation gamma V(s) a second time."""
    Q, worst = robust_bellman(uset, R, gamma, V)[:2]
    return (Q + gamma * np.asarray(V)[:, None], worst)


class NominalSolvers(RobustSolvers):
    """Broken robust solvers: evaluate and optimise on the first candidate only."""

    def evaluate(self, uset, R, gamma, pi):
        return static_value(uset.C[:, :, 0], R, gamma, pi)

    def optimise(self, uset, R, gamma):
        return policy_iteration(uset.C[:, :, 0], R, gamma).V


def iwocs_pointwise_max(uset, R, gamma, init=0, *, epsilon=1e-8, max_iter=100,
                        variant="paper", vi_epsilon=1e-12) -> IWOCSResult:
    """Broken IWOCS: Q_i is the pointwise maximum of the models' optimal Q (the wrong
    direction), so U_i and Q_i grow as models are added."""
    mu = np.zeros(uset.shape[0])
    mu[init] = 1.0
    models = [uset.C[:, :, 0]]
    qstar = [policy_iteration(models[0], R, gamma).Q]
    upper, lower, Qs, status = [], [], [], "maxiter"
    for _ in range(max_iter):
        Q = np.maximum.reduce(qstar)
        pi = np.argmax(Q, axis=1)
        ev = robust_policy_evaluation(uset, R, gamma, pi)
        U, L = float(mu @ Q.max(axis=1)), float(mu @ ev.V)
        upper.append(U)
        lower.append(L)
        Qs.append(Q)
        if U - L <= epsilon:
            status = "converged"
            break
        if any(np.allclose(ev.worst, M, atol=1e-10) for M in models):
            status = "stalled"
            break
        models.append(ev.worst)
        qstar.append(policy_iteration(ev.worst, R, gamma).Q)
    return IWOCSResult(pi, ev.worst, L, status, np.array(upper), np.array(lower),
                       tuple(models), tuple(Qs))


def iwocs_no_new_models(uset, R, gamma, init=0, **kw) -> IWOCSResult:
    """Broken IWOCS: stops after the first model and reports convergence (the worst-case
    search never adds a model)."""
    kw["max_iter"] = 1
    res = iwocs(uset, R, gamma, init, **kw)
    return IWOCSResult(res.policy, res.model, res.value, "converged", res.upper, res.lower,
                       res.models, res.Q)


def iwocs_centre_search(uset, R, gamma, init=0, **kw) -> IWOCSResult:
    """Broken IWOCS on a ball: the worst-case search evaluates policies on the centre
    only (radius 0), so the reported value is the nominal one."""
    return iwocs(type(uset)(uset.P, 0.0), R, gamma, init, **kw)


def rect_as_paper(uset, R, gamma, init, **kw) -> IWOCSResult:
    """Broken rect variant: uses the paper's pointwise minimum of optimal Q's."""
    return iwocs(uset, R, gamma, init, variant="paper", **kw)


def reevaluated_minimum(models, R, gamma, pi, init, rollouts, rng) -> float:
    """The corrected estimator (select on one batch, re-evaluate the selected model on fresh
    rollouts): unbiased, so the winner's-curse check must fail on it."""
    k = int(np.argmin(monte_carlo_values(models, R, gamma, pi, init, rollouts, rng)[0]))
    return float(monte_carlo_values(models[k:k + 1], R, gamma, pi, init, rollouts, rng)[0][0])


def nominal_value(family: ModelFamily, R, gamma) -> float:
    """Broken conservative value: the first member's optimal value (no robustness)."""
    return float(policy_iteration(family.models[0], R, gamma).V[0])


#: Check name -> setting overrides that break it (used by the tests).
BROKEN = {
    "A1_l1_vs_lp": {"l1": l1_half_radius},
    "A2_kl_vs_cvxpy": {"kl": kl_double_radius},
    "A3_inner_properties": {"l1": l1_uncapped},
    "A4_contraction": {"bellman": bellman_double_count},
    "A5_static_equals_dynamic": {"solvers": NominalSolvers()},
    "A6_iwocs_invariants": {"agent": iwocs_pointwise_max},
    "A7_rect_termination": {"agent": iwocs_no_new_models},
    "A8_stall_rate": {"rect": rect_as_paper},
    "A9_l1_ball": {"agent": iwocs_centre_search},
    "A10_kl_ball": {"agent": iwocs_centre_search},
    "A11_windy_walk": {"agent": iwocs_no_new_models},
    "A12_winners_curse": {"estimator": reevaluated_minimum},
    "A13_non_rectangular_gap": {"conservative": nominal_value},
}
