r"""The average-reward step driver: ``run(agent, amdp, steps=T, seeds=N)``.

Contract (see :mod:`theoryrl.agents.average` for the agent side)
-----------------------------------------------------------------
One trajectory per seed, no resets. Per seed the driver

1. derives two generators from the run's ``SeedSequence`` (spawn keys ``(..., 0)``
   and ``(..., 1)``, without mutating it): ``rng_env`` draws the
   initial state (one uniform) and then all ``T`` transition uniforms at once,
   so the state process depends only on the seed and the actions -- never on
   how the run is cut into epochs; ``rng_agent`` goes to ``agent.reset``;
2. loops: ``pi = agent.policy()`` (a stationary policy (S,)), then
   ``agent.play(sim, pi, t)``: the agent's own compiled kernel plays ``pi`` and,
   after every transition, updates its rule's statistics in place and tests the
   rule; it returns when the rule fires or ``T`` is reached; then
   ``agent.update(Segment)``. There is no Python call per step, and the driver
   knows no algorithm (:mod:`theoryrl.agents.average`).
3. measures exactly, from the true model: with :math:`J^*`, :math:`h^*` and the
   advantage gaps :math:`\Delta(s,a) = J^* + h^*(s) - r(s,a) - (Ph^*)(s,a) \ge 0`
   (:func:`theoryrl.planning.amdp.average_facts`),

   * ``regret``: advantage regret :math:`\mathrm{Reg}^\Delta(t) = \sum_{i\le t}\Delta(s_i,a_i)`
     ([D], docs/theory/loop.md: the primary measurement of the LOOP checks);
   * ``extras["raw_regret"]``: :math:`\mathrm{Reg}(t) = \sum_{i \le t} (J^* - r(s_i,a_i))`
     with mean rewards (the paper's regret [V]);
   * ``extras["switches"]``: number of plans (epochs started) in steps
     :math:`1..t`, the quantity the switching bounds count (``1 +`` ...);
   * ``extras["policy_changes"]``: plans whose ``pi`` differs from the previous one;
   * ``extras["conf_violation"]`` (``monitor=True`` only): 1 once the true
     parameter has left the agent's confidence set of some ridge block, checked
     after every update (:meth:`~theoryrl.agents.average.AverageAgent.start_monitor`).

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
from ..agents.average import AverageAgent, Segment, StepSim
from ..planning.amdp import AverageFacts, average_facts
from .episodes import _progress_hook
from .result import Result
from .seeding import map_seeds

__all__ = ["run_steps", "run_one", "default_checkpoints"]


def default_checkpoints(T: int) -> np.ndarray:
    """Powers of two up to ``T``, plus ``T``."""
    cps = [2 ** k for k in range(int(np.log2(T)) + 1) if 2 ** k <= T]
    if cps[-1] != T:
        cps.append(T)
    return np.asarray(cps, dtype=np.int64)


def _check_policy(pi: Any, S: int, A: int) -> np.ndarray:
    if not (isinstance(pi, np.ndarray) and pi.dtype == np.int64 and pi.shape == (S,)):
        raise ValueError(f"agent.policy() must return an int64 array of shape ({S},), got "
                         f"{getattr(pi, 'dtype', type(pi).__name__)} {getattr(pi, 'shape', '')}")
    if pi.min() < 0 or pi.max() >= A:
        i = int(np.argmax((pi < 0) | (pi >= A)))
        raise ValueError(f"agent.policy()[{i}] must be an action in [0, {A}), got {pi[i]}")
    return pi


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
    sim = StepSim(Pcum, R, u, states, actions)
    watching = bool(monitor) and ag.start_monitor(mdp)
    t = 0
    starts, reasons, changes = [], [], []
    prev = None
    hook = _progress_hook.get()
    while t < T:
        pi = _check_policy(ag.policy(), S, A)
        t_end, reason = ag.play(sim, pi, t)
        if not t < t_end <= T:
            raise RuntimeError(f"{type(ag).__name__}.play must advance to a step in "
                               f"({t}, {T}], got {t_end}")
        starts.append(t)
        reasons.append(int(reason))
        changes.append(prev is None or not np.array_equal(prev, pi))
        prev = pi.copy()
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
        # first: 1-based step after whose update a true parameter left its set
        first, monitor_max = ag.monitor_record() if watching else (-1, None)
        out["conf_violation"] = (first >= 0) & (cps >= first)
        out["first_violation"] = int(first)
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
