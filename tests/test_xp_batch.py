"""UCBVI over many seeds through the array API (``run_batched``) against ``theoryrl.run``.

Every kernel is run in ``array_api_strict`` (nothing outside the standard) and
in NumPy, and compared with the compiled single-seed code: planning with the
compiled planner on the same counts, simulation with the compiled simulator on
the same uniforms, evaluation with the model's exact evaluation, and whole runs
seed by seed with :func:`theoryrl.run`.
"""

from __future__ import annotations

import numpy as np
import pytest

import theoryrl as trl
from theoryrl.agents import UCBVI, UCBVIBernstein, UCBVIHoeffding
from theoryrl.agents import _ucbvi_kernels as kc
from theoryrl.agents import _ucbvi_xp as kx
from theoryrl.agents.base import Agent
from theoryrl.agents.ucbvi import _KINDS, bonus_log_factor
from theoryrl.backend import get_namespace, to_numpy
from theoryrl.envs import random_mdp
from theoryrl.experiment import _kernels as sim_kernels
from theoryrl.experiment import xp_batch
from theoryrl.experiment.xp_batch import bytes_per_seed, run_batched
from theoryrl.models import TabularMDP

BACKENDS = ["numpy", "array_api_strict"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "array_api_strict":
        strict = pytest.importorskip("array_api_strict")
        # the version array-api-compat implements for CuPy: nothing newer is used
        with strict.ArrayAPIStrictFlags(api_version="2024.12"):
            yield request.param
    else:
        yield request.param


class GreedyUCBVI(UCBVI):
    """Unvisited pairs valued at their reward (certainty equivalence with bonus_scale=0)."""

    optimistic_init = False


class ReplannedUCBVI(UCBVI):
    """Overrides a method the array kernels reproduce: another algorithm."""

    def plan(self) -> None:
        super().plan()


def _stage_mdp(S=4, A=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(S, 0.4), size=(H, S, A))
    R = rng.uniform(size=(H, S, A))
    init = rng.dirichlet(np.ones(S))
    return TabularMDP(P, R, horizon=H, init=init)


def _same_as_run(agent, mdp, K, seeds, backend, **kw):
    ref = trl.run(agent, mdp, K, seeds=seeds, **kw)
    got = run_batched(agent, mdp, K, seeds=seeds, backend=backend, **kw)
    assert got.values.shape == ref.values.shape
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.regret, ref.regret, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.extras["optimistic_value"], ref.extras["optimistic_value"],
                               rtol=1e-12, atol=1e-12)
    assert got.optimal_value == ref.optimal_value
    for key in ("agent", "params", "env", "episodes", "seeds", "base_seed", "seed_ids"):
        assert got.meta[key] == ref.meta[key], key
    assert got.meta["backend"] == backend
    return ref, got


@pytest.mark.parametrize("bonus, scale", [("l1", 1.0), ("l1", 0.05), ("hoeffding", 0.01),
                                          ("bernstein", 0.01)])
def test_values_agree_with_run_seed_by_seed(backend, bonus, scale):
    mdp = random_mdp(5, 3, horizon=4, seed=2)
    agent = UCBVI(mdp.spec, episodes=30, bonus=bonus, bonus_scale=scale)
    ref, _ = _same_as_run(agent, mdp, 30, 3, backend)
    # the comparison means something: the learners change their policies
    assert np.ptp(ref.values) > 0.05


@pytest.mark.parametrize("cls", [UCBVIHoeffding, UCBVIBernstein])
def test_paper_bonuses_agree_with_run(cls):
    mdp = random_mdp(4, 2, horizon=3, seed=1)
    _same_as_run(cls(mdp.spec, episodes=20), mdp, 20, 2, "numpy")


def test_stage_dependent_model_explicit_ids_and_greedy_variant(backend):
    mdp = _stage_mdp()
    agent = GreedyUCBVI(mdp.spec, episodes=12, bonus_scale=0.0)
    ref, got = _same_as_run(agent, mdp, 12, [7, 3], backend, base_seed=11)
    assert got.meta["seed_ids"] == [7, 3]
    assert np.ptp(ref.values) > 0.0


