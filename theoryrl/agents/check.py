r"""Conformance checker of the agent contract: :func:`check_agent`.

One function per rule of the contract (:mod:`theoryrl.agents.base`), each
raising :class:`AgentCheckError` with a message that names the rule and the first
place it is broken. :func:`check_agent` runs them all in order; the clauses can
also be called one by one. Every clause works on deep copies: the agent handed in
is never changed. The data the agent learns from are simulated here, from the
true model ``mdp``, with the checker's own generator.

Rules
-----
``check_spec``
    The agent was built for ``mdp`` (same sizes, horizon, discount, rewards, init).
``check_policies``
    Every ``policy()`` has the variant's shape and dtype: int64 ``(H, S)`` in
    ``[0, A)``, float64 ``(H, S, A)`` with distribution rows, or a
    :class:`~theoryrl.agents.base.Mixture` of those (episodic); int64 ``(S,)``
    (average reward); int64 tasks ``(J,)`` with float64 ``(J, F)`` policy
    tensors (multi-task).
``check_rng``
    The agent draws only from the generator handed to ``reset``: two runs with
    the same generator seed, under different states of numpy's and Python's
    global random generators, play the same policies, and numpy's global state
    is left untouched.
``check_reset``
    ``reset(rng)`` recreates all learning state: a used agent reset with the
    same seed replays the policies of a fresh one.
``check_update``
    ``update`` sees only what a learner may see: the agent holds no reference to
    the true model; it does not write into the data it is given; an
    average-reward agent behaves the same when the same trajectory is replayed
    under another transition kernel (its ``play`` may use the kernel only to
    draw the next state).
``check_info``
    ``info()`` returns a dict of named scalars (multi-task agents: named values).
"""

from __future__ import annotations

import copy
import random
from typing import Any

import numpy as np

from .._validation import ATOL, check_int
from ..models.linear_mixture import LinearMixtureMDP
from ..models.pomdp import POMDP
from ..models.shared_specific import SharedSpecificClass, TaskLaws
from ..models.tabular import MDPSpec, TabularMDP
from ..planning.episodic import as_stages
from .average import AverageAgent, Segment, StepSim
from .base import Agent, Mixture, TaskBatch, TaskPlays, Trajectory
from .umt_psr import MultiTaskAgent

__all__ = ["AgentCheckError", "check_agent", "check_agent_fits", "check_info",
           "check_policies", "check_reset", "check_rng", "check_spec", "check_update"]

_MODELS = (TabularMDP, LinearMixtureMDP, POMDP, TaskLaws)


class AgentCheckError(AssertionError):
    """An agent breaks a rule of the contract (the message names the rule)."""


def _variant(agent: Any) -> str:
    if isinstance(agent, AverageAgent):
        return "average"
    if isinstance(agent, MultiTaskAgent):
        return "multitask"
    if isinstance(agent, Agent):
        return "episodic"
    raise TypeError(f"agent must be an Agent, AverageAgent or MultiTaskAgent, got "
                    f"{type(agent).__name__}")


def _default_rounds(kind: str) -> int:
    return {"episodic": 6, "average": 256, "multitask": 4}[kind]


# ------------------------------------------------------------------ simulation
class _Run:
    """What one run of the checker saw: the policies played, the infos."""

    def __init__(self) -> None:
        self.policies: list = []
        self.infos: list = []
        self.data: list = []


