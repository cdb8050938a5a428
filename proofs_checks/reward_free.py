r"""Proof checks of HF-UCRL-RFE++ (Zhang, Zhang & Gu, ICML 2023; spec Sec. 8).

Numbering is the dissertation's (Lemma 2.8.6, Theorem 2.6.3, ...). Settings are
data (``SWEEP``/``QUICK``), ``measure_*`` functions only run, ``check_*``
functions only judge. Every check can fail; ``tests/test_reward_free_checks.py``
runs each one on a broken variant and asserts ``passed is False``.

The theory radius makes every certificate identically 1 at any feasible ``K``
(spec Sec. 2.1), so the scaling checks use the **practical radius** (or the
fixed/scaled radius the spec names), and the coverage check *measures* how
often the practical radius actually covers :math:`\theta^*`.
"""

from __future__ import annotations

import math
import time

import numpy as np

from theoryrl.agents.reward_free import HFUCRLRFEpp, greedy_policies
from theoryrl.agents.rf_baselines import UCRLRFE, RFExpress
from theoryrl.claims import CheckResult, Interval, binomial_at_least, fit_loglog_slope
from theoryrl.envs.linear_mixture import (
    LinearMixtureInstance,
    hard_linear_mixture,
    random_linear_mixture,
)
from theoryrl.experiment import EpisodeSimulator, map_seeds

PAPER = "reward_free"

SWEEP: dict[str, dict] = {
    "coverage": dict(inst=("random", 3, 2, 3, 4), K=300, seeds=30, delta=0.2),
    "home": dict(insts=[("random", 3, 2, 3, 4), ("hard", 3, 4, 0.05)], K=300, seeds=6),
    "certificate": dict(insts=[("hard", 4, 4, 0.03), ("hard", 4, 16, 0.03),
                               ("random", 5, 3, 4, 8)], K=[300, 3000], seeds=3, n_rewards=300),
    "k_rate": dict(inst=("hard", 4, 8, 0.03), beta=0.8, K=2000, k=[250, 500, 1000, 2000],
                   seeds=5),
    "d_dependence": dict(d=[3, 4, 5, 6, 7], H=8, K=2000, beta_scale=0.1, seeds=3),
    "horizon_free": dict(d=4, Delta=0.03, beta=0.8, K=1000, H=[8, 16, 32, 64], seeds=3),
    "horizon_free_certificate": dict(d=3, Delta=0.05, K=5000, H=[4, 8, 16, 32], seeds=5),
    "baselines": dict(d=4, Delta=0.03, K=1000, H=[8, 16, 32, 64], seeds=3, c_beta=0.1,
                      tab=(3, 2), bonus_scale=0.01),
    "pac": dict(d=3, H=4, delta0=0.5, Delta=0.2, eps=0.3, K_max=60000, every=1000,
                seeds=30, delta=0.1, n_rewards=300),
}
QUICK: dict[str, dict] = {
    "coverage": dict(SWEEP["coverage"], seeds=20),
    "home": dict(SWEEP["home"], seeds=2),
    "certificate": dict(SWEEP["certificate"], insts=[("hard", 4, 4, 0.03),
                                                     ("random", 5, 3, 4, 8)],
                        K=[300, 1000], seeds=2, n_rewards=200),
    "k_rate": dict(SWEEP["k_rate"], seeds=3),
    "d_dependence": dict(SWEEP["d_dependence"], d=[3, 4, 5, 6], K=1000, seeds=2),
    "horizon_free": dict(SWEEP["horizon_free"], seeds=2),
    "horizon_free_certificate": dict(SWEEP["horizon_free_certificate"], K=3000, seeds=2),
}

N_JOBS = 2


# ----------------------------------------------------------------- helpers

def make_instance(desc: tuple, seed: int = 0) -> LinearMixtureInstance:
    """``("hard", d, H, Delta)`` or ``("random", S, A, d, H)``."""
    if desc[0] == "hard":
        return hard_linear_mixture(desc[1], desc[2], desc[3], seed=seed)
    return random_linear_mixture(desc[1], desc[2], desc[3], desc[4], seed=seed)