def test_uniforms_drawn_in_chunks_match_one_draw_per_episode(monkeypatch):
    mdp = random_mdp(5, 2, horizon=3, seed=4)
    agent = UCBVI(mdp.spec, episodes=25, bonus_scale=0.1)
    whole = run_batched(agent, mdp, 25, seeds=3)
    # 3 seeds x 4 uniforms: 2 episodes per chunk, the last chunk shorter
    monkeypatch.setattr(xp_batch, "_UNIFORMS_PER_CHUNK", 3 * 4 * 2)
    chunked = run_batched(agent, mdp, 25, seeds=3)
    np.testing.assert_array_equal(chunked.values, whole.values)
    ref = trl.run(agent, mdp, 25, seeds=3)
    np.testing.assert_allclose(chunked.values, ref.values, rtol=1e-12, atol=1e-12)


def test_agent_left_untouched():
    mdp = random_mdp(4, 2, horizon=3, seed=0)
    agent = UCBVI(mdp.spec, episodes=5)
    before = dict(vars(agent))
    run_batched(agent, mdp, 5, seeds=2)
    assert vars(agent).keys() == before.keys()


# -- kernels against the compiled single-seed code -------------------------------------------

def _random_counts(rng, N, S, A, H, unvisited=0.3):
    C = rng.integers(0, 4, size=(N, S, A, S)).astype(float)
    C *= rng.uniform(size=(N, S, A, 1)) > unvisited  # whole pairs never visited
    # two identical actions in state 0 (same counts, same reward below): an exact tie
    C[:, 0, 1] = C[:, 0, 0]
    nstate = rng.integers(0, 5, size=(N, H + 1, S)).astype(float)
    return C, nstate


@pytest.mark.parametrize("kind", ["l1", "hoeffding", "bernstein"])
@pytest.mark.parametrize("optimistic_init", [True, False])
def test_plan_equals_compiled_planner(backend, kind, optimistic_init):
    xp = get_namespace(backend)
    rng = np.random.default_rng(3)
    N, S, A, H = 4, 5, 3, 4
    C, nstate = _random_counts(rng, N, S, A, H)
    R = rng.uniform(size=(1, S, A))
    R[0, 0, 1] = R[0, 0, 0]
    L = bonus_log_factor(kind, S, A, H, 50, 0.05)
    scale = 0.02 if kind != "l1" else 0.3
    V0, pi = kx.optimistic_plan_xp(
        xp.asarray(C.reshape(N, S * A, S)), xp.asarray(C.sum(-1).reshape(N, S * A)),
        xp.asarray(nstate), xp.asarray(R.reshape(1, S * A)), H, L, _KINDS[kind], scale,
        optimistic_init, xp=xp)
    V0, pi = to_numpy(V0), to_numpy(pi)
    ties = 0
    for i in range(N):
        V = np.zeros((H + 1, S))
        Q = np.empty((H, S, A))
        p = np.empty((H, S), dtype=np.int64)
        b = np.empty((H, S, A))
        NT = np.ascontiguousarray(C[i].reshape(S * A, S).T)
        n = C[i].sum(-1).astype(np.int64)
        kc.optimistic_plan_t(C[i], NT, n, nstate[i], R, H, L, _KINDS[kind], scale,
                             optimistic_init, V, Q, p, b)
        np.testing.assert_array_equal(pi[i], p)
        np.testing.assert_allclose(V0[i], V[0], rtol=1e-12)
        ties += int(np.sum(Q[:, 0, 0] == Q[:, 0, 1]))
    assert ties > 0  # the tie-breaking rule was exercised


