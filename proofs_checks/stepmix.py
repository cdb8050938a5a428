r"""Proof checks of StepMix / EpsMix (Li, Huang, Shen, Yang, ICML 2023), on the harness.

Each check is data (:class:`~proofs_checks._harness.Check`): a ``measure_*``
function runs agents only and returns raw per-episode arrays, a ``judge_*``
function computes the statistics its registered rule reads
(``proofs_checks/registry.toml``). Every run uses guarantee-carrying widths
(``bonus="l1"``, ``bonus_scale=1``). The broken variants are the subclasses
below; the tests place one in the setting (``agents``, ``agent``, ``learner``,
``certify``) and assert that the check fails.

Instances [D]: ``Q`` = :func:`~theoryrl.envs.conservative_random_mdp` with its
defaults (S=3, A=2, H=3, branching 2, env seed 3; ``V* = 2.646``) and the
quality-0 baseline of seed 0 (``V_b = 1.444``); ``env5`` = the same generator
with env seed 5 (``V* = 2.360``, ``V_b = 1.686``); ``trap`` =
:func:`~theoryrl.envs.conservative_trap` (H=5, ``V* = 3.2``, ``V_b = 2.5``) and
``trap3`` = the same trap with H=3 (``V* = 1.6``, ``V_b = 1.5``), on which the
constraint binds and certification still happens within K: at ``alpha = 0.15``
EpsMix plays about 1,100-1,400 conservative episodes and StepMix about
2,000-2,700, all before episode 3,000.

Tags: [V] verified (abstract), [R] reconstructed, [D] our design.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from theoryrl.agents import UCBVI, Mixture
from theoryrl.agents import _stepmix_kernels as _k
from theoryrl.agents.stepmix import (
    _PES_KINDS,
    EpsMix,
    StepMix,
    _check_dataset,
    behaviour_cloning,
    certificate_failures,
    constraint_violations,
    from_offline,
    offline_certificate,
)
from theoryrl.claims import (
    AllOf,
    AtMost,
    Binomial,
    CIWithin,
    PValueBelow,
    clopper_pearson,
    fit_loglog_slope,
)
from theoryrl.claims.rules import PValueAtLeast
from theoryrl.envs import (
    collect_dataset,
    conservative_random_mdp,
    conservative_random_mdp_baseline,
    conservative_trap,
    conservative_trap_baseline,
)
from theoryrl.experiment import run
from theoryrl.experiment.driver import map_seeds

from ._harness import Check, Measured

PAPER = "stepmix"
DELTA = 0.05


# ---------------------------------------------------------------------------
# instances
# ---------------------------------------------------------------------------

def instance(name: str):
    """``(mdp, baseline, V_b)`` of a named instance (``Q``, ``env5``, ``trap``, ``trap3``)."""
    if name in ("Q", "env5"):
        mdp = conservative_random_mdp(seed=3 if name == "Q" else 5)
        pib = conservative_random_mdp_baseline(mdp)
    elif name in ("trap", "trap3"):
        mdp = conservative_trap(horizon=5 if name == "trap" else 3)
        pib = conservative_trap_baseline(mdp)
    else:
        raise ValueError(f"env must be 'Q', 'env5', 'trap' or 'trap3', got {name!r}")
    return mdp, pib, mdp.initial_value(pib)


# ---------------------------------------------------------------------------
# broken variants (subclasses of the algorithms)
# ---------------------------------------------------------------------------

class OptEvalEpsMix(EpsMix):
    """Broken (C1): certifies pi^k with OPT-EVAL instead of PES-EVAL."""

    def _bound0(self, pi_f, pessimistic, act):
        return super()._bound0(pi_f, False, act)


class PlugInEpsMix(EpsMix):
    """Broken (C2): plug-in widths (every confidence width multiplied by 0)."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.bonus_scale = 0.0


class WrongDrawEpsMix(EpsMix):
    """Broken (C5): reports rho but draws pi^k with probability rho**2."""

    def _choose(self):
        super()._choose()
        if isinstance(self._plan_out, Mixture):
            r2 = self._rho ** 2
            self._plan_out = Mixture(np.array([1 - r2, r2]), self._plan_out.policies)


