"""Whole runs in compiled code (theoryrl.experiment.batched): bit-identical to the
episode loop in Python for every seed, any thread count, and only for agents whose
methods the kernel mirrors."""

import multiprocessing
import os

import numba
import numpy as np
import pytest

from proofs_checks.variants import GreedyUCBVI
from theoryrl.agents import UCBVI, Agent, CompiledRun, UCBVIBernstein
from theoryrl.envs import chain, random_mdp
from theoryrl.experiment import run, run_episodes, seed_sequences
from theoryrl.experiment.batched import compiled_run_of, run_compiled, thread_count
from theoryrl.experiment.episodes import episode_callback


class NoOptimism(UCBVI):
    """Unvisited pairs valued at their reward (class attribute only: still compiled)."""

    optimistic_init = False


class EveryOtherEpisode(UCBVI):
    """Learns from one episode in two: overrides ``update``, so it must run in Python."""

    def reset(self, rng):
        super().reset(rng)
        self._k = 0

    def update(self, traj):
        self._k += 1
        if self._k % 2:
            super().update(traj)


class OwnInfo(UCBVI):
    """Overrides ``info`` only."""

    def info(self):
        return {"optimistic_value": 0.0}


def _equal(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.regret, b.regret)
    assert sorted(a.extras) == sorted(b.extras)
    for k in a.extras:
        np.testing.assert_array_equal(a.extras[k], b.extras[k])


def _python(agent, mdp, K, seeds, **kw):
    # an explicit joblib backend always takes the episode loop in Python
    return run(agent, mdp, episodes=K, seeds=seeds, backend="threading", progress=False, **kw)


MDPS = {"random": lambda: random_mdp(6, 3, horizon=5, seed=4),
        "stage-dependent": lambda: random_mdp(5, 2, horizon=4, stage_dependent=True, seed=2),
        "sparse": lambda: random_mdp(9, 2, horizon=6, branching=2, reward="sparse", seed=7),
        "chain": lambda: chain(3, horizon=5),
        # S past BLAS's unrolled blocks: the products with the initial law take its SIMD path
        "wide": lambda: random_mdp(70, 2, horizon=3, seed=3)}


def test_uniforms_drawn_at_once_are_the_episode_stream():
    H, K = 4, 7
    g = np.random.default_rng(seed_sequences(1)[0].spawn(2)[0])
    u = np.empty(H + 1)
    each = np.array([g.random(out=u).copy() for _ in range(K)])
    at_once = np.random.default_rng(seed_sequences(1)[0].spawn(2)[0]).random((K, H + 1))
    np.testing.assert_array_equal(each, at_once)


@pytest.mark.parametrize("name", list(MDPS))
@pytest.mark.parametrize("make", [
    lambda s, K: UCBVI(s, K),
    lambda s, K: UCBVI(s, K, bonus="hoeffding", bonus_scale=0.01),
    lambda s, K: UCBVIBernstein(s, K, bonus_scale=0.003),
    lambda s, K: UCBVI(s, K, bonus_scale=0.2),
    lambda s, K: GreedyUCBVI(s, K),
    lambda s, K: NoOptimism(s, K, bonus_scale=0.5),
], ids=["l1", "hoeffding", "bernstein", "l1-scaled", "greedy", "no-optimism"])
def test_compiled_runs_are_the_python_runs_bit_for_bit(name, make):
    mdp = MDPS[name]()
    for K in (1, 40):
        agent = make(mdp.spec, K)
        assert compiled_run_of(agent) is not None
        _equal(run(agent, mdp, episodes=K, seeds=3, progress=False), _python(agent, mdp, K, 3))


def test_long_run_and_single_seed_runs_are_bit_identical():
    mdp = random_mdp(12, 3, horizon=6, seed=1)
    agent = UCBVI(mdp.spec, 600, bonus_scale=0.3)
    seeds = [0, 5, 2]
    both = run(agent, mdp, episodes=600, seeds=seeds, n_jobs=2, progress=False)
    ref = [run_episodes(agent, mdp, 600, s) for s in seed_sequences(seeds)]
    for i, r in enumerate(ref):
        np.testing.assert_array_equal(both.values[i], r["values"])
        np.testing.assert_array_equal(both.extras["optimistic_value"][i], r["optimistic_value"])
        alone = run(agent, mdp, episodes=600, seeds=[seeds[i]], progress=False)
        np.testing.assert_array_equal(alone.values[0], both.values[i])