def test_simulate_equals_compiled_simulator(backend):
    xp = get_namespace(backend)
    rng = np.random.default_rng(5)
    N, S, A, H = 6, 5, 2, 4
    mdp = _stage_mdp(S, A, H, seed=5)
    Pcum = np.cumsum(mdp.P, axis=-1)
    init_cum = np.cumsum(mdp.init)
    pi = rng.integers(0, A, size=(N, H, S))
    u = rng.uniform(size=(N, H + 1))
    u[0, 0] = init_cum[1]  # on a boundary: u < cdf[j] is strict
    u[1, 1:] = 1.0 - 1e-17  # above every rounded cumulative sum: the last index
    states, pairs = kx.simulate_xp(xp.asarray(Pcum.reshape(H * S * A, S)),
                                   xp.asarray(init_cum), xp.asarray(pi), xp.asarray(u), H,
                                   xp=xp)
    states, pairs = to_numpy(states), to_numpy(pairs)
    for i in range(N):
        s = np.empty(H + 1, dtype=np.int64)
        a = np.empty(H, dtype=np.int64)
        r = np.empty(H)
        sim_kernels.simulate_deterministic(Pcum, mdp.R, init_cum, pi[i], u[i], s, a, r)
        np.testing.assert_array_equal(states[i], s)
        np.testing.assert_array_equal(pairs[i], s[:-1] * A + a)
    assert states[0, 0] == 2


def test_counts_and_evaluation(backend):
    xp = get_namespace(backend)
    rng = np.random.default_rng(8)
    N, S, A, H = 3, 4, 3, 5
    mdp = _stage_mdp(S, A, H, seed=8)
    states = rng.integers(0, S, size=(N, H + 1))
    acts = rng.integers(0, A, size=(N, H))
    C0 = rng.integers(0, 3, size=(N, S * A, S)).astype(float)
    ns0 = rng.integers(0, 3, size=(N, H + 1, S)).astype(float)
    C, n, ns = kx.add_episodes_xp(xp.asarray(C0), xp.asarray(C0.sum(-1)), xp.asarray(ns0),
                                  xp.asarray(states), xp.asarray(states[:, :-1] * A + acts),
                                  xp=xp)
    for i in range(N):
        Cw = C0[i].reshape(S, A, S).copy()
        nw = C0[i].sum(-1).reshape(S, A).astype(np.int64)
        nsw = ns0[i].copy()
        kc.add_episode(Cw, nw, nsw, states[i], acts[i])
        np.testing.assert_array_equal(to_numpy(C)[i], Cw.reshape(S * A, S))
        np.testing.assert_array_equal(to_numpy(n)[i], nw.reshape(-1))
        np.testing.assert_array_equal(to_numpy(ns)[i], nsw)
    pi = rng.integers(0, A, size=(N, H, S))
    PT = np.ascontiguousarray(np.asarray(mdp.P).reshape(H, S * A, S).transpose(0, 2, 1))
    vals = to_numpy(kx.evaluate_xp(xp.asarray(PT), xp.asarray(np.asarray(mdp.R).reshape(H, -1)),
                                   xp.asarray(np.asarray(mdp.init)), xp.asarray(pi), xp=xp))
    want = [mdp.initial_value(pi[i]) for i in range(N)]
    np.testing.assert_allclose(vals, want, rtol=1e-13)


# -- argument checks ---------------------------------------------------------------------------

class FirstAction(Agent):
    """Plays action 0 everywhere: an agent with no array path."""

    def reset(self, rng):
        pass

    def policy(self):
        return np.zeros((self.spec.horizon, self.spec.n_states), dtype=np.int64)

    def update(self, traj):
        pass


def test_rejects_agents_without_an_array_path():
    mdp = random_mdp(4, 2, horizon=3, seed=0)
    with pytest.raises(TypeError, match="overrides UCBVI.plan"):
        run_batched(ReplannedUCBVI(mdp.spec, episodes=3), mdp, 3)
    with pytest.raises(TypeError, match="agent must be a UCBVI"):
        run_batched(FirstAction(mdp.spec), mdp, 3)
    with pytest.raises(TypeError, match="agent must be a UCBVI"):
        run_batched(object(), mdp, 3)