class CappedEpsMix(EpsMix):
    """Broken (C3): never plays pi^k with certainty (rho capped at 0.99)."""

    def _choose(self):
        super()._choose()
        if self._rho >= 1.0:
            self._rho = 0.99
            self._plan_out = Mixture(np.array([0.01, 0.99]), (self._pib, self._pik.copy()))


class GiveUpEpsMix(EpsMix):
    """Broken (C6, C7, C10): plays the baseline only from episode K/8 on."""

    def reset(self, rng):
        super().reset(rng)
        self._count = 0

    def _choose(self):
        super()._choose()
        self._count += 1
        if self._count > self.episodes // 8:
            self._rho = 0.0
            self._plan_out = self._pib
            self._last["conservative"] = 1.0
            self._last["rho"] = 0.0


class IgnoreAlphaEpsMix(EpsMix):
    """Broken (C8): ignores the alpha it is given (always uses alpha = 0.1)."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.alpha = 0.1


class PlugInOffline(EpsMix):
    """Broken (C11 safety): the unsafe plug-in offline learner. It trusts a dataset of
    any size: no dataset-size condition, the behaviour value is the dataset's mean
    return, and every policy is certified by its plug-in (zero-width) evaluation on
    the dataset's and its own counts. On ``trap3`` at alpha = 0.1 it violates the
    constraint in most runs (it certifies the step-2 gamble, true value 1.3 < 1.35)."""

    trusts_any_dataset = True

    def __init__(self, spec, episodes, dataset, alpha, delta):
        ds = _check_dataset(dataset, spec)
        super().__init__(spec, episodes, baseline=behaviour_cloning(ds, spec.n_states,
                                                                    spec.n_actions),
                         alpha=alpha, delta=delta,
                         baseline_value=float(ds.rewards.sum(axis=1).mean()))
        self._data = ds

    def reset(self, rng):
        super().reset(rng)
        for s, a in zip(self._data.states, self._data.actions):
            self._add(s, a)

    def _bound0(self, pi_f, pessimistic, act):
        V = self._Vpes
        V[self.spec.horizon] = 0.0
        _k.evaluate_bound_act(self._N, self._n, self._nxt, self._nnz, self._R, pi_f, act,
                              self._eps, self._w, self._w0, _PES_KINDS[self.bonus], 0.0,
                              -1 if pessimistic else 1, 0, self.spec.horizon, V)
        return float(self._init @ V[0])


def plugin_certificate(spec, dataset, alpha, delta, episodes):
    """Broken (C11 refusal): the dataset-size condition with plug-in bounds (the mean
    return for U_beta, zero widths for L_b): it certifies datasets of any size."""
    rep = offline_certificate(spec, dataset, alpha, delta, episodes)
    ds = _check_dataset(dataset, spec)
    U = float(ds.rewards.sum(axis=1).mean())
    probe = PlugInOffline(spec, episodes, dataset, alpha, delta)
    probe.reset(np.random.default_rng(0))
    pib = probe._pib_f
    L = probe._bound0(pib, True, probe._pib_act)
    thr = (1 - alpha) * U
    return dict(rep, U_beta=U, L_b=L, threshold=thr, certified=float(L >= thr))


_AGENTS: dict[str, Any] = {"UCBVI": None, "EpsMix": EpsMix, "StepMix": StepMix}


def make_agent(agent, mdp, pib, Vb: float, alpha: float, K: int):
    """The agent (a name of ``_AGENTS`` or a class) with guarantee-carrying widths."""
    cls = _AGENTS[agent] if isinstance(agent, str) else agent
    if cls is None:
        return UCBVI(mdp.spec, K, DELTA, bonus="l1")
    return cls(mdp.spec, K, baseline=pib, alpha=alpha, delta=DELTA, baseline_value=Vb)


def _label(agent) -> str:
    return agent if isinstance(agent, str) else agent.__name__


_KEYS = ("lower_bound", "optimistic_value", "conservative", "rho", "played_optimistic")


def _one(agent, env: str, alpha: float, K: int, seed: int) -> dict[str, np.ndarray]:
    mdp, pib, Vb = instance(env)
    res = run(make_agent(agent, mdp, pib, Vb, alpha, K), mdp, episodes=K, seeds=[seed],
              progress=False)
    out = {"values": res.values[0], "regret": res.regret[0]}
    out.update({k: res.extras[k][0] for k in _KEYS if k in res.extras})
    return out


def _runs(tasks: list[tuple], n_jobs: int) -> list[dict[str, np.ndarray]]:
    return map_seeds(_one, tasks, n_jobs=n_jobs if len(tasks) > 1 else 1, progress=False)


def _seeds(setting: dict, base_seed: int) -> list[int]:
    return [base_seed + i for i in range(setting["seeds"])]


def _runs_ok(bad: list[bool]) -> tuple[int, int]:
    return int(len(bad) - sum(bad)), len(bad)


# ---------------------------------------------------------------------------
# C1, C2, C5: safety runs
# ---------------------------------------------------------------------------

def measure_safety(setting: dict, base_seed: int, n_jobs: int = 1) -> list[dict[str, Any]]:
    """One record per (agent, env, alpha, seed), plus the unconstrained reference
    (UCBVI-L1) on the same instances: exact values and diagnostics."""
    tasks, keys = [], []
    for name in [*setting["agents"], "UCBVI"]:
        for env in setting["envs"]:
            for a in setting["alphas"]:
                for s in _seeds(setting, base_seed):
                    tasks.append((name, env, a, setting["K"], s))
                    keys.append(dict(agent=_label(name), env=env, alpha=a, seed=s,
                                     reference=name == "UCBVI"))
    return [dict(k, **r) for k, r in zip(keys, _runs(tasks, n_jobs))]


def _violates(r: dict) -> bool:
    _, _, Vb = instance(r["env"])
    return bool(constraint_violations(r["values"], Vb, r["alpha"]).any())


def judge_constraint(data: list[dict], setting: dict) -> Measured:
    """C1: runs without a violating episode; bite: the unconstrained reference's
    violation rate on the binding instance (the trap)."""
    own = [r for r in data if not r["reference"]]
    ref = [r for r in data if r["reference"] and r["env"] == setting["binding_env"]]
    bad = [_violates(r) for r in own]
    ok, n = _runs_ok(bad)
    worst = min(float(np.min(r["values"] - (1 - r["alpha"]) * instance(r["env"])[2]))
                for r in own)
    ref_rate = float(np.mean([_violates(r) for r in ref])) if ref else float("nan")
    return Measured(n - ok, (0.0, clopper_pearson(n - ok, n, 0.98).high),
                    {"runs_ok": (ok, n), "reference_violation_rate": ref_rate},
                    {"runs": n, "violating_runs": n - ok, "min_margin": worst,
                     "agents": sorted({r["agent"] for r in own}),
                     "reference_runs": len(ref)})


def judge_certificate(data: list[dict], setting: dict) -> Measured:
    """C2: runs with LB_k <= V^{pi_k}, V_bar >= V*, regret_k <= V_bar - LB_k everywhere;
    bite: fraction of episodes whose certified lower bound is within 0.1 H of the exact
    value (a lower bound that far below the truth could not fail)."""
    own = [r for r in data if not r["reference"]]
    bad, n_fail, tight = [], 0, []
    for r in own:
        mdp, _, _ = instance(r["env"])
        f = certificate_failures(r["values"], r["lower_bound"], r["optimistic_value"],
                                 mdp.optimal_value())
        bad.append(bool(f.any()))
        n_fail += int(f.sum())
        tight.append(np.mean(r["values"] - r["lower_bound"] < 0.1 * mdp.horizon))
    ok, n = _runs_ok(bad)
    return Measured(n - ok, (0.0, clopper_pearson(n - ok, n, 0.98).high),
                    {"runs_ok": (ok, n), "near_tight_fraction": float(np.mean(tight))},
                    {"runs": n, "failing_episodes": n_fail})


def judge_floor(data: list[dict], setting: dict) -> Measured:
    """C5: EpsMix's rho_k >= alpha in every episode (invariant part) and the number of
    pi^k draws against sum rho_k (two-sided Poisson-binomial z-test); bite: mixed
    episodes (0 < rho < 1)."""
    floor_bad, z_num, z_var, n_mix = 0, 0.0, 0.0, 0
    for r in data:
        if r["reference"] or "rho" not in r:
            continue
        rho, z = r["rho"], r["played_optimistic"]
        floor_bad += int(np.sum(rho < r["alpha"] * (1 - 1e-9)))
        m = (rho > 0) & (rho < 1)
        n_mix += int(m.sum())
        z_num += float(np.sum(z[m] - rho[m]))
        z_var += float(np.sum(rho[m] * (1 - rho[m])))
    zstat = z_num / math.sqrt(z_var) if z_var > 0 else 0.0
    p = float(2 * stats.norm.sf(abs(zstat)))
    return Measured(zstat, (zstat, zstat),
                    {"floor_violations": floor_bad, "z_pvalue": p, "mixed_episodes": n_mix},
                    {"z": zstat})


# ---------------------------------------------------------------------------
# C3: alpha = 1 is UCBVI
# ---------------------------------------------------------------------------

def measure_reduces(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Regret curves of UCBVI-L1 and of each agent at alpha = 1, same seeds."""
    tasks = [(n, setting["env"], 1.0, setting["K"], s)
             for n in ["UCBVI", *setting["agents"]] for s in _seeds(setting, base_seed)]
    out: dict[str, list[np.ndarray]] = {}
    for (n, *_), r in zip(tasks, _runs(tasks, n_jobs)):
        out.setdefault(_label(n), []).append(r["regret"])
    return out