def test_thread_count_does_not_change_the_numbers_and_is_restored():
    mdp = random_mdp(6, 3, horizon=5, seed=4)
    agent = UCBVI(mdp.spec, 50)
    before = numba.get_num_threads()
    runs = [run(agent, mdp, episodes=50, seeds=5, n_jobs=j, progress=False) for j in (1, 2, -1)]
    assert numba.get_num_threads() == before
    _equal(runs[0], runs[1])
    _equal(runs[0], runs[2])


def test_thread_count():
    cap = numba.config.NUMBA_NUM_THREADS
    assert thread_count(1, 8) == 1
    assert thread_count(2, 8) == min(2, cap)
    assert thread_count(-1, 8) == min(cap, 8)
    assert thread_count(-1, 1) == 1
    assert thread_count(-cap - 5, 8) == 1
    assert thread_count(64, 3) == min(3, cap)


def test_overridden_methods_fall_back_to_python():
    mdp = random_mdp(6, 3, horizon=5, seed=4)
    for cls in (EveryOtherEpisode, OwnInfo):
        agent = cls(mdp.spec, 30)
        assert compiled_run_of(agent) is None
        _equal(run(agent, mdp, episodes=30, seeds=2, progress=False), _python(agent, mdp, 30, 2))
    # the overrides take effect: both differ from UCBVI's own run
    plain = run(UCBVI(mdp.spec, 30), mdp, episodes=30, seeds=2, progress=False)
    assert not np.array_equal(run(EveryOtherEpisode(mdp.spec, 30), mdp, episodes=30, seeds=2,
                                  progress=False).values, plain.values)
    assert np.all(run(OwnInfo(mdp.spec, 30), mdp, episodes=30, seeds=2,
                      progress=False).extras["optimistic_value"] == 0.0)
    shadowed = UCBVI(mdp.spec, 30)
    shadowed.policy = lambda: np.zeros((5, 6), dtype=np.int64)
    assert compiled_run_of(shadowed) is None


def test_agents_without_a_compiled_run():
    mdp = random_mdp(4, 2, horizon=3, seed=0)

    class Fixed(Agent):
        def reset(self, rng):
            pass

        def policy(self):
            return np.zeros((3, 4), dtype=np.int64)

        def update(self, traj):
            pass

    class Claims(Fixed):
        def compiled_run(self):  # names a kernel that does not mirror this class
            return CompiledRun("ucbvi", UCBVI, ())

    for agent in (Fixed(mdp.spec), Claims(mdp.spec)):
        assert compiled_run_of(agent) is None
        with pytest.raises(ValueError, match="agent"):
            run_compiled(agent, mdp, 3, seed_sequences(1))


def test_progress_is_reported_per_seed():
    mdp = random_mdp(6, 3, horizon=5, seed=4)
    agent = UCBVI(mdp.spec, 20)
    seen = []
    with episode_callback(seen.append):
        res = run(agent, mdp, episodes=20, seeds=3, n_jobs=2, progress=False)
    assert sum(seen) == 60
    _equal(res, _python(agent, mdp, 20, 3))
    # the rich bar path returns the same numbers
    _equal(res, run(agent, mdp, episodes=20, seeds=3, n_jobs=2, progress=True))


def test_the_callers_agent_is_untouched():
    mdp = random_mdp(6, 3, horizon=5, seed=4)
    agent = UCBVI(mdp.spec, 20)
    state = dict(vars(agent))
    run(agent, mdp, episodes=20, seeds=2, progress=False)
    assert vars(agent).keys() == state.keys()  # never reset: no learning state


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_after_a_threaded_run_still_runs():
    mdp = random_mdp(6, 3, horizon=5, seed=4)
    agent = UCBVI(mdp.spec, 20)
    ref = run(agent, mdp, episodes=20, seeds=4, n_jobs=2, progress=False)  # starts the pool
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        # a child that entered GNU OpenMP again would die and leave this waiting
        values = pool.apply_async(_child_run, (mdp, agent)).get(timeout=120)
    np.testing.assert_array_equal(values, ref.values)


def _child_run(mdp, agent):
    return run(agent, mdp, episodes=20, seeds=4, n_jobs=2, progress=False).values
