r"""Proof checks for UCBVI (Azar, Osband, Munos, ICML 2017), declared on the harness.

Three theorem checks, each measured exactly on the true model and judged by its
registered rule (``proofs_checks/registry.toml``), each shown to fail on the
greedy certainty-equivalent learner :class:`~proofs_checks.variants.GreedyUCBVI`
on RiverSwim, where greedy play gets stuck at the left bank
(``tests/test_proofs_ucbvi.py``).

``optimism``
    On the confidence event (probability :math:`\ge 1-\delta`),
    :math:`\bar V_{k,0}(s_0) \ge V^*_0(s_0)` in every episode (the key lemma of
    [1]_, here for the ``"l1"`` bonus whose validity for every value function
    we prove in docs/theory/ucbvi.md). Statistic: seeds without a violation;
    exact binomial test of :math:`P(\text{no violation}) \ge 1-\delta` at the
    family-wise level. Bite: the fraction of episodes whose optimistic value is
    below the cap :math:`H` (optimism not met by clipping alone).
``regret_bound``
    :math:`\mathrm{Regret}(K) \le` :func:`~theoryrl.agents.ucbvi.regret_bound_l1`
    with probability :math:`\ge 1 - 2\delta`, on the 2-state deterministic chain
    with H = 2 where the bound is far below the trivial :math:`K V^*` (bite:
    ``1 - bound / (K V*)``), so a learner that gets stuck violates it.
``regret_rate``
    :math:`\mathrm{Regret}(K) = \tilde O(\sqrt K)` (Theorems 1-2 of [1]_).
    Statistic: slope of log mean regret on log K, bootstrap over seeds. The
    registered rule was two-sided around 1/2; it was amended to one-sided
    (upper end at most 0.6) after seeing slopes near 0.24: on a fixed instance
    with a positive gap optimistic algorithms become :math:`O(\log K)`. Bite:
    the regret still grows over the fitted range.

The full tier's seed counts (128 and 64) make the smallest failure rate the
binomial tests detect with 80% power at most about 3 delta at the family-wise
level; the quick tier's power is reported with each verdict.

References
----------
.. [1] M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
   reinforcement learning", ICML 2017.
"""

from __future__ import annotations

import numpy as np

from theoryrl.agents.ucbvi import UCBVI, regret_bound_l1
from theoryrl.claims import Binomial, CIWithin, clopper_pearson, fit_loglog_slope
from theoryrl.envs import chain, riverswim
from theoryrl.experiment import run

from ._harness import Check, Measured

PAPER = "ucbvi"


def _agent(setting: dict, mdp, K: int) -> UCBVI:
    return setting.get("agent", UCBVI)(mdp.spec, episodes=K, delta=setting["delta"], bonus="l1")


