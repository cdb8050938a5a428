r"""Proof checks for UCBVI (Azar, Osband, Munos, ICML 2017).

Three claims, each measured exactly on the true model and judged with a
statistic, each shown to fail on the greedy certainty-equivalent learner
(bonus 0, no optimistic initialisation) on RiverSwim, where greedy play gets
stuck at the left bank (``tests/test_proofs_ucbvi.py``).

``optimism``
    On the confidence event (probability :math:`\ge 1-\delta`),
    :math:`\bar V_{k,0}(s_0) \ge V^*_0(s_0)` in every episode (the key lemma of
    [1]_, here for the ``"l1"`` bonus whose validity for every value function
    we prove). Statistic: number of seeds with any violation; one-sided exact
    binomial test of :math:`H_0: P(\text{no violation}) \ge 1-\delta` at level 0.05.
``regret_bound``
    :math:`\mathrm{Regret}(K) \le` :func:`~theoryrl.agents.ucbvi.regret_bound_l1`
    with probability :math:`\ge 1 - 2\delta` (our explicit bound for the L1
    bonus [D]; the published constants of Theorems 1-2 [R] exceed the trivial
    bound :math:`K V^*` at every testable size). Run where the bound is *not*
    vacuous: the 2-state deterministic chain with H = 2 and :math:`K = 10^5`
    (the bound is 0.18 of the trivial :math:`K V^*`), so a learner that gets
    stuck violates it. Statistic: seeds whose regret curve stays under the bound
    at every checkpoint; one-sided binomial test as above.
``regret_rate``
    :math:`\mathrm{Regret}(K) = \tilde O(\sqrt K)` (Theorems 1-2 of [1]_).
    Statistic: slope of log mean regret on log K, bootstrap over seeds (one run
    per seed read at checkpoints, so rows are correlated). Pass: the 95% CI's
    upper end is at most 0.6 (1/2 plus room for the log factors) and below 1.
    One-sided on purpose: on a fixed instance with a positive gap optimistic
    algorithms become :math:`O(\log K)` eventually, so slopes below 1/2 are
    the truth (measured 0.24 on RiverSwim-6, H=20, K = 2^10..2^14), and an instance
    family scaled with K to force exponent 1/2 forces it for every learner,
    the greedy one included, so it could not fail.

References
----------
.. [1] M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
   reinforcement learning", ICML 2017.
"""

from __future__ import annotations

import time

import numpy as np

from theoryrl.agents.ucbvi import UCBVI, regret_bound_l1
from theoryrl.claims import CheckResult, Interval, binomial_at_least, fit_loglog_slope
from theoryrl.envs import chain, riverswim
from theoryrl.experiment import EpisodeSimulator, map_seeds, run, seed_sequences

PAPER = "ucbvi"

SWEEP = {
    "optimism": dict(n_states=6, horizon=20, K=2**12, seeds=32, delta=0.05),
    "regret_bound": dict(horizon=2, K=100_000, seeds=16, delta=0.05),
    "regret_rate": dict(n_states=6, horizon=20, K=[2**j for j in range(10, 15)], seeds=16,
                        delta=0.05),
}
QUICK = {
    "optimism": dict(n_states=6, horizon=20, K=2**10, seeds=16, delta=0.05),
    "regret_bound": dict(horizon=2, K=20_000, seeds=8, delta=0.05),
    "regret_rate": dict(n_states=6, horizon=20, K=[2**j for j in range(9, 13)], seeds=8,
                        delta=0.05),
}
GREEDY = dict(bonus_scale=0.0, optimistic_init=False)
SIGNIFICANCE = 0.05


def make_agent(mdp, K: int, delta: float, broken: bool = False) -> UCBVI:
    """UCBVI-L1, or the greedy certainty-equivalent learner when ``broken``."""
    return UCBVI(mdp.spec, episodes=K, delta=delta, bonus="l1", **(GREEDY if broken else {}))


def measure_run(setting: dict, seed_seq: np.random.SeedSequence, broken: bool = False
                ) -> dict[str, np.ndarray]:
    """One seed: per-episode exact V^{pi_k} and the optimistic value."""
    mdp = riverswim(setting["n_states"], horizon=setting["horizon"])
    K = max(np.atleast_1d(setting["K"]))
    agent = make_agent(mdp, int(K), setting["delta"], broken)
    env_seq, agent_seq = seed_seq.spawn(2)
    rng = np.random.default_rng(env_seq)
    agent.reset(np.random.default_rng(agent_seq))
    sim = EpisodeSimulator(mdp)
    values, upper = np.empty(K), np.empty(K)
    for k in range(K):
        pi = agent.policy()
        upper[k] = agent.optimistic_value()
        values[k] = sim.value(pi)
        agent.update(sim.sample(pi, rng))
    return {"values": values, "upper": upper}