def _freeze(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


def _policy_error(k: int, msg: str) -> AgentCheckError:
    return AgentCheckError(f"check_policies: policy() of round {k} {msg}")


def _valid_episodic(pi: Any, H: int, S: int, A: int, k: int) -> np.ndarray:
    if not isinstance(pi, np.ndarray):
        raise _policy_error(k, f"must be an ndarray or a Mixture, got {type(pi).__name__}")
    if pi.dtype == np.int64 and pi.shape == (H, S):
        if pi.min() < 0 or pi.max() >= A:
            raise _policy_error(k, f"has an action outside [0, {A})")
        return pi
    if pi.dtype == np.float64 and pi.shape == (H, S, A):
        if np.any(pi < -ATOL) or np.any(np.abs(pi.sum(-1) - 1) > ATOL):
            raise _policy_error(k, "has a row that is not a distribution over actions")
        return pi
    raise _policy_error(k, f"must be int64 {(H, S)} or float64 {(H, S, A)}, got "
                           f"{pi.dtype} {pi.shape}")


def _episode(mdp: Any, pi: np.ndarray, rng: np.random.Generator) -> Trajectory:
    H = mdp.horizon
    P4, R3 = as_stages(np.asarray(mdp.P), 3), as_stages(np.asarray(mdp.R), 2)
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    rewards = np.empty(H)
    s = int(rng.choice(mdp.n_states, p=np.asarray(mdp.init)))
    states[0] = s
    for h in range(H):
        a = int(pi[h, s]) if pi.ndim == 2 else int(rng.choice(pi.shape[2], p=pi[h, s]))
        actions[h], rewards[h] = a, R3[h % R3.shape[0], s, a]
        s = int(rng.choice(mdp.n_states, p=P4[h % P4.shape[0], s, a]))
        states[h + 1] = s
    return Trajectory(states, actions, rewards)


def _play_episodic(agent: Agent, mdp: Any, seed: int, rounds: int) -> _Run:
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    env = np.random.default_rng([seed, 1])
    out = _Run()
    agent.reset(np.random.default_rng(seed))
    for k in range(rounds):
        plan = agent.policy()
        if isinstance(plan, Mixture):
            pols = [_valid_episodic(p, H, S, A, k) for p in plan.policies]
            j = int(env.choice(len(pols), p=np.asarray(plan.weights) / np.sum(plan.weights)))
            traj = _episode(mdp, pols[j], env)._replace(component=j)
        else:
            traj = _episode(mdp, _valid_episodic(plan, H, S, A, k), env)
        out.policies.append(copy.deepcopy(plan))
        _freeze(traj.states, traj.actions, traj.rewards)
        _update(agent, traj, k)
        out.infos.append(agent.info())
    return out


def _update(agent: Any, data: Any, k: int) -> None:
    try:
        agent.update(data)
    except ValueError as e:
        if "read-only" in str(e):
            raise AgentCheckError(f"check_update: update() of round {k} wrote into the data "
                                  f"it was given; copy it first ({e})") from e
        raise


def _replay_sim(mdp: Any, T: int, seed: int) -> StepSim:
    P = np.asarray(mdp.P)
    states = np.empty(T + 1, dtype=np.int64)
    env = np.random.default_rng([seed, 1])
    states[0] = int(env.choice(mdp.n_states, p=np.asarray(mdp.init)))
    return StepSim(np.ascontiguousarray(np.cumsum(P, axis=-1)),
                   np.ascontiguousarray(mdp.R, dtype=np.float64), env.random(T), states,
                   np.empty(T, dtype=np.int64))


def _play_average(agent: AverageAgent, mdp: Any, seed: int, rounds: int,
                  sim: StepSim | None = None) -> _Run:
    S, A = mdp.n_states, mdp.n_actions
    sim = _replay_sim(mdp, rounds, seed) if sim is None else sim
    T = sim.u.shape[0]
    out = _Run()
    agent.reset(np.random.default_rng(seed))
    t, k = 0, 0
    while t < T:
        pi = agent.policy()
        if not (isinstance(pi, np.ndarray) and pi.dtype == np.int64 and pi.shape == (S,)):
            raise _policy_error(k, f"must be int64 ({S},), got "
                                   f"{getattr(pi, 'dtype', type(pi).__name__)} "
                                   f"{getattr(pi, 'shape', '')}")
        if pi.min() < 0 or pi.max() >= A:
            raise _policy_error(k, f"has an action outside [0, {A})")
        out.policies.append(pi.copy())
        t_end, reason = agent.play(sim, pi, t)
        if not t < t_end <= T:
            raise AgentCheckError(f"check_policies: play() of round {k} must advance to a "
                                  f"step in ({t}, {T}], got {t_end}")
        st, ac = sim.states[t:t_end + 1].copy(), sim.actions[t:t_end].copy()
        rw = np.ascontiguousarray(sim.R[st[:-1], ac])
        _freeze(st, ac, rw)
        _update(agent, Segment(st, ac, rw, t, int(reason)), k)
        out.infos.append(agent.info())
        t, k = int(t_end), k + 1
    out.data = [sim.states.copy(), sim.actions.copy()]
    return out


def _play_multitask(agent: MultiTaskAgent, laws: TaskLaws, seed: int, rounds: int) -> _Run:
    env = np.random.default_rng([seed, 1])
    out = _Run()
    agent.reset(np.random.default_rng(seed))
    for k in range(rounds):
        if agent.done:
            break
        plays = agent.policy()
        if not isinstance(plays, TaskPlays):
            raise _policy_error(k, f"must be a TaskPlays, got {type(plays).__name__}")
        tasks, pis = plays
        J = tasks.shape[0] if isinstance(tasks, np.ndarray) else -1
        if not (isinstance(tasks, np.ndarray) and tasks.dtype == np.int64 and tasks.ndim == 1
                and isinstance(pis, np.ndarray) and pis.dtype == np.float64
                and pis.shape == (J, laws.F)):
            raise _policy_error(k, f"must hold int64 tasks (J,) and float64 policies (J, "
                                   f"{laws.F}), got {getattr(tasks, 'dtype', None)} "
                                   f"{getattr(tasks, 'shape', None)} and "
                                   f"{getattr(pis, 'dtype', None)} {getattr(pis, 'shape', None)}")
        if J == 0 or tasks.min() < 0 or tasks.max() >= laws.N:
            raise _policy_error(k, f"must name tasks in [0, {laws.N})")
        if np.any(pis < 0):
            raise _policy_error(k, "has a negative policy weight")
        out.policies.append((tasks.copy(), pis.copy()))
        batch = TaskBatch(tasks.copy(), laws.sample(tasks, pis, env))
        _freeze(batch.tasks, batch.idx)
        _update(agent, batch, k)
        out.infos.append(agent.info())
    return out


def _play(agent: Any, mdp: Any, seed: int, rounds: int) -> _Run:
    kind = _variant(agent)
    ag = copy.deepcopy(agent)
    if kind == "episodic":
        return _play_episodic(ag, mdp, seed, rounds)
    if kind == "average":
        return _play_average(ag, mdp, seed, rounds)
    return _play_multitask(ag, mdp, seed, rounds)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Mixture) and isinstance(b, Mixture):
        return _same(a.weights, b.weights) and _same(a.policies, b.policies)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
    return type(a) is type(b) and a == b