def test_rejects_bad_arguments():
    mdp = random_mdp(4, 2, horizon=3, seed=0)
    agent = UCBVI(mdp.spec, episodes=3)
    with pytest.raises(ValueError, match="episodes"):
        run_batched(agent, mdp, 0)
    with pytest.raises(ValueError, match="backend"):
        run_batched(agent, mdp, 3, backend="torch")
    with pytest.raises(ValueError, match="seeds"):
        run_batched(agent, mdp, 3, seeds=[1, 1])
    with pytest.raises(ValueError, match="base_seed"):
        run_batched(agent, mdp, 3, base_seed=-1)
    with pytest.raises(TypeError, match="mdp must be"):
        run_batched(agent, "riverswim", 3)
    other = random_mdp(5, 2, horizon=3, seed=0)
    with pytest.raises(ValueError):
        run_batched(agent, other, 3)
    disc = TabularMDP(np.asarray(mdp.P), np.asarray(mdp.R), gamma=0.9)
    with pytest.raises(ValueError, match="episodic"):
        run_batched(agent, disc, 3)


def test_exported():
    assert trl.run_batched is run_batched
    assert trl.experiment.run_batched is run_batched


@pytest.mark.parametrize("bonus", ["l1", "bernstein"])
def test_peak_memory_within_bytes_per_seed(bonus):
    import tracemalloc

    S, A, H, K, N = 12, 3, 6, 5, 64
    mdp = random_mdp(S, A, horizon=H, seed=0)
    mdp.optimal_value()
    agent = UCBVI(mdp.spec, episodes=K, bonus=bonus)
    run_batched(agent, mdp, 1, seeds=2)  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        run_batched(agent, mdp, K, seeds=N)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the update holds the counts, an episode's counts and their sum at once
    assert 3 * 8 * S * S * A <= peak / N <= bytes_per_seed(S, A, H, K, bonus, seeds=N)


def test_bytes_per_seed_checks_arguments():
    with pytest.raises(ValueError, match="bonus"):
        bytes_per_seed(4, 2, 3, 10, bonus="ucb")
    with pytest.raises(ValueError, match="seeds"):
        bytes_per_seed(4, 2, 3, 10, seeds=0)
    assert bytes_per_seed(4, 2, 3, 10, "bernstein") > bytes_per_seed(4, 2, 3, 10, "l1")


def test_riverswim_with_many_ties_follows_run():
    from theoryrl.envs import riverswim

    # a chain whose few distinct probabilities and rewards make the two actions' optimistic
    # values tie exactly, below the cap too (hundreds of times in this run): the tie rule
    # is exercised throughout
    mdp = riverswim(6, horizon=12)
    agent = UCBVI(mdp.spec, episodes=150, bonus_scale=0.1)
    ref, _ = _same_as_run(agent, mdp, 150, 4, "numpy")
    assert np.ptp(ref.values) > 0.1


def test_cupy_on_a_gpu_agrees_with_run():
    cupy = pytest.importorskip("cupy")
    pytest.importorskip("array_api_compat")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:
        pytest.skip("no CUDA device")
    mdp = random_mdp(8, 3, horizon=6, seed=3)
    agent = UCBVI(mdp.spec, episodes=60, bonus_scale=0.1)
    got = run_batched(agent, mdp, 60, seeds=16, backend="cupy")
    ref = trl.run(agent, mdp, 60, seeds=16)
    # cuBLAS sums in its own order (and may fuse multiply-adds): agreement to rounding
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-10, atol=1e-10)


def test_linear_mixture_model_runs_as_its_tabular_kernel():
    from theoryrl.models import LinearMixtureMDP

    rng = np.random.default_rng(0)
    S, A, d = 4, 2, 3
    phi = rng.dirichlet(np.ones(S), size=(S, A, d)).transpose(0, 1, 3, 2)
    lm = LinearMixtureMDP(phi, [0.2, 0.3, 0.5], R=rng.uniform(size=(S, A)), horizon=3)
    agent = UCBVI(lm.spec, episodes=20, bonus_scale=0.1)
    got = run_batched(agent, lm, 20, seeds=3)
    tab = lm.to_tabular()
    ref = trl.run(UCBVI(tab.spec, episodes=20, bonus_scale=0.1), tab, 20, seeds=3)
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-12, atol=1e-12)
    assert got.optimal_value == ref.optimal_value
