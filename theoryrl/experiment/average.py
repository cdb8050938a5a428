r"""The average-reward step driver: ``run(agent, amdp, steps=T, seeds=N)``.

Contract (see :mod:`theoryrl.agents.average` for the agent side)
-----------------------------------------------------------------
One trajectory per seed, no resets. Per seed the driver

1. derives two generators from the run's ``SeedSequence`` (spawn keys ``(..., 0)``
   and ``(..., 1)``, without mutating it): ``rng_env`` draws the
   initial state (one uniform) and then all ``T`` transition uniforms at once,
   so the state process depends only on the seed and the actions -- never on
   how the run is cut into epochs; ``rng_agent`` goes to ``agent.reset``;
2. loops: ``plan = agent.policy()`` (a :class:`~theoryrl.agents.average.StepPlan`:
   stationary ``pi`` (S,) and a :class:`~theoryrl.agents.average.StopRule`);
   the compiled kernel :func:`theoryrl.experiment._average_kernels.run_segment`
   plays ``pi`` and, after every transition, updates the rule's statistics in
   place (counts, ridge Gram blocks by Sherman--Morrison, log-determinants) and
   tests the rule; it returns when the rule fires or ``T`` is reached; then
   ``agent.update(Segment)``. There is no Python call per step.
3. measures exactly, from the true model: with :math:`J^*`, :math:`h^*` and the
   advantage gaps :math:`\Delta(s,a) = J^* + h^*(s) - r(s,a) - (Ph^*)(s,a) \ge 0`
   (:func:`theoryrl.planning.amdp.average_facts`),

   * ``regret``: advantage regret :math:`\mathrm{Reg}^\Delta(t) = \sum_{i\le t}\Delta(s_i,a_i)`
     (LOOP spec Sec. 1.4 [D], the recommended primary measurement);
   * ``extras["raw_regret"]``: :math:`\mathrm{Reg}(t) = \sum_{i \le t} (J^* - r(s_i,a_i))`
     with mean rewards (the paper's regret [V]);
   * ``extras["switches"]``: number of plans (epochs started) in steps
     :math:`1..t`, the quantity the switching bounds count (``1 +`` ...);
   * ``extras["policy_changes"]``: plans whose ``pi`` differs from the previous one;
   * ``extras["conf_violation"]`` (``monitor=True`` only): 1 once the true
     parameter has left the agent's confidence set of some ridge block, checked
     after every update (spec check C1).

   all read at the checkpoints ``x`` (default: powers of two up to ``T``, and ``T``).
   ``values[:, j]`` is the running mean of the mean rewards, :math:`J^* - \mathrm{Reg}(t)/t`.

:func:`run_one` exposes one seed's full record (trajectory, plan starts, agent
history) for the proof checks.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np

from .._validation import check_int
from ..agents.average import RULES, AverageAgent, Segment, StepPlan
from ..planning.amdp import AverageFacts, average_facts
from . import _average_kernels as K
from .episodes import _progress_hook
from .result import Result

__all__ = ["run_steps", "run_one", "default_checkpoints"]

_NO_LIMIT = np.iinfo(np.int64).max // 4


def default_checkpoints(T: int) -> np.ndarray:
    """Powers of two up to ``T``, plus ``T``."""
    cps = [2 ** k for k in range(int(np.log2(T)) + 1) if 2 ** k <= T]
    if cps[-1] != T:
        cps.append(T)
    return np.asarray(cps, dtype=np.int64)


def _check_plan(plan: Any, S: int, A: int) -> StepPlan:
    if not isinstance(plan, StepPlan):
        raise TypeError(f"agent.policy() must return a StepPlan, got {type(plan).__name__}")
    pi = plan.pi
    if not (isinstance(pi, np.ndarray) and pi.dtype == np.int64 and pi.shape == (S,)):
        raise ValueError(f"plan.pi must be an int64 array of shape ({S},), got "
                         f"{getattr(pi, 'dtype', type(pi))} {getattr(pi, 'shape', '')}")
    if pi.min() < 0 or pi.max() >= A:
        i = int(np.argmax((pi < 0) | (pi >= A)))
        raise ValueError(f"plan.pi[{i}] must be an action in [0, {A}) ({pi[i]})")
    return plan


def run_one(agent: AverageAgent, mdp: Any, steps: int, seq: np.random.SeedSequence,
            facts: AverageFacts | None = None, *, monitor: bool = False,
            checkpoints: np.ndarray | None = None, keep_trajectory: bool = True
            ) -> dict[str, Any]:
    """One seed: returns a dict with ``states`` (T+1,), ``actions`` (T,),
    ``plan_starts`` (number of plans,) (0-based step index at which each plan
    started), ``reasons``, ``agent`` (the trained copy, with ``history``), and the
    checkpoint curves ``regret``, ``raw_regret``, ``switches``, ``policy_changes``
    (and ``conf_violation``, ``monitor_max`` if ``monitor``)."""
    T = check_int(steps, "steps", 1)
    if facts is None:
        facts = average_facts(mdp, with_diameter=False)
    cps = default_checkpoints(T) if checkpoints is None else np.asarray(checkpoints, np.int64)
    S, A = mdp.n_states, mdp.n_actions
    P = np.asarray(mdp.P)
    R = np.ascontiguousarray(mdp.R, dtype=np.float64)
    Pcum = np.ascontiguousarray(np.cumsum(P, axis=-1))
    # children derived without mutating ``seq`` (``seq.spawn`` would), so a run is a
    # pure function of (entropy, spawn_key)
    rng_env, rng_agent = (np.random.default_rng(np.random.SeedSequence(
        seq.entropy, spawn_key=(*seq.spawn_key, i))) for i in range(2))
    ag = copy.deepcopy(agent)
    ag.reset(rng_agent)
    init_cum = np.cumsum(np.asarray(mdp.init))
    s0 = int(min(np.searchsorted(init_cum, rng_env.random(), side="right"), S - 1))
    u = rng_env.random(T)
    states = np.empty(T + 1, dtype=np.int64)
    actions = np.empty(T, dtype=np.int64)
    states[0] = s0
    theta_star = ag.true_blocks(mdp) if monitor else None
    t = 0
    starts, reasons, changes = [], [], []
    prev = None
    first = np.full(1, -1, dtype=np.int64)
    e_nu = np.zeros((S, A), dtype=np.int64)
    monitor_max = None
    hook = _progress_hook.get()
    while t < T:
        plan = _check_plan(ag.policy(), S, A)
        rule = plan.rule
        rd = rule.ridge
        kind = RULES[rule.kind]
        max_steps = _NO_LIMIT if rule.max_steps is None else int(rule.max_steps)
        if rd is not None:
            nb, d = rd.n_blocks, rd.dim
            X, y, G, Ginv, bb, logdet = rd.X, rd.y, rd.G, rd.Ginv, rd.b, rd.logdet
            block, pot, pot_raw, visits = rd.block, rd.potential, rd.potential_raw, rd.visits
        else:
            nb, d = 1, 1
            X, y = np.zeros((S, A, 1)), np.zeros(S)
            G, Ginv, bb = np.zeros((1, 1, 1)), np.zeros((1, 1, 1)), np.zeros((1, 1))
            logdet = np.zeros(1)
            block = np.zeros((S, A), dtype=np.int64)
            pot, pot_raw, visits = np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int64)
        logdet0 = rule.logdet0 if rule.logdet0 is not None else logdet
        ptilde = rule.ptilde if rule.ptilde is not None else np.zeros((nb, d))
        mon = bool(monitor and rd is not None and theta_star is not None)
        if mon and monitor_max is None:
            monitor_max = np.zeros(nb)
        ts = theta_star if mon else np.zeros((nb, d))
        mm = monitor_max if mon else np.zeros(nb)
        q = rule.q
        if q is not None:
            Qa, Qh, Vh, nq, qH, qc = q.Q, q.Qhat, q.Vhat, q.n, float(q.H), float(q.c)
        else:
            Qa, Qh, Vh, nq, qH, qc = (np.zeros((S, A)), np.zeros((S, A)), np.zeros(S),
                                      e_nu, 2.0, 0.0)
        nu_limit = rule.nu_limit if rule.nu_limit is not None else e_nu
        learn_until = T + 1 if rule.learn_until is None else int(rule.learn_until)
        t_end, reason = K.run_segment(
            Pcum, R, plan.pi, u, states, actions, t, T, max_steps, kind,
            np.ascontiguousarray(nu_limit, dtype=np.int64), rd is not None, block, X, y, G,
            Ginv, bb, logdet, logdet0, ptilde, float(rule.c_sw),
            np.asarray(rule.beta_coef, dtype=np.float64), float(rule.beta_scale), learn_until,
            pot, pot_raw, visits, mon, ts, mm, first, Qa, Qh, Vh, nq, qH, qc)
        starts.append(t)
        reasons.append(int(reason))
        changes.append(prev is None or not np.array_equal(prev, plan.pi))
        prev = plan.pi.copy()
        sl = slice(t, t_end)
        ag.update(Segment(states[t:t_end + 1], actions[sl], R[states[sl], actions[sl]],
                          t, int(reason)))
        if hook is not None:
            hook(int(t_end) - t)
        t = int(t_end)
    sa = (states[:-1], actions)
    adv = np.cumsum(facts.gaps[sa])
    raw = np.cumsum(facts.gain - R[sa])
    starts_a = np.asarray(starts, dtype=np.int64)
    idx = cps - 1
    out = {"regret": adv[idx], "raw_regret": raw[idx],
           "switches": np.searchsorted(starts_a, cps, side="left").astype(float),
           "policy_changes": np.array([np.sum(np.asarray(changes)[starts_a < c]) for c in cps],
                                      dtype=float),
           "plan_starts": starts_a, "reasons": np.asarray(reasons), "agent": ag,
           "checkpoints": cps}
    if monitor:
        # first[0]: 1-based step after whose update the true parameter left the set
        out["conf_violation"] = (first[0] >= 0) & (cps >= first[0])
        out["first_violation"] = int(first[0])
        out["monitor_max"] = monitor_max
    if keep_trajectory:
        out["states"], out["actions"] = states, actions
    return out


def _one_for_result(agent, mdp, T, seq, facts, monitor, cps):
    r = run_one(agent, mdp, T, seq, facts, monitor=monitor, checkpoints=cps,
                keep_trajectory=False)
    keys = ["regret", "raw_regret", "switches", "policy_changes"]
    if monitor:
        keys.append("conf_violation")
    return {k: np.asarray(r[k], dtype=float) for k in keys}


def run_steps(agent: AverageAgent, mdp: Any, steps: int, seqs: list, *, n_jobs: int = 1,
              backend: str | None = None, progress: bool | None = None,
              checkpoints: Any = None, monitor: bool = False) -> Result:
    """Run an average-reward ``agent`` for ``steps`` steps per seed (module docstring).

    Parameters
    ----------
    agent : AverageAgent
    mdp : TabularMDP or LinearMixtureMDP
        Average-reward model (neither horizon nor gamma), weakly communicating.
    steps : int
        ``T``.
    seqs : list of numpy.random.SeedSequence
        One per run (:func:`theoryrl.experiment.seed_sequences`).
    checkpoints : array_like of int, optional
        Steps ``1 <= t <= T`` at which curves are read (default: powers of 2, and T).
    monitor : bool
        Record confidence-set violations of the ridge blocks (slower).

    Returns
    -------
    Result
        ``x`` = checkpoints, ``regret`` (seeds, n_checkpoints) advantage regret,
        ``extras`` ``raw_regret``, ``switches``, ``policy_changes`` (and
        ``conf_violation``), ``optimal_value`` = :math:`J^*`.
    """
    from .driver import map_seeds

    if not isinstance(agent, AverageAgent):
        raise TypeError(f"agent must be an AverageAgent for steps=, got {type(agent).__name__}")
    if getattr(mdp, "criterion", None) != "average":
        raise ValueError(f"steps= needs an average-reward mdp (no horizon, no gamma), "
                         f"got {getattr(mdp, 'criterion', None)}")
    T = check_int(steps, "steps", 1)
    cps = default_checkpoints(T) if checkpoints is None else np.unique(
        np.asarray(checkpoints, dtype=np.int64))
    if cps.size == 0 or cps.min() < 1 or cps.max() > T:
        raise ValueError(f"checkpoints must lie in [1, steps={T}], got {cps}")
    t0 = time.perf_counter()
    facts = average_facts(mdp, with_diameter=False)
    runs = map_seeds(_one_for_result, [(agent, mdp, T, s, facts, monitor, cps) for s in seqs],
                     n_jobs=n_jobs, backend=backend, progress=progress,
                     desc=getattr(agent, "name", "run"))
    regret = np.stack([r.pop("regret") for r in runs])
    extras = {k: np.stack([r[k] for r in runs]) for k in runs[0]}
    values = facts.gain - extras["raw_regret"] / cps[None, :]
    meta = {"agent": getattr(agent, "name", type(agent).__name__), "params": agent.params(),
            "env": repr(mdp), "steps": T, "seeds": len(seqs),
            "seconds": time.perf_counter() - t0, "x_label": "step",
            "regret": "advantage regret sum_t Delta(s_t, a_t)"}
    return Result(values, regret, facts.gain, extras, cps.astype(float), meta)