def _first_difference(p: list, q: list) -> int | None:
    for k, (a, b) in enumerate(zip(p, q)):
        if not _same(a, b):
            return k
    return None if len(p) == len(q) else min(len(p), len(q))


# ------------------------------------------------------------------ clauses
_SPEC_FIELDS = ("n_states", "n_actions", "horizon", "gamma")


def check_agent_fits(agent: Any, mdp: Any) -> None:
    """Raise unless ``agent`` was built for ``mdp``: same sizes ``S``, ``A``, horizon
    ``H``, discount, rewards ``R`` and initial distribution (the rule the driver
    applies before every run).

    Parameters
    ----------
    agent : Agent or AverageAgent
        Built from a spec (``agent.spec``).
    mdp : TabularMDP or LinearMixtureMDP
        The model the agent is about to run on.

    Raises
    ------
    TypeError
        ``mdp`` is not a model with a ``spec``, or ``agent`` has no ``spec``.
    ValueError
        A field of ``agent.spec`` differs from ``mdp.spec`` (the message names it).
    """
    want = getattr(mdp, "spec", None)
    if not isinstance(want, MDPSpec):
        raise TypeError(f"mdp must be a TabularMDP or LinearMixtureMDP, got "
                        f"{type(mdp).__name__}")
    have = getattr(agent, "spec", None)
    if not isinstance(have, MDPSpec):
        raise TypeError(f"agent must be an agent built from mdp.spec, got "
                        f"{type(agent).__name__} without a spec")
    if have is want:
        return
    for f in _SPEC_FIELDS:
        a, b = getattr(have, f), getattr(want, f)
        if a != b:
            raise ValueError(f"agent.spec.{f} ({a}) does not match mdp.spec.{f} ({b}): "
                             f"build the agent from mdp.spec")
    for f in ("R", "init"):
        a, b = np.asarray(getattr(have, f)), np.asarray(getattr(want, f))
        if a.shape != b.shape or not np.array_equal(a, b):
            raise ValueError(f"agent.spec.{f} does not match mdp.spec.{f}: build the agent "
                             f"from mdp.spec")