def explore(agent, inst: LinearMixtureInstance, episodes: int, seed: int,
            on_episode=None, every: int | None = None, on_checkpoint=None):
    """Drive ``agent`` (reset with ``seed``) for ``episodes`` episodes in ``inst``.

    ``on_episode(agent, k)`` runs before each update (frozen state of episode
    ``k``, 1-based); ``on_checkpoint(agent, k)`` after every ``every`` episodes
    and may return True to stop (oracle-free stopping rule). Returns the agent
    and the per-episode ``vhat`` (or ``nan``) array.
    """
    ss = np.random.SeedSequence([seed, 7919])
    env_rng = np.random.default_rng(ss.spawn(1)[0])
    agent.reset(np.random.default_rng(ss.spawn(2)[1]))
    sim = EpisodeSimulator(inst.mdp.to_tabular())
    vhat = np.full(episodes, np.nan)
    for k in range(1, episodes + 1):
        pi = agent.policy()
        vhat[k - 1] = agent.info().get("vhat", np.nan)
        traj = sim.sample(pi, env_rng)
        if on_episode is not None:
            on_episode(agent, k)
        agent.update(traj)
        if every is not None and k % every == 0 and on_checkpoint is not None:
            if on_checkpoint(agent, k):
                return agent, vhat[:k]
    return agent, vhat


def reward_family(inst: LinearMixtureInstance, n: int, seed: int) -> np.ndarray:
    """``n`` rewards in the class R (total <= 1): spread ``g/H``, terminal ``r_H = g``,
    goal ``1[s = s_g]/H``, and the instance reward. Shape (n, H, S, A)."""
    mdp = inst.mdp
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    rng = np.random.default_rng(seed)
    out = [np.broadcast_to(np.asarray(mdp.R), (H, S, A))]
    for s in range(S):
        out.append(np.broadcast_to((np.arange(S) == s)[:, None] / H, (H, S, A)).astype(float))
    while len(out) < n:
        g = rng.random((S, A)) * (rng.random((S, 1)) < 0.5)
        if len(out) % 2:
            out.append(np.broadcast_to(g / H, (H, S, A)))
        else:
            r = np.zeros((H, S, A))
            r[H - 1] = g
            out.append(r)
    return np.ascontiguousarray(np.array(out[:n], dtype=float))