def judge_reduces(data: dict, setting: dict) -> Measured:
    """C3: max |regret difference| to UCBVI-L1 (0 when bit-identical)."""
    ref = np.array(data["UCBVI"])
    diffs = {n: float(np.max(np.abs(np.array(v) - ref))) for n, v in data.items() if n != "UCBVI"}
    worst = max(diffs.values())
    return Measured(worst, (worst, worst), {"max_abs_difference": worst},
                    {"differences": diffs})


# ---------------------------------------------------------------------------
# C6, C7, C10: long runs where the constraint binds
# ---------------------------------------------------------------------------

def measure_long_run(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Per agent: regret (seeds, K) and conservative indicators (seeds, K)."""
    tasks = [(n, setting["env"], setting["alpha"], setting["K"], s)
             for n in setting["agents"] for s in _seeds(setting, base_seed)]
    out: dict[str, dict[str, list]] = {}
    for (n, *_), r in zip(tasks, _runs(tasks, n_jobs)):
        d = out.setdefault(_label(n), {"regret": [], "conservative": []})
        d["regret"].append(r["regret"])
        d["conservative"].append(r.get("conservative", np.zeros_like(r["regret"])))
    return {n: {k: np.array(v) for k, v in d.items()} for n, d in out.items()}


def _bite_nc(data: dict) -> tuple[float, dict]:
    """Smallest mean number of conservative episodes over the conservative agents, and
    each agent's mean last conservative episode (1-based; 0 if none)."""
    nc, last = [], {}
    for n, d in data.items():
        if n == "UCBVI":
            continue
        c = d["conservative"]
        nc.append(float(c.sum(axis=1).mean()))
        last[n] = float(np.mean([np.nonzero(ci)[0].max() + 1 if ci.any() else 0 for ci in c]))
    return (min(nc) if nc else 0.0), last


def judge_overhead(data: dict, setting: dict, n_boot: int = 2000) -> Measured:
    """C6: worst over agents of (bootstrap 95% upper bound of D(K) - D(K/2)) minus the
    allowance 0.1 |D(K/2)| + 3 sd(Reg_UCBVI(K) - Reg_UCBVI(K/2))."""
    ref = data["UCBVI"]["regret"]
    K = ref.shape[1]
    h = K // 2
    sd_u = float(np.std(ref[:, K - 1] - ref[:, h - 1], ddof=1)) if ref.shape[0] > 1 else 0.0
    rng = np.random.default_rng(0)
    worst, det = -np.inf, {}
    for n, d in data.items():
        if n == "UCBVI":
            continue
        D_h = d["regret"][:, h - 1] - ref[:, h - 1]
        D_K = d["regret"][:, K - 1] - ref[:, K - 1]
        inc = D_K - D_h
        idx = rng.integers(0, inc.size, size=(n_boot, inc.size))
        hi = float(np.quantile(inc[idx].mean(axis=1), 0.975))
        allow = 0.1 * abs(float(D_h.mean())) + 3 * sd_u
        worst = max(worst, hi - allow)
        det[n] = dict(D_half=float(D_h.mean()), D_K=float(D_K.mean()), increment_hi=hi,
                      allowance=allow)
    nc, last = _bite_nc(data)
    return Measured(worst, (worst, worst), {"overhead_excess": worst, "conservative_min": nc},
                    dict(K=K, last_conservative_episode=last, **det))


def judge_rate(data: dict, setting: dict, n_boot: int = 2000) -> Measured:
    """C7: bootstrap 95% CI of the log-log slope over K/4, K/2, K for each agent (the
    agent with the largest upper end is reported) and the normalised ratio
    Reg(K)/(sqrt(K) log K) over Reg(K/4)/(sqrt(K/4) log(K/4))."""
    K = next(iter(data.values()))["regret"].shape[1]
    Ks = np.array([K // 4, K // 2, K])
    worst_hi, worst, ratio_max, det = -np.inf, None, -np.inf, {}
    for n, d in data.items():
        y = d["regret"][:, Ks - 1]
        fit = fit_loglog_slope(Ks, np.maximum(y, 1e-9), method="bootstrap", n_boot=n_boot)
        ci = fit.ci(0.95)
        ratio = (y[:, -1].mean() / math.sqrt(Ks[-1]) / math.log(Ks[-1])) / (
            y[:, 0].mean() / math.sqrt(Ks[0]) / math.log(Ks[0]))
        ratio_max = max(ratio_max, float(ratio))
        if ci.high > worst_hi:
            worst_hi, worst = ci.high, (fit.slope, ci)
        det[n] = dict(slope=fit.slope, ci=[ci.low, ci.high], normalised_ratio=float(ratio))
    nc, last = _bite_nc(data)
    return Measured(worst[0], tuple(worst[1]),
                    {"slope_ci": tuple(worst[1]), "normalised_ratio": ratio_max,
                     "conservative_min": nc},
                    dict(K=[int(k) for k in Ks], last_conservative_episode=last, **det))


def judge_phase(data: dict, setting: dict) -> Measured:
    """C10: worst (over agents) mean fraction of conservative episodes in the second half."""
    worst, det = -np.inf, {}
    for n, d in data.items():
        if n == "UCBVI":
            continue
        c = d["conservative"]
        K = c.shape[1]
        late = float(c[:, K // 2:].sum(axis=1).mean())
        det[n] = dict(N_c_first_half=float(c[:, :K // 2].sum(axis=1).mean()),
                      N_c_second_half=late)
        worst = max(worst, late / (K // 2))
    nc, last = _bite_nc(data)
    return Measured(worst, (worst, worst), {"late_fraction": worst, "conservative_min": nc},
                    dict(last_conservative_episode=last, **det))


# ---------------------------------------------------------------------------
# C8: alpha sweep on two instances
# ---------------------------------------------------------------------------

def measure_alpha_sweep(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Per instance: N_c (alphas, seeds) and final regret (alphas, seeds), paired seeds."""
    al, seeds = setting["alphas"], _seeds(setting, base_seed)
    tasks = [(setting["agent"], env, a, setting["K"], s)
             for env in setting["envs"] for a in al for s in seeds]
    res = _runs(tasks, n_jobs)
    out: dict[str, Any] = {"alphas": np.array(al)}
    per = len(al) * len(seeds)
    for i, env in enumerate(setting["envs"]):
        chunk = res[i * per:(i + 1) * per]
        out[env] = {"N_c": np.array([r["conservative"].sum() for r in chunk]).reshape(
                        len(al), len(seeds)),
                    "regret": np.array([r["regret"][-1] for r in chunk]).reshape(
                        len(al), len(seeds))}
    return out


def judge_alpha(data: dict, setting: dict) -> Measured:
    """C8: per instance, paired sign test that N_c and regret decrease in alpha, and the
    bootstrap 95% CI of the log-log slope of N_c in alpha; bite: the smallest mean
    N_c at the smallest alpha."""
    al = data["alphas"]
    st: dict[str, Any] = {}
    det: dict[str, Any] = {}
    bite = np.inf
    head = None
    for env in setting["envs"]:
        nc, reg = data[env]["N_c"], data[env]["regret"]
        dec = np.concatenate([(nc[i + 1] < nc[i]) for i in range(len(al) - 1)]
                             + [(reg[i + 1] < reg[i]) for i in range(len(al) - 1)])
        k, n = int(dec.sum()), dec.size
        fit = fit_loglog_slope(al, np.maximum(nc.T, 0.5), method="bootstrap", n_boot=2000)
        ci = fit.ci(0.95)
        st[f"sign_p_{env}"] = float(stats.binom.sf(k - 1, n, 0.5))
        st[f"slope_ci_{env}"] = (float(ci.low), float(ci.high))
        bite = min(bite, float(nc[0].mean()))
        det[env] = dict(slope=fit.slope, N_c_mean=nc.mean(axis=1).tolist(),
                        regret_mean=reg.mean(axis=1).tolist(), decreasing_pairs=f"{k}/{n}")
        if head is None:
            head = (fit.slope, ci)
    st["nc_smallest_alpha"] = bite
    return Measured(head[0], tuple(head[1]), st, dict(alphas=al.tolist(), **det))


# ---------------------------------------------------------------------------
# C11: offline baseline (refusal and safety judged apart)
# ---------------------------------------------------------------------------

def _offline_run(env: str, alpha: float, N: int, K: int, seed: int, learner,
                 certify) -> dict[str, Any]:
    mdp, pib, Vbeta = instance(env)
    data = collect_dataset(mdp, pib, N, np.random.default_rng(10_000 + seed))
    rep = certify(mdp.spec, data, alpha, DELTA, K)
    out = {"certified": bool(rep["certified"]), "L_b": rep["L_b"], "U_beta": rep["U_beta"]}
    if learner is None:
        return out
    if getattr(learner, "trusts_any_dataset", False):
        agent = learner(mdp.spec, K, data, alpha, DELTA)
    elif not rep["certified"]:
        return out
    else:
        try:
            agent = from_offline(mdp.spec, data, alpha, DELTA, episodes=K, learner=learner)
        except ValueError:  # a variant's certificate accepted what the learner refuses
            return out
    res = run(agent, mdp, episodes=K, seeds=[seed], progress=False)
    v = constraint_violations(res.values[0], Vbeta, alpha)
    return dict(out, ran=True, violated=bool(v.any()), violating_episodes=int(v.sum()),
                conservative=float(np.mean(res.extras["conservative"][0])))


def measure_offline(setting: dict, base_seed: int, n_jobs: int = 1) -> dict[str, list]:
    """Certification outcomes for the small and the large dataset, the learner's runs on
    the certified (large) datasets, and the plug-in reference on the tiny dataset."""
    seeds = _seeds(setting, base_seed)
    certify = setting.get("certify", offline_certificate)
    out = {}
    for tag, N, learner in (("small", setting["N_small"], None),
                            ("large", setting["N_large"], setting.get("learner", EpsMix)),
                            ("plugin", setting["N_plugin"], PlugInOffline)):
        tasks = [(setting["env"], setting["alpha"], N, setting["K"], s, learner, certify)
                 for s in seeds]
        out[tag] = map_seeds(_offline_run, tasks, n_jobs=n_jobs, progress=False)
    return out


def judge_offline_refusal(data: dict, setting: dict) -> Measured:
    """C11 refusal: the small dataset is refused and the large one certified, every seed."""
    refused = sum(not r["certified"] for r in data["small"])
    cert = sum(r["certified"] for r in data["large"])
    n = len(data["small"])
    wrong = (n - refused) + (len(data["large"]) - cert)
    return Measured(wrong, (wrong, wrong), {"wrong_decisions": wrong},
                    {"small_refused": refused, "large_certified": cert, "runs": n,
                     "L_b_small": float(np.mean([r["L_b"] for r in data["small"]])),
                     "U_beta_large": float(np.mean([r["U_beta"] for r in data["large"]])),
                     "L_b_large": float(np.mean([r["L_b"] for r in data["large"]]))})


def judge_offline_safety(data: dict, setting: dict) -> Measured:
    """C11 safety: runs of the certified learner without a violating episode (a run whose
    dataset was refused counts as safe: nothing was played); bite: the plug-in
    reference's violation rate on the same instance."""
    ran = [r for r in data["large"] if r.get("ran")]
    bad = [r["violated"] for r in ran]
    ok, n = _runs_ok(bad)
    ref = [r["violated"] for r in data["plugin"]]
    rate = float(np.mean(ref))
    wrong = judge_offline_refusal(data, setting).stats["wrong_decisions"]
    return Measured(n - ok, (0.0, clopper_pearson(n - ok, n, 0.98).high),
                    {"runs_ok": (ok, n), "plugin_violation_rate": rate,
                     "wrong_decisions": wrong},
                    {"runs": n, "violating_runs": n - ok,
                     "violating_episodes": int(sum(r["violating_episodes"] for r in ran)),
                     "conservative_fraction": float(np.mean([r["conservative"] for r in ran]))
                     if ran else None,
                     "plugin_violating_runs": int(sum(ref)), "plugin_runs": len(ref)})


# ---------------------------------------------------------------------------
# the checks as data
# ---------------------------------------------------------------------------

_SAFETY = dict(envs=["Q", "trap"], alphas=[0.05, 0.2], agents=["EpsMix", "StepMix"],
               binding_env="trap")
_LONG = dict(env="trap3", alpha=0.15, agents=["UCBVI", "EpsMix", "StepMix"])
_SWEEP = dict(envs=["Q", "env5"], alphas=[0.025, 0.05, 0.1, 0.2], agent="EpsMix")
_OFF = dict(env="trap3", alpha=0.1, N_small=100, N_large=20000, N_plugin=20)
_TIERS = {
    "safety": {"quick": dict(_SAFETY, K=500, seeds=5), "full": dict(_SAFETY, K=2000, seeds=10)},
    "reduces": {"quick": dict(env="Q", agents=["EpsMix", "StepMix"], K=300, seeds=2),
                "full": dict(env="Q", agents=["EpsMix", "StepMix"], K=500, seeds=3)},
    "long": {"quick": dict(_LONG, K=8000, seeds=4), "full": dict(_LONG, K=16000, seeds=8)},
    "sweep": {"quick": dict(_SWEEP, K=3000, seeds=4), "full": dict(_SWEEP, K=8000, seeds=6)},
    "offline": {"quick": dict(_OFF, K=300, seeds=10), "full": dict(_OFF, K=1000, seeds=20)},
}
C11_QUICK = _TIERS["offline"]["quick"]
_BS = 0  # base seed of every StepMix check (seeds 0, 1, ... as when the rules were set)

CHECKS = [
    Check("constraint_every_episode",
          "C1 [V; D constants]: with probability >= 1-delta every episode's exact value "
          "(EpsMix: the mixture's) is >= (1-alpha) V_b",
          "Q and trap (H=5), alpha in {0.05, 0.2}, EpsMix and StepMix",
          _TIERS["safety"], measure_safety, judge_constraint,
          Binomial("runs_ok", 1 - DELTA, "family"), base_seed=_BS),
    Check("per_episode_certificate",
          "C2 [D] Lemma 2.1: LB_k <= V^{pi_k}, V_bar >= V* and regret_k <= V_bar - LB_k in "
          "every episode, with probability >= 1-delta",
          "Q and trap (H=5), alpha in {0.05, 0.2}, EpsMix and StepMix",
          _TIERS["safety"], measure_safety, judge_certificate,
          Binomial("runs_ok", 1 - DELTA, "family"), base_seed=_BS),
    Check("exploration_floor",
          "C5 [D]: EpsMix's rho_k >= alpha in every episode, and pi^k is drawn with "
          "probability rho_k (Poisson-binomial z-test)",
          "Q and trap (H=5), alpha in {0.05, 0.2}, EpsMix",
          _TIERS["safety"], measure_safety, judge_floor,
          AllOf((AtMost("floor_violations", 0), PValueAtLeast("z_pvalue", "family"))),
          base_seed=_BS),
    Check("alpha_one_is_ucbvi",
          "C3 [D]: with alpha = 1 (threshold 0) EpsMix and StepMix play exactly UCBVI-L1",
          "Q", _TIERS["reduces"], measure_reduces, judge_reduces,
          AtMost("max_abs_difference", 0), base_seed=_BS),
    Check("overhead_bounded",
          "C6 [V 'same order as unconstrained'; D statistic]: D(K) = Reg(K) - Reg_UCBVI(K) "
          "stops growing",
          "trap3 (H=3), alpha = 0.15", _TIERS["long"], measure_long_run, judge_overhead,
          AtMost("overhead_excess", 0), base_seed=_BS),
    Check("regret_rate_sqrtK",
          "C7 [V near-optimal; R order]: regret is O(sqrt(K) log K) for UCBVI, EpsMix, StepMix",
          "trap3 (H=3), alpha = 0.15", _TIERS["long"], measure_long_run, judge_rate,
          AllOf((CIWithin("slope_ci", high=0.75), AtMost("normalised_ratio", 1.25))),
          base_seed=_BS),
    Check("conservative_phase_ends",
          "C10 [D]: conservative episodes stop: N_c(K) - N_c(K/2) <= 0.02 (K/2)",
          "trap3 (H=3), alpha = 0.15", _TIERS["long"], measure_long_run, judge_phase,
          AtMost("late_fraction", 0.02), base_seed=_BS),
    Check("alpha_dependence",
          "C8 [D]: N_c and regret decrease in alpha, N_c grows no faster than "
          "1/alpha",
          "Q and env5, alpha in {0.025, 0.05, 0.1, 0.2}, EpsMix",
          _TIERS["sweep"], measure_alpha_sweep, judge_alpha,
          AllOf((PValueBelow("sign_p_Q", 0.05), CIWithin("slope_ci_Q", -1.6, 0.0),
                 PValueBelow("sign_p_env5", 0.05), CIWithin("slope_ci_env5", -1.6, 0.0))),
          base_seed=_BS),
    Check("offline_refusal",
          "C11 [V existence; D mechanism]: the dataset-size condition refuses a small dataset "
          "(100 episodes) and certifies a large one (20,000)",
          "trap3 (H=3), alpha = 0.1", _TIERS["offline"], measure_offline,
          judge_offline_refusal, AtMost("wrong_decisions", 0), base_seed=_BS),
    Check("offline_baseline",
          "C11 [V existence; D mechanism]: with a certified dataset every episode's value is "
          ">= (1-alpha) V_beta, with probability >= 1-delta",
          "trap3 (H=3), alpha = 0.1", _TIERS["offline"], measure_offline,
          judge_offline_safety, Binomial("runs_ok", 1 - DELTA, "family"), base_seed=_BS),
]