def check_spec(agent: Any, mdp: Any) -> None:
    """The agent was built for ``mdp`` (:func:`check_agent_fits`;
    multi-task agents: the same number of tasks, observations, actions, horizon)."""
    if _variant(agent) == "multitask":
        if not isinstance(mdp, TaskLaws):
            raise TypeError(f"mdp must be a TaskLaws for a multi-task agent, got "
                            f"{type(mdp).__name__}")
        for f in ("N", "O", "A", "H"):
            if getattr(agent, f) != getattr(mdp, f):
                raise AgentCheckError(f"check_spec: agent.{f} ({getattr(agent, f)}) does not "
                                      f"match mdp.{f} ({getattr(mdp, f)})")
        return
    spec = getattr(mdp, "spec", None)
    if not isinstance(spec, MDPSpec):
        raise TypeError(f"mdp must be a TabularMDP or LinearMixtureMDP, got "
                        f"{type(mdp).__name__}")
    want = "average" if _variant(agent) == "average" else "episodic"
    if spec.criterion != want:
        raise TypeError(f"mdp must be {want} for a {type(agent).__name__}, got "
                        f"{spec.criterion}")
    try:
        check_agent_fits(agent, mdp)
    except ValueError as e:
        raise AgentCheckError(f"check_spec: {e}") from e


def check_policies(agent: Any, mdp: Any, rounds: int | None = None, seed: int = 0) -> None:
    """Every ``policy()`` of a run has the variant's shape and dtype (module docstring)."""
    _play(agent, mdp, seed, rounds or _default_rounds(_variant(agent)))


def check_rng(agent: Any, mdp: Any, rounds: int | None = None, seed: int = 0) -> None:
    """The agent draws only from the generator handed to ``reset``."""
    rounds = rounds or _default_rounds(_variant(agent))
    # numpy's legacy global state is what this clause perturbs and watches
    saved_np, saved_py = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        runs = []
        for g in (1, 2):
            np.random.seed(g)  # noqa: NPY002
            random.seed(g)
            before = np.random.get_state()  # noqa: NPY002
            runs.append(_play(agent, mdp, seed, rounds))
            after = np.random.get_state()  # noqa: NPY002
            if before[1].tobytes() != after[1].tobytes() or before[2] != after[2]:
                raise AgentCheckError("check_rng: the agent drew from numpy's global random "
                                      "state; draw only from the generator given to "
                                      "reset(rng)")
    finally:
        np.random.set_state(saved_np)  # noqa: NPY002
        random.setstate(saved_py)
    k = _first_difference(runs[0].policies, runs[1].policies)
    if k is not None:
        raise AgentCheckError(f"check_rng: two runs with the same reset(rng) seed played "
                              f"different policies at round {k}; the agent draws randomness "
                              f"other than the generator given to reset(rng)")


def check_reset(agent: Any, mdp: Any, rounds: int | None = None, seed: int = 0) -> None:
    """``reset(rng)`` recreates all learning state."""
    rounds = rounds or _default_rounds(_variant(agent))
    fresh = _play(agent, mdp, seed, rounds)
    used = copy.deepcopy(agent)
    kind = _variant(agent)
    play = {"episodic": _play_episodic, "average": _play_average,
            "multitask": _play_multitask}[kind]
    play(used, mdp, seed + 1, rounds)  # learn from other data, then start again
    again = play(used, mdp, seed, rounds)
    k = _first_difference(fresh.policies, again.policies)
    if k is not None:
        raise AgentCheckError(f"check_reset: after an earlier run, reset(rng) with the same "
                              f"seed played a different policy at round {k} than a fresh "
                              f"agent; reset must recreate all learning state")


def _holds_model(obj: Any, mdp: Any, P: np.ndarray | None, path: str, seen: set,
                 depth: int = 0) -> str | None:
    if id(obj) in seen or depth > 6:
        return None
    seen.add(id(obj))
    if obj is mdp or isinstance(obj, _MODELS):
        return f"{path} is a {type(obj).__name__}"
    if isinstance(obj, np.ndarray):
        if P is not None and obj.size and np.shares_memory(obj, P):
            return f"{path} shares memory with the true transition kernel"
        return None
    if isinstance(obj, SharedSpecificClass | MDPSpec | str | bytes | int | float | type):
        return None  # a model class or a spec is what a learner may be told
    items: list = []
    if isinstance(obj, dict):
        items = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__") and not callable(obj):
        items = [(f"{path}.{k}", v) for k, v in vars(obj).items()]
    for p, v in items:
        hit = _holds_model(v, mdp, P, p, seen, depth + 1)
        if hit:
            return hit
    return None


def _truth_array(mdp: Any) -> np.ndarray | None:
    if isinstance(mdp, TaskLaws):
        return mdp.P
    P = getattr(mdp, "P", None)
    return P if isinstance(P, np.ndarray) else None