def measure(name: str, setting: dict, broken: bool = False, n_jobs: int = 1) -> dict:
    """Run every seed of ``setting``; returns arrays (seeds, K) and V*."""
    seqs = seed_sequences(setting["seeds"], base_seed=20_170_301)
    runs = map_seeds(measure_run, [(setting, s, broken) for s in seqs], n_jobs=n_jobs,
                     progress=False)
    v_star = riverswim(setting["n_states"], horizon=setting["horizon"]).optimal_value()
    return {k: np.stack([r[k] for r in runs]) for k in runs[0]} | {"v_star": v_star}


def _binomial_check(name: str, claim: str, ok: np.ndarray, delta: float, t0: float,
                    **details) -> CheckResult:
    n, good = ok.size, int(ok.sum())
    v = binomial_at_least(good, n, 1 - delta, SIGNIFICANCE)
    return CheckResult(PAPER, name, claim, good / n, v.ci, not v.rejected,
                       time.perf_counter() - t0,
                       {"seeds_ok": good, "seeds": n, "p_value": v.pvalue,
                        "rule": f"one-sided binomial test of P(ok) >= {1 - delta} at "
                                f"level {SIGNIFICANCE}", **details})


def check_optimism(data: dict, setting: dict, t0: float) -> CheckResult:
    """Judge: optimistic value above V* in every episode, per seed."""
    ok = np.all(data["upper"] >= data["v_star"] - 1e-9, axis=1)
    return _binomial_check("optimism", "V_bar_k(s0) >= V*(s0) for all k w.p. >= 1-delta "
                           "(Azar et al. 2017, optimism lemma; L1 bonus [D])", ok,
                           setting["delta"], t0, K=setting["K"])


def measure_regret_bound(setting: dict, broken: bool = False, n_jobs: int = 1) -> dict:
    """Regret curves of UCBVI-L1 (or the greedy learner) on the 2-state chain."""
    mdp = chain(2, horizon=setting["horizon"])
    agent = make_agent(mdp, setting["K"], setting["delta"], broken)
    res = run(agent, mdp, episodes=setting["K"], seeds=setting["seeds"], n_jobs=n_jobs,
              base_seed=20_170_302, progress=False)
    return {"regret": res.regret, "v_star": res.optimal_value}


def check_regret_bound(data: dict, setting: dict, t0: float) -> CheckResult:
    """Judge: regret under regret_bound_l1 at every checkpoint, per seed."""
    K, H, delta = setting["K"], setting["horizon"], setting["delta"]
    ks = np.unique(np.geomspace(1, K, 30).astype(int))
    bound = np.array([regret_bound_l1(2, 2, H, int(k), delta, planned_episodes=K) for k in ks])
    ok = np.all(data["regret"][:, ks - 1] <= bound, axis=1)
    trivial = K * data["v_star"]
    return _binomial_check(
        "regret_bound", "Regret(k) <= regret_bound_l1(S, A, H, K, delta) for all k <= K "
        "w.p. >= 1-2 delta (explicit bound for the L1 bonus [D]; Azar et al. 2017 "
        "Thm 1 structure [R])", ok, 2 * delta, t0, K=K, bound=float(bound[-1]),
        bound_over_trivial=float(bound[-1] / trivial),
        mean_final_regret=float(data["regret"][:, -1].mean()))


def check_regret_rate(data: dict, setting: dict, t0: float) -> CheckResult:
    """Judge: bootstrap slope CI upper end <= 0.6 and < 1."""
    ks = np.asarray(setting["K"])
    regret = np.cumsum(data["v_star"] - data["values"], axis=1)[:, ks - 1]
    fit = fit_loglog_slope(ks, np.maximum(regret, 1e-12), method="bootstrap", seed=1)
    ci = fit.ci(0.95)
    passed = bool(ci.high <= 0.6 and ci.high < 1.0)
    return CheckResult(PAPER, "regret_rate",
                       "Regret(K) = O~(sqrt K): log-log slope CI upper end <= 0.6 "
                       "(Azar et al. 2017, Thm 1-2 [R]; one-sided, see module doc)",
                       fit.slope, Interval(*ci), passed, time.perf_counter() - t0,
                       {"K": ks.tolist(), "mean_regret": regret.mean(axis=0).tolist(),
                        "seeds": int(regret.shape[0]), "rule": "CI(0.95).high <= 0.6"})


JUDGES = {"optimism": check_optimism, "regret_bound": check_regret_bound,
          "regret_rate": check_regret_rate}


def checks(quick: bool = False, seeds: int | None = None, broken: bool = False,
           n_jobs: int = 1) -> list[CheckResult]:
    """Run every UCBVI check (``broken=True``: on the greedy learner, to see them fail)."""
    table = QUICK if quick else SWEEP
    out = []
    for name, setting in table.items():
        setting = dict(setting, seeds=seeds or setting["seeds"])
        t0 = time.perf_counter()
        if name == "regret_bound":
            data = measure_regret_bound(setting, broken, n_jobs)
        else:
            data = measure(name, setting, broken, n_jobs)
        out.append(JUDGES[name](data, setting, t0))
    return out