def measure_riverswim(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Every seed on RiverSwim: arrays (seeds, K) of the exact values of the played
    policies and of the optimistic values ``init @ V_bar_0`` of their plans, and V*.

    ``run`` plays UCBVI (and a variant that keeps its methods) in its compiled whole-run
    kernel, the seeds over ``n_jobs`` threads."""
    mdp = riverswim(setting["n_states"], horizon=setting["horizon"])
    K = int(max(np.atleast_1d(setting["K"])))
    res = run(_agent(setting, mdp, K), mdp, episodes=K, seeds=setting["seeds"], n_jobs=n_jobs,
              base_seed=base_seed, progress=False)
    return {"values": res.values, "upper": res.extras["optimistic_value"],
            "v_star": res.optimal_value}


def judge_optimism(data: dict, setting: dict) -> Measured:
    """Seeds whose optimistic value stays above V* in every episode."""
    ok = np.all(data["upper"] >= data["v_star"] - 1e-9, axis=1)
    n, good = ok.size, int(ok.sum())
    unclipped = float(np.mean(data["upper"] < setting["horizon"] - 1e-9))
    return Measured(good / n, tuple(clopper_pearson(good, n, 0.9)),
                    {"seeds_ok": (good, n), "unclipped_fraction": unclipped},
                    {"seeds": n, "K": setting["K"],
                     "min_margin": float((data["upper"] - data["v_star"]).min())})


def measure_chain(setting: dict, base_seed: int, n_jobs: int = 1) -> dict:
    """Regret curves on the 2-state chain."""
    mdp = chain(2, horizon=setting["horizon"])
    agent = _agent(setting, mdp, setting["K"])
    res = run(agent, mdp, episodes=setting["K"], seeds=setting["seeds"], n_jobs=n_jobs,
              base_seed=base_seed, progress=False)
    return {"regret": res.regret, "v_star": res.optimal_value}


def judge_regret_bound(data: dict, setting: dict) -> Measured:
    """Seeds whose regret stays under ``regret_bound_l1`` at 30 checkpoints."""
    K, H, delta = setting["K"], setting["horizon"], setting["delta"]
    ks = np.unique(np.geomspace(1, K, 30).astype(int))
    bound = np.array([regret_bound_l1(2, 2, H, int(k), delta, planned_episodes=K) for k in ks])
    ok = np.all(data["regret"][:, ks - 1] <= bound, axis=1)
    n, good = ok.size, int(ok.sum())
    trivial = K * data["v_star"]
    return Measured(good / n, tuple(clopper_pearson(good, n, 0.9)),
                    {"seeds_ok": (good, n), "bound_slack": float(1 - bound[-1] / trivial)},
                    {"K": K, "bound": float(bound[-1]),
                     "mean_final_regret": float(data["regret"][:, -1].mean())})


def judge_rate(data: dict, setting: dict) -> Measured:
    """Bootstrap slope of log mean regret on log K."""
    ks = np.asarray(setting["K"])
    regret = np.cumsum(data["v_star"] - data["values"], axis=1)[:, ks - 1]
    fit = fit_loglog_slope(ks, np.maximum(regret, 1e-12), method="bootstrap", seed=1)
    ci = fit.ci(0.95)
    mean = regret.mean(axis=0)
    return Measured(fit.slope, tuple(ci),
                    {"slope_ci": tuple(ci), "regret_growth": float(mean[-1] / mean[0])},
                    {"K": ks.tolist(), "mean_regret": mean.tolist(),
                     "seeds": int(regret.shape[0])})


_RS = dict(n_states=6, horizon=20, delta=0.05)

CHECKS = [
    Check("optimism",
          "V_bar_k(s0) >= V*(s0) for all k w.p. >= 1-delta (optimism lemma, L1 bonus)",
          "RiverSwim-6, H = 20",
          {"quick": dict(_RS, K=2 ** 10, seeds=16), "full": dict(_RS, K=2 ** 12, seeds=128)},
          measure_riverswim, judge_optimism,
          Binomial("seeds_ok", 0.95, "family"), base_seed=20_170_301),
    Check("regret_bound",
          "Regret(k) <= regret_bound_l1(S, A, H, K, delta) for all k <= K w.p. >= 1-2 delta",
          "2-state deterministic chain, H = 2",
          {"quick": dict(horizon=2, K=20_000, seeds=8, delta=0.05),
           "full": dict(horizon=2, K=100_000, seeds=64, delta=0.05)},
          measure_chain, judge_regret_bound,
          Binomial("seeds_ok", 0.9, "family"), base_seed=20_170_302),
    Check("regret_rate",
          "Regret(K) = O~(sqrt K): bootstrap 95% CI of the log-log slope has upper end <= 0.6",
          "RiverSwim-6, H = 20",
          {"quick": dict(_RS, K=[2 ** j for j in range(9, 13)], seeds=8),
           "full": dict(_RS, K=[2 ** j for j in range(10, 15)], seeds=16)},
          measure_riverswim, judge_rate,
          CIWithin("slope_ci", high=0.6), base_seed=20_170_301),
]