def suboptimality(inst: LinearMixtureInstance, R: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Exact :math:`V^*_1(s_1; r) - V^{\\pi}_1(s_1; r)` per reward, on the true kernel."""
    P = np.asarray(inst.mdp.P)
    _, Vs = greedy_policies(P, R, clip=False)
    n, H, S, _ = R.shape
    V = np.zeros((n, S))
    idx = np.arange(S)
    for h in range(H - 1, -1, -1):
        a = pi[:, h]  # (n, S)
        PV = np.einsum("nst,nt->ns", P[idx[None, :], a], V)
        V = np.take_along_axis(R[:, h], a[..., None], axis=-1)[..., 0] + PV
    return Vs[:, 0, inst.s1] - V[:, inst.s1]


def _slope_result(check, claim, x, Y, rule, seconds, details, guard=None):
    fit = fit_loglog_slope(x, Y, method="t")
    ci = fit.ci()
    ok = rule(ci)
    if guard is not None and not guard:
        ok = False
        details = dict(details, verdict="inconclusive: saturated (guard failed)")
    return CheckResult(PAPER, check, claim, fit.slope, ci, bool(ok), seconds,
                       dict(details, x=list(x), mean=np.mean(Y, axis=0).tolist()))


# ----------------------------------------------------------------- PC-COV

def measure_coverage(setting: dict, seed: int, beta_mode: str,
                     beta_scale: float = 1.0) -> float:
    """Max over episodes, levels and chains of
    :math:`\\|\\theta^c_{k,m}-\\theta^*\\|_{\\dot\\Sigma}/\\beta_k`."""
    inst = make_instance(setting["inst"], seed=1000 + seed)
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, setting["K"], delta=setting["delta"],
                     beta_mode=beta_mode, beta_scale=beta_scale)
    worst = [0.0]

    def hook(a, k):
        worst[0] = max(worst[0], float(a.coverage_ratios(inst.theta).max()))

    explore(ag, inst, setting["K"], seed, on_episode=hook)
    hook(ag, setting["K"] + 1)
    return worst[0]


def check_coverage(ratios: np.ndarray, setting: dict, name: str, seconds: float) -> CheckResult:
    """Lemma 2.8.6: coverage of all 2M ellipsoids for all k w.p. >= 1 - 2M delta_level
    = 1 - delta'/2. One-sided exact binomial test of p_cover >= 1 - delta'/2 at 5%."""
    ratios = np.asarray(ratios)
    covered = int((ratios <= 1.0).sum())
    p0 = 1 - setting["delta"] / 2
    v = binomial_at_least(covered, ratios.size, p0)
    return CheckResult(PAPER, name,
                       "Lemma 2.8.6 [V]: theta* lies in all 2M confidence ellipsoids for all "
                       f"k w.p. >= {p0:g} ({name.split('_')[-1]} radius)",
                       covered / ratios.size, v.ci, not v.rejected, seconds,
                       {"covered": covered, "n": ratios.size, "pvalue": v.pvalue,
                        "max_ratio": float(ratios.max()), "rule": "binomial test not rejected"})


# ----------------------------------------------------------------- PC-HOME

def measure_home(setting: dict, seed: int, home_error_bar: bool = True) -> np.ndarray:
    """Counts [n, viol_error_bar, viol_normalisation] over steps/levels m <= M-2 of
    episodes whose frozen estimators were covered (practical radius)."""
    out = np.zeros(3)
    for desc in setting["insts"]:
        _home_one(make_instance(desc, seed=2000 + seed), setting["K"], seed,
                  home_error_bar, out)
    return out


def _home_one(inst, K, seed, home_error_bar, out) -> None:
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, K, home_error_bar=home_error_bar)
    th = inst.theta
    state = {}

    def pre(a, k):
        state["cov"] = a.coverage_ratios(th).max(axis=1) <= 1.0  # per chain

    orig_update = ag.update

    def update(traj):
        orig_update(traj)
        rec = ag.last_home()
        ph = rec["phi"] @ th  # (2, H, M): <phi_{V^{2^m}}, theta*> = P V^{2^m}
        var = ph[..., 1:] - ph[..., :-1] ** 2  # true Var(V^{2^m}), m <= M-2
        vb, E, s2 = rec["vbar"][..., :-1], rec["E"][..., :-1], rec["sigma2"][..., :-1]
        for c in range(2):
            if state["cov"][c]:
                out[0] += var[c].size
                out[1] += int((np.abs(vb[c] - var[c]) > E[c] + 1e-10).sum())
                out[2] += int((var[c] / s2[c] > 1 + 1e-10).sum())

    ag.update = update
    explore(ag, inst, K, seed, on_episode=pre)


def check_home(counts: np.ndarray, seconds: float) -> CheckResult:
    """Lemma 2.8.30 and the normalisation of Lemma 2.8.6: zero violations of
    |Vbar_m - Var(V^{2^m})| <= E_m and Var/sigma^2 <= 1 on the coverage event."""
    n, v1, v2 = (int(x) for x in np.sum(counts, axis=0))
    return CheckResult(PAPER, "home",
                       "Lemma 2.8.30 [V]: |Vbar_m - Var_true| <= E_m and Var_true <= sigma_m^2 "
                       "for every step/level on the coverage event (practical radius)",
                       float(v1 + v2), Interval(float(v1 + v2), float(v1 + v2)), v1 + v2 == 0,
                       seconds, {"n": n, "violations_error_bar": v1,
                                 "violations_normalisation": v2, "rule": "zero violations"})


# ----------------------------------------------------------------- PC-CERT

def measure_certificate(setting: dict, seed: int, radius_scale: float = 1.0) -> np.ndarray:
    """Rows (max_r subopt, C) per (instance, K), C with the realized radii x ``radius_scale``."""
    rows: list = []
    for desc in setting["insts"]:
        _cert_one(make_instance(desc, seed=3000 + seed), setting, seed, radius_scale, rows)
    return np.array(rows)


def _cert_one(inst, setting, seed, radius_scale, rows) -> None:
    R = reward_family(inst, setting["n_rewards"], seed)
    ks = sorted(setting["K"])
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, ks[-1])

    def cp(a, k):
        if k in ks:
            pi = a.plan(R, project=True)
            bt, bh = a.realized_radii(inst.theta, project=True)
            C = a.certificate(bt * radius_scale, bh * radius_scale, project=True)
            rows.append((float(suboptimality(inst, R, pi).max()), C))
        return False

    explore(ag, inst, ks[-1], seed, every=math.gcd(*ks), on_checkpoint=cp)


def check_certificate(rows: np.ndarray, seconds: float, name: str = "certificate") -> CheckResult:
    """D6: max_r subopt(r) <= C (realized radii) in every run; exact."""
    rows = np.asarray(rows).reshape(-1, 2)
    ratio = rows[:, 0] / np.maximum(rows[:, 1], 1e-300)
    worst = float(ratio.max())
    return CheckResult(PAPER, name,
                       "D6 [D] (Lemma 2.8.7 analogue): for every reward of the test family in R, "
                       "V*-V^pi_hat <= C = 2 Vbar_1(s1) with realized radii",
                       worst, Interval(worst, worst), bool((rows[:, 0] <= rows[:, 1]).all()),
                       seconds, {"max_subopt": rows[:, 0].tolist(), "C": rows[:, 1].tolist(),
                                 "rule": "max_r subopt <= C in every run"})


# ----------------------------------------------------------------- PC-K

def measure_k_rate(setting: dict, seed: int, freeze_after: int | None = None) -> np.ndarray:
    """Mean of V_hat_{k,1} over the 50 episodes before each k of the grid."""
    inst = make_instance(setting["inst"], seed=4000 + seed)
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, setting["K"], beta_mode="fixed",
                     beta=setting["beta"], freeze_after=freeze_after)
    _, v = explore(ag, inst, setting["K"], seed)
    return np.array([v[k - 50:k].mean() for k in setting["k"]])


def check_k_rate(Y: np.ndarray, setting: dict, seconds: float) -> CheckResult:
    """Lemma 2.8.9: sum_k V_hat_{k,1} = O~(d sqrt K) => V_hat_{k,1} ~ k^{-1/2};
    pass if the slope CI lies in [-0.65, -0.35]."""
    Y = np.asarray(Y)
    return _slope_result(
        "k_rate", "Lemma 2.8.9 [V]: the selection value V_hat_{k,1}(s1) decays like k^(-1/2)",
        setting["k"], Y, lambda ci: -0.65 <= ci.low and ci.high <= -0.35, seconds,
        {"rule": "slope CI within [-0.65, -0.35]"}, guard=bool(np.all(Y[:, -1] <= 0.5)))


# ----------------------------------------------------------------- PC-D

def measure_d(setting: dict, seed: int, beta_power: float = 0.5) -> np.ndarray:
    """V_hat_{K,1} (mean of the last 50) for each d; radius scale*(practical) x (d/4)^(p-1/2)."""
    out = []
    for d in setting["d"]:
        inst = hard_linear_mixture(d, setting["H"], 0.1 / (d - 1), seed=5000 + seed)
        sc = setting["beta_scale"] * (d / 4) ** (beta_power - 0.5)
        ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, setting["K"], beta_scale=sc)
        _, v = explore(ag, inst, setting["K"], seed)
        out.append(v[-50:].mean())
    return np.array(out)


def check_d(Y: np.ndarray, setting: dict, seconds: float) -> CheckResult:
    """Cor. 2.6.4: certificate ~ d^{<=1} (episodes ~ d^{<=2}); pass if the slope CI is
    within [0.3, 1.2]. The instance exponent need not equal the worst case."""
    Y = np.asarray(Y)
    return _slope_result(
        "d_dependence", "Cor. 2.6.4 [V]: V_hat_K grows at most like d (episodes ~ d^2)",
        setting["d"], Y, lambda ci: ci.low >= 0.3 and ci.high <= 1.2, seconds,
        {"rule": "slope CI within [0.3, 1.2]"}, guard=bool(np.all(Y <= 0.5)))


# ----------------------------------------------------------------- PC-H / PC-H2

def measure_h(setting: dict, seed: int, weighting: str = "home") -> np.ndarray:
    """V_hat_{K,1} (mean of the last 50 episodes) for each H (fixed radius)."""
    out = []
    for H in setting["H"]:
        inst = hard_linear_mixture(setting["d"], H, setting["Delta"], seed=6000 + seed)
        ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, setting["K"], beta_mode="fixed",
                         beta=setting["beta"], weighting=weighting)
        _, v = explore(ag, inst, setting["K"], seed)
        out.append(v[-50:].mean())
    return np.array(out)


def check_h(Y: np.ndarray, setting: dict, seconds: float) -> CheckResult:
    """Cor. 2.6.4 (H only in logs): slope of log V_hat_K on log H, pass if CI upper < 0.35;
    inconclusive (fail) when any V_hat > 0.5 (saturation, pitfall P9)."""
    Y = np.asarray(Y)
    return _slope_result(
        "horizon_free", "Cor. 2.6.4 [V]: at fixed K the selection value is flat in H "
        "(horizon-free)", setting["H"], Y, lambda ci: ci.high < 0.35, seconds,
        {"rule": "slope CI upper < 0.35"}, guard=bool(np.all(Y <= 0.5)))


def measure_h2(setting: dict, seed: int, weighting: str = "home") -> np.ndarray:
    """All-reward certificate C (practical radius, c_beta = 1) at K for each H."""
    out = []
    for H in setting["H"]:
        inst = hard_linear_mixture(setting["d"], H, setting["Delta"], seed=7000 + seed)
        ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, setting["K"], weighting=weighting)
        explore(ag, inst, setting["K"], seed)
        out.append(ag.certificate(project=True))
    return np.array(out)


def check_h2(Y: np.ndarray, setting: dict, seconds: float) -> CheckResult:
    """Same claim for the oracle-free all-reward certificate: slope CI upper < 0.35."""
    Y = np.asarray(Y)
    return _slope_result(
        "horizon_free_certificate", "Cor. 2.6.4 [V] via D6 [D]: the all-reward certificate C "
        "at fixed K is flat in H", setting["H"], Y, lambda ci: ci.high < 0.35, seconds,
        {"rule": "slope CI upper < 0.35", "C_below_1": bool(np.all(Y < 1.0))},
        guard=bool(np.all(Y < 1.0)))


# ----------------------------------------------------------------- PC-BASE (full)

def measure_baselines(setting: dict, seed: int) -> np.ndarray:
    """Rows per H: [HF-UCRL-RFE++ selection value V_hat_K (mean of the last 50),
    UCRL-RFE certificate, its cap H^2, RF-Express certificate, its cap].

    Known mismatch (to fix before the next full run): HF-UCRL-RFE++ scales its
    whole radius (``beta_scale``) while UCRL-RFE scales only the stochastic part
    (``c_beta``)."""
    rows = []
    S, A = setting["tab"]
    from theoryrl.envs import random_mdp
    for H in setting["H"]:
        inst = hard_linear_mixture(setting["d"], H, setting["Delta"], seed=8000 + seed)
        hf = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, setting["K"],
                         beta_scale=setting["c_beta"])
        _, v = explore(hf, inst, setting["K"], seed)
        ub = UCRLRFE(inst.mdp.spec, inst.phi, inst.B, setting["K"], c_beta=setting["c_beta"])
        explore(ub, inst, setting["K"], seed)
        tab = random_mdp(S, A, horizon=H, seed=seed)
        rfe = RFExpress(tab.spec, bonus_scale=setting["bonus_scale"])
        rng = np.random.default_rng(seed)
        rfe.reset(rng)
        sim = EpisodeSimulator(tab)
        for _ in range(setting["K"]):
            rfe.update(sim.sample(rfe.policy(), rng))
        rows.append([v[-50:].mean(), ub.certificate(), float(H * H), rfe.certificate(),
                     3 * math.e * math.sqrt(H) + H])
    return np.array(rows)


def check_baselines(D: np.ndarray, setting: dict, seconds: float) -> CheckResult:
    """Non-horizon-free baselines' certificates grow with H: pass if the smaller of
    (UCRL-RFE slope, RF-Express slope) exceeds the HF slope by > 0.5; each
    baseline must be below half its cap (saturation guard). A comparison of
    certificates, not of true suboptimality."""
    D = np.asarray(D)  # (seeds, nH, 5)
    H = setting["H"]
    sl = [fit_loglog_slope(H, D[:, :, j]).slope for j in (0, 1, 3)]
    unsat = bool(np.all(D[:, :, 1] < D[:, :, 2] / 2) and np.all(D[:, :, 3] < D[:, :, 4] / 2))
    gap = min(sl[1], sl[2]) - sl[0]
    ok = gap > 0.5 and unsat
    return CheckResult(PAPER, "baselines",
                       "Sec. 7 [V orders]: UCRL-RFE (H^5 d^2) and RF-Express (H^3 S^2 A) "
                       "certificates grow with H, HF-UCRL-RFE++'s does not",
                       gap, Interval(gap, gap), ok, seconds,
                       {"slope_hf": sl[0], "slope_ucrl_rfe": sl[1], "slope_rf_express": sl[2],
                        "unsaturated": unsat, "rule": "min baseline slope - HF slope > 0.5"})


# ----------------------------------------------------------------- PC-PAC (full)

def measure_pac(setting: dict, seed: int, flip_mu: bool = False) -> np.ndarray:
    """[episodes used, stopped?, max_r subopt] with the stopping rule C <= eps."""
    inst = hard_linear_mixture(setting["d"], setting["H"], setting["Delta"], seed=9000 + seed,
                               delta0=setting["delta0"])
    R = reward_family(inst, setting["n_rewards"], seed)
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, setting["K_max"], delta=setting["delta"])
    stop = {"k": setting["K_max"], "stopped": 0.0}

    def cp(a, k):
        if a.certificate(project=True) <= setting["eps"]:
            stop["k"], stop["stopped"] = k, 1.0
            return True
        return False

    explore(ag, inst, setting["K_max"], seed, every=setting["every"], on_checkpoint=cp)
    if flip_mu:  # broken planner: sign-flipped mu-coordinates of theta_plan
        th = ag.theta_plan(project=True)
        th[1:] *= -1
        P = np.einsum("satd,d->sat", inst.phi, th)
        pi, _ = greedy_policies(P, R)
    else:
        pi = ag.plan(R, project=True)
    return np.array([stop["k"], stop["stopped"], suboptimality(inst, R, pi).max()])


def check_pac(rows: np.ndarray, setting: dict, seconds: float) -> CheckResult:
    """Theorem 2.6.3 end to end, oracle-free: stop at C <= eps, then every reward is
    eps-optimal; Clopper-Pearson 95% lower bound on the success rate >= 1 - delta'."""
    rows = np.asarray(rows)
    succ = int(((rows[:, 2] <= setting["eps"]) & (rows[:, 1] > 0)).sum())
    n = rows.shape[0]
    v = binomial_at_least(succ, n, 1 - setting["delta"])
    ok = v.ci.low >= 1 - setting["delta"] - 1e-12 or not v.rejected and succ == n
    return CheckResult(PAPER, "pac",
                       "Theorem 2.6.3 [V] with D6 stopping [D]: (eps, delta)-PAC for all "
                       "rewards in R simultaneously", succ / n, v.ci, bool(ok), seconds,
                       {"episodes_median": float(np.median(rows[:, 0])),
                        "episodes": rows[:, 0].tolist(), "max_subopt": rows[:, 2].tolist(),
                        "rule": "success rate lower CI >= 1 - delta' (30/30 needed at n=30)"})


# ----------------------------------------------------------------- driver

def _timed(fn, arglist, n_jobs=N_JOBS):
    t = time.perf_counter()
    out = map_seeds(fn, arglist, n_jobs=n_jobs, progress=False)
    return out, time.perf_counter() - t


def checks(quick: bool = False, seeds: int | None = None) -> list[CheckResult]:
    """All checks of spec Sec. 8 (PC-BASE and PC-PAC in the full tier only)."""
    cfg = {k: dict(v) for k, v in (QUICK if quick else SWEEP).items()}
    if seeds is not None:
        for v in cfg.values():
            v["seeds"] = int(seeds)
    res = []
    st = cfg["coverage"]
    for mode in ("practical", "theory"):
        out, t = _timed(measure_coverage, [(st, s, mode) for s in range(st["seeds"])])
        res.append(check_coverage(np.array(out), st, f"coverage_{mode}", t))
    st = cfg["home"]
    out, t = _timed(measure_home, [(st, s) for s in range(st["seeds"])])
    res.append(check_home(np.array(out), t))
    st = cfg["certificate"]
    out, t = _timed(measure_certificate, [(st, s) for s in range(st["seeds"])])
    res.append(check_certificate(np.concatenate(out), t))
    st = cfg["k_rate"]
    out, t = _timed(measure_k_rate, [(st, s) for s in range(st["seeds"])])
    res.append(check_k_rate(np.array(out), st, t))
    st = cfg["d_dependence"]
    out, t = _timed(measure_d, [(st, s) for s in range(st["seeds"])])
    res.append(check_d(np.array(out), st, t))
    st = cfg["horizon_free"]
    out, t = _timed(measure_h, [(st, s) for s in range(st["seeds"])])
    res.append(check_h(np.array(out), st, t))
    st = cfg["horizon_free_certificate"]
    out, t = _timed(measure_h2, [(st, s) for s in range(st["seeds"])])
    res.append(check_h2(np.array(out), st, t))
    if not quick:
        st = cfg["baselines"]
        out, t = _timed(measure_baselines, [(st, s) for s in range(st["seeds"])])
        res.append(check_baselines(np.array(out), st, t))
        st = cfg["pac"]
        out, t = _timed(measure_pac, [(st, s) for s in range(st["seeds"])])
        res.append(check_pac(np.array(out), st, t))
    return res
