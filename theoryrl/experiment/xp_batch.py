r"""``run_batched()``: UCBVI for many seeds at once through the array API (NumPy, CuPy).

Where :func:`theoryrl.run` runs each seed's agent in its own loop,
:func:`run_batched` holds the counts of all ``N`` seeds in one array and runs
each step of an episode (optimistic planning, simulation, count update,
exact evaluation) as a few array operations over the seed axis, in the
namespace chosen by ``backend`` (:func:`theoryrl.backend.get_namespace`). On
a GPU (``backend="cupy"``) thousands of seeds then cost about as many array
operations as one; the page ``docs/gpu.md`` lists what runs on the device.

The uniforms are drawn on the host exactly as :func:`theoryrl.run` draws them
(seed ``i``'s environment generator is
``default_rng(SeedSequence(base_seed, spawn_key=(i,)).spawn(2)[0])``,
``H + 1`` uniforms per episode), so both runs see the same random numbers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_choice, check_int
from ..agents import _ucbvi_xp as kx
from ..agents.check import check_agent_fits
from ..agents.ucbvi import _KINDS, UCBVI, bonus_log_factor
from ..backend import get_namespace, to_numpy
from ..models.linear_mixture import LinearMixtureMDP
from ..models.tabular import MDPSpec
from ..planning.episodic import as_stages
from .result import Result
from .seeding import resolve_base_seed, seed_sequences

__all__ = ["bytes_per_seed", "run_batched"]

# methods whose behaviour the array kernels reproduce; a subclass overriding one
# of them is another algorithm
_METHODS = ("reset", "plan", "policy", "update", "info", "optimistic_value")
_UNIFORMS_PER_CHUNK = 1 << 22  # uniforms held on the host at a time (32 MiB)


def _check_agent(agent: Any) -> None:
    if not isinstance(agent, UCBVI):
        raise TypeError(f"agent must be a UCBVI agent (UCBVI, UCBVIHoeffding, UCBVIBernstein) "
                        f"for run_batched, got {type(agent).__name__}; run it with "
                        f"theoryrl.run")
    for name in _METHODS:
        if getattr(type(agent), name) is not getattr(UCBVI, name):
            raise TypeError(f"agent's class {type(agent).__name__} overrides UCBVI.{name}, "
                            f"so run_batched cannot reproduce it; run it with theoryrl.run")


def _uniforms_held(seeds: int, horizon: int, episodes: int) -> int:
    """Episodes whose uniforms are drawn and held at once (at most 2**22 uniforms)."""
    return max(1, min(episodes, _UNIFORMS_PER_CHUNK // (seeds * (horizon + 1))))


def bytes_per_seed(S: int, A: int, H: int, episodes: int, bonus: str = "l1",
                   seeds: int = 1) -> int:
    r"""Upper bound on the peak memory one seed takes in :func:`run_batched`, in bytes.

    .. math::

        8 c S^2 A + 9 H S A + 128 S A + 32 (H+1) S + 48 K + 16 (H+1) K_u,

    with :math:`c = 3` for the ``"l1"`` and ``"hoeffding"`` bonuses (the counts,
    an episode's counts and their sum during the update) and :math:`c = 5`
    for ``"bernstein"`` (the empirical kernel and the variance's temporaries
    during planning), :math:`9 H S A` the one-hot matrix of an episode's pairs
    (float64 and bool), :math:`128 S A` and :math:`32 (H+1) S` the per-stage
    arrays, visit counts and policies, :math:`48 K` the recorded curves and
    :math:`16 (H+1) K_u` the uniforms of the :math:`K_u` episodes drawn at once
    (:math:`K_u = \min(K, \lfloor 2^{22} / (N (H+1)) \rfloor)`, so at most
    64 MiB over all seeds). On a GPU the device holds all of it but the
    host's copy of the uniforms. The model's arrays, shared by all seeds, add
    :math:`16 H_P S^2 A + 8 H_R S A + 16 S` bytes (the kernel transposed and
    its cumulative sums, the rewards, the initial distribution and its
    cumulative sums; :math:`H_P, H_R` are 1 for a stationary kernel and
    rewards, H otherwise).

    Parameters
    ----------
    S, A, H : int
        States, actions, horizon.
    episodes : int
        Episodes K.
    bonus : {"l1", "hoeffding", "bernstein"}
        The agent's bonus.
    seeds : int
        Number of seeds N run together (it sets :math:`K_u`).

    Returns
    -------
    int
        Bytes per seed; a run takes about ``seeds`` times this.

    Examples
    --------
    >>> bytes_per_seed(25, 5, 20, 500, seeds=4096)
    170428
    """
    for v, name in ((S, "S"), (A, "A"), (H, "H"), (episodes, "episodes"), (seeds, "seeds")):
        check_int(v, name, 1)
    check_choice(bonus, "bonus", _KINDS)
    c = 5 if bonus == "bernstein" else 3
    Ku = _uniforms_held(seeds, H, episodes)
    return (8 * c * S * S * A + 9 * H * S * A + 128 * S * A + 32 * (H + 1) * S
            + 48 * episodes + 16 * (H + 1) * Ku)


def run_batched(agent: Any, mdp: Any, episodes: int, seeds: int | Sequence[int] = 1, *,
                backend: str = "numpy", base_seed: int | None = 0) -> Result:
    r"""Run UCBVI for every seed at once, vectorised over the seeds, and measure exactly.

    The same experiment as ``theoryrl.run(agent, mdp, episodes, seeds,
    base_seed=base_seed)``: each seed's learner plans by optimistic backward
    induction on its pooled counts (Azar, Osband, Munos 2017, [1]_),

    .. math::

        \bar Q^k_h(s, a) = \min\big(H - h,\; r_h(s, a) + \hat P^k_{s,a} \bar V^k_{h+1}
            + b^k_h(s, a)\big), \qquad
        \pi^k_h(s) = \min \operatorname{arg\,max}_a \bar Q^k_h(s, a),

    plays :math:`\pi^k` for one episode drawn from ``mdp`` with the seed's
    uniforms, adds the transitions to its counts, and the exact value
    :math:`\mu^\top V^{\pi^k}_0` of the policy played is recorded. All seeds
    advance together: each step is one array operation over the seed axis.

    The learners' state (counts, policies, trajectories) follows the
    single-seed run; sums over next states are computed by ``matmul``, whose
    order of additions may differ from the compiled kernel's, so values agree
    with :func:`theoryrl.run` to rounding (relative 1e-12 in the tests), and a
    trajectory could only differ where two actions' optimistic values fall
    within rounding of each other (exact ties, such as unvisited pairs valued
    at the cap, break to the lowest action in both).

    Parameters
    ----------
    agent : UCBVI
        A :class:`~theoryrl.agents.ucbvi.UCBVI` (any bonus, any ``bonus_scale``,
        either ``optimistic_init``), :class:`~theoryrl.agents.ucbvi.UCBVIHoeffding`
        or :class:`~theoryrl.agents.ucbvi.UCBVIBernstein`, built for ``mdp``. It is
        not modified.
    mdp : TabularMDP or LinearMixtureMDP
        The true episodic model (stationary or stage-dependent ``P`` and ``R``).
    episodes : int
        Episodes per seed, K >= 1.
    seeds : int or sequence of int
        Number of runs (ids 0..N-1) or distinct explicit run ids, as in :func:`theoryrl.run`.
    backend : {"numpy", "cupy", "array_api_strict"}
        Array namespace (:func:`theoryrl.backend.get_namespace`): ``"cupy"``
        runs on a CUDA GPU (``pip install theoryrl[gpu]``).
    base_seed : int or None
        Root of every run's ``SeedSequence``; ``None`` draws fresh entropy,
        recorded in ``meta["base_seed"]``.

    Returns
    -------
    Result
        ``values`` (N, K), cumulative ``regret`` against the optimal value,
        ``extras["optimistic_value"]`` (N, K) (:math:`\mu^\top \bar V^k_0`), and
        ``meta`` as :func:`theoryrl.run` writes it, plus ``"backend"``.

    Raises
    ------
    TypeError
        ``agent`` is not UCBVI, or its class overrides a method of UCBVI; ``mdp``
        is not a tabular model.
    ValueError
        Bad ``episodes``, ``seeds``, ``base_seed`` or ``backend`` (named), an
        ``mdp`` that is not episodic, or an agent built for another model.
    ImportError
        The namespace's package is not installed.

    References
    ----------
    .. [1] M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
       reinforcement learning", ICML 2017, arXiv:1703.05449.

    Examples
    --------
    >>> from theoryrl.agents import UCBVI
    >>> from theoryrl.envs import random_mdp
    >>> mdp = random_mdp(4, 2, horizon=3, seed=0)
    >>> res = run_batched(UCBVI(mdp.spec, episodes=5), mdp, 5, seeds=3)
    >>> res.values.shape
    (3, 5)
    """
    _check_agent(agent)
    if not isinstance(getattr(mdp, "spec", None), MDPSpec):
        raise TypeError(f"mdp must be a TabularMDP or LinearMixtureMDP, got "
                        f"{type(mdp).__name__}")
    if mdp.criterion != "episodic":
        raise ValueError(f"mdp must be episodic (horizon=H), got {mdp.criterion}")
    check_agent_fits(agent, mdp)
    K = check_int(episodes, "episodes", 1)
    base_seed = resolve_base_seed(base_seed)
    seqs = seed_sequences(seeds, base_seed)
    xp = get_namespace(backend)
    t0 = time.perf_counter()

    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    SA, N = S * A, len(seqs)
    f64 = xp.float64
    P4 = as_stages(mdp.P, 3)
    R3 = as_stages(mdp.R, 2)
    HP, HR = P4.shape[0], R3.shape[0]
    Pcum = xp.asarray(np.cumsum(P4, axis=-1).reshape(HP * SA, S))
    PT = xp.asarray(np.ascontiguousarray(P4.reshape(HP, SA, S).transpose(0, 2, 1)))
    Rtrue = xp.asarray(R3.reshape(HR, SA))
    init_np = np.ascontiguousarray(mdp.init, dtype=np.float64)
    init = xp.asarray(init_np)
    init_cum = xp.asarray(np.cumsum(init_np))
    Ragent = xp.asarray(as_stages(agent.spec.R, 2).reshape(-1, SA))
    L = bonus_log_factor(agent.bonus, S, A, H, agent.episodes, agent.delta)
    kind, scale, opt_init = _KINDS[agent.bonus], float(agent.bonus_scale), bool(
        agent.optimistic_init)

    envs = [np.random.default_rng(q.spawn(2)[0]) for q in seqs]
    chunk = _uniforms_held(N, H, K)
    C = xp.zeros((N, SA, S), dtype=f64)
    n = xp.zeros((N, SA), dtype=f64)
    nstate = xp.zeros((N, H + 1, S), dtype=f64)
    values, optimistic = [], []
    for k0 in range(0, K, chunk):
        kc = min(chunk, K - k0)
        U = xp.asarray(np.stack([g.random((kc, H + 1)) for g in envs], axis=1))  # (kc, N, H+1)
        for j in range(kc):
            V0, pi = kx.optimistic_plan_xp(C, n, nstate, Ragent, H, L, kind, scale, opt_init,
                                           xp=xp)
            optimistic.append(xp.sum(V0 * init[None, :], axis=1))
            states, pairs = kx.simulate_xp(Pcum, init_cum, pi, U[j, ...], HP, xp=xp)
            values.append(kx.evaluate_xp(PT, Rtrue, init, pi, xp=xp))
            C, n, nstate = kx.add_episodes_xp(C, n, nstate, states, pairs, xp=xp)
    vals = np.ascontiguousarray(to_numpy(xp.stack(values, axis=1)), dtype=np.float64)
    opt = np.ascontiguousarray(to_numpy(xp.stack(optimistic, axis=1)), dtype=np.float64)
    # a linear mixture model's optimum is that of the tabular model of its kernel
    exact = mdp.to_tabular() if isinstance(mdp, LinearMixtureMDP) else mdp
    v_star = exact.optimal_value()
    meta = {"agent": agent.name, "params": agent.params(), "env": repr(mdp), "episodes": K,
            "seeds": N, "base_seed": base_seed,
            "seed_ids": [int(q.spawn_key[0]) for q in seqs],
            "seconds": time.perf_counter() - t0, "x_label": "episode", "backend": backend}
    return Result(vals, np.cumsum(v_star - vals, axis=1), v_star, {"optimistic_value": opt},
                  None, meta)