def check_update(agent: Any, mdp: Any, rounds: int | None = None, seed: int = 0) -> None:
    """``update`` sees only what a learner may see (module docstring)."""
    kind = _variant(agent)
    rounds = rounds or _default_rounds(kind)
    hit = _holds_model(agent, mdp, _truth_array(mdp), "agent", set())
    if hit:
        raise AgentCheckError(f"check_update: {hit}; an agent may know mdp.spec, never the "
                              f"true model")
    ag = copy.deepcopy(agent)
    {"episodic": _play_episodic, "average": _play_average,
     "multitask": _play_multitask}[kind](ag, mdp, seed, rounds)
    hit = _holds_model(ag, mdp, _truth_array(mdp), "agent", set())
    if hit:
        raise AgentCheckError(f"check_update: after a run, {hit}; an agent may know "
                              f"mdp.spec, never the true model")
    if kind == "average":
        _check_replay(agent, mdp, rounds, seed)


def _check_replay(agent: AverageAgent, mdp: Any, rounds: int, seed: int) -> None:
    # the same trajectory under a uniform kernel: u[t] is chosen so that the draw gives
    # the recorded next state; an agent that reads more than the draws changes course
    first = _play(agent, mdp, seed, rounds)
    states, actions = first.data
    S = mdp.n_states
    T = actions.shape[0]
    Pcum = np.ascontiguousarray(np.broadcast_to(np.arange(1, S + 1) / S,
                                                (S, mdp.n_actions, S)))
    u = (states[1:] + 0.5) / S
    st = np.empty(T + 1, dtype=np.int64)
    st[0] = states[0]
    sim = StepSim(Pcum, np.ascontiguousarray(mdp.R, dtype=np.float64), u, st,
                  np.empty(T, dtype=np.int64))
    second = _play_average(copy.deepcopy(agent), mdp, seed, T, sim)
    k = _first_difference(first.policies, second.policies)
    if k is not None or not np.array_equal(second.data[1], actions):
        where = f"at round {k}" if k is not None else "within an epoch"
        raise AgentCheckError(f"check_update: the same trajectory replayed under another "
                              f"transition kernel changed the agent's policies {where}; "
                              f"play() may use sim.Pcum only to draw the next state")


def check_info(agent: Any, mdp: Any, rounds: int | None = None, seed: int = 0) -> None:
    """``info()`` returns a dict with string keys and real scalar values (multi-task
    agents: any values)."""
    kind = _variant(agent)
    run = _play(agent, mdp, seed, rounds or _default_rounds(kind))
    for k, info in enumerate(run.infos):
        if not isinstance(info, dict) or not all(isinstance(n, str) for n in info):
            raise AgentCheckError(f"check_info: info() of round {k} must be a dict with "
                                  f"string keys, got {type(info).__name__}")
        if kind == "multitask":
            continue
        for n, v in info.items():
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise AgentCheckError(f"check_info: info()[{n!r}] of round {k} must be a real "
                                      f"scalar, got {type(v).__name__}")


def check_agent(agent: Any, mdp: Any, rounds: int | None = None, seed: int = 0) -> None:
    """Check that ``agent`` follows the agent contract on ``mdp``, rule by rule.

    Parameters
    ----------
    agent : Agent, AverageAgent or MultiTaskAgent
        Unchanged by the check (every clause works on deep copies).
    mdp : TabularMDP, LinearMixtureMDP or TaskLaws
        The true model the agent was built for (a :class:`TaskLaws` for a
        multi-task agent).
    rounds : int, optional
        Episodes (episodic), steps (average reward) or iterations (multi-task)
        per simulated run; default 6, 256 and 4.
    seed : int
        Seed of the generator handed to ``reset``.

    Raises
    ------
    AgentCheckError
        The first rule broken, named in the message (``check_spec: ...``,
        ``check_policies: ...``, ``check_rng: ...``, ``check_reset: ...``,
        ``check_update: ...``, ``check_info: ...``).
    TypeError
        ``agent`` follows none of the contract's variants, or ``mdp`` does not
        fit the variant.

    Examples
    --------
    >>> from theoryrl.agents import UCBVI, check_agent
    >>> from theoryrl.envs import riverswim
    >>> env = riverswim(4, horizon=5)
    >>> check_agent(UCBVI(env.spec, episodes=10), env)
    """
    if rounds is not None:
        rounds = check_int(rounds, "rounds", 1)
    seed = check_int(seed, "seed", 0)
    check_spec(agent, mdp)
    check_policies(agent, mdp, rounds, seed)
    check_rng(agent, mdp, rounds, seed)
    check_reset(agent, mdp, rounds, seed)
    check_update(agent, mdp, rounds, seed)
    check_info(agent, mdp, rounds, seed)
