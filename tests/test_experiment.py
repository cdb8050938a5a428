"""The experiment driver: determinism, parallel back-ends, results on disk."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import theoryrl as trl
from theoryrl.agents import UCBVI, Agent, Mixture
from theoryrl.envs import random_mdp, riverswim
from theoryrl.experiment import EpisodeSimulator, Result, run, run_episodes, seed_sequences


class FixedAgent(Agent):
    """Plays one policy for ever (deterministic or stochastic)."""

    name = "fixed"

    def __init__(self, spec, pi):
        super().__init__(spec)
        self.pi = pi

    def reset(self, rng):
        pass

    def policy(self):
        return self.pi

    def update(self, traj):
        pass


class MixAgent(FixedAgent):
    """A 30/70 mixture of two policies; records the components it was told about."""

    name = "mix"

    def __init__(self, spec, pols):
        super().__init__(spec, None)
        self.pols = pols

    def reset(self, rng):
        self.seen = []

    def policy(self):
        return Mixture(np.array([0.3, 0.7]), tuple(self.pols))

    def update(self, traj):
        self.seen.append(traj.component)

    def info(self):
        return {"n_seen": float(len(self.seen))}


def _assert_results_equal(a: Result, b: Result) -> None:
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.regret, b.regret)
    assert a.optimal_value == b.optimal_value
    assert sorted(a.extras) == sorted(b.extras)
    for k in a.extras:
        np.testing.assert_array_equal(a.extras[k], b.extras[k])


@pytest.fixture(scope="module")
def mdp():
    return random_mdp(6, 3, horizon=5, seed=4)


@pytest.fixture(scope="module")
def agent(mdp):
    return UCBVI(mdp.spec, episodes=60, bonus="l1")


def test_same_seed_same_trajectory_and_regret(mdp, agent):
    a = run(agent, mdp, episodes=60, seeds=3)
    b = run(agent, mdp, episodes=60, seeds=3)
    _assert_results_equal(a, b)
    c = run(agent, mdp, episodes=60, seeds=3, base_seed=1)
    assert not np.array_equal(a.values, c.values)
    # a run's numbers depend only on (base_seed, id)
    one = run(agent, mdp, episodes=60, seeds=[2])
    np.testing.assert_array_equal(one.values[0], a.values[2])
    sim = EpisodeSimulator(mdp)
    pi = mdp.solve().policy
    t1 = sim.sample(pi, np.random.default_rng(9))
    t2 = sim.sample(pi, np.random.default_rng(9))
    for x, y in zip(t1, t2):
        np.testing.assert_array_equal(x, y)


def test_regret_is_exact(mdp, agent):
    res = run(agent, mdp, episodes=40, seeds=2)
    v_star = mdp.optimal_value()
    assert res.optimal_value == v_star
    np.testing.assert_allclose(res.regret, np.cumsum(v_star - res.values, axis=1), rtol=0)
    assert np.all(np.diff(res.regret, axis=1) >= -1e-12)
    np.testing.assert_array_equal(res.x, np.arange(1, 41))


def test_n_jobs_bit_identical(mdp, agent):
    _assert_results_equal(run(agent, mdp, episodes=40, seeds=4, n_jobs=1),
                          run(agent, mdp, episodes=40, seeds=4, n_jobs=2))


def test_dask_backend_bit_identical(mdp, agent):
    distributed = pytest.importorskip("dask.distributed")
    ref = run(agent, mdp, episodes=30, seeds=3)
    # threads in this process, talking over loopback TCP only (the in-process transport
    # ignores host=, so the protocol is named)
    with distributed.LocalCluster(n_workers=2, processes=False, host="127.0.0.1",
                                  protocol="tcp", dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        res = run(agent, mdp, episodes=30, seeds=3, n_jobs=2, backend="dask")
    _assert_results_equal(ref, res)


def test_save_load_round_trip_is_atomic(tmp_path, mdp, agent, monkeypatch):
    res = run(agent, mdp, episodes=20, seeds=2)
    base = res.save(tmp_path / "sub" / "ucbvi")
    files = sorted(p.name for p in (tmp_path / "sub").iterdir())
    assert files == ["ucbvi.npz"]  # one file, no temporary files left behind
    with np.load(base) as z:
        assert json.loads(str(z["__meta__"][()]))["format"] == "theoryrl.Result/2"
    seen = {}
    real_load = np.load

    def spy(*args, **kw):
        seen.update(kw)
        return real_load(*args, **kw)

    monkeypatch.setattr(np, "load", spy)
    back = Result.load(base)
    assert seen.get("allow_pickle") is False
    _assert_results_equal(res, back)
    np.testing.assert_array_equal(res.x, back.x)
    assert back.meta["agent"] == res.meta["agent"] == "UCBVI-L1"


def test_atomic_write_failure_leaves_nothing(tmp_path, monkeypatch):
    from theoryrl.experiment import atomic_write_bytes

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(tmp_path / "x.bin", b"data")
    assert list(tmp_path.iterdir()) == []


def test_plot_returns_figure(mdp, agent):
    import matplotlib

    matplotlib.use("Agg")
    res = run(agent, mdp, episodes=20, seeds=3)
    fig = res.plot()
    assert fig.axes[0].get_xlabel() == "episode"
    fig2 = res.plot(quantity="optimistic_value")
    assert fig2 is not None
    import matplotlib.pyplot as plt

    plt.close("all")


def test_mixture_episodes_are_exact(mdp):
    H, S = 5, 6
    sol = mdp.solve()
    bad = np.zeros((H, S), dtype=np.int64)
    agent = MixAgent(mdp.spec, [sol.policy, bad])
    res = run(agent, mdp, episodes=50, seeds=2)
    v_opt, v_bad = mdp.initial_value(sol.policy), mdp.initial_value(bad)
    np.testing.assert_allclose(res.values, 0.3 * v_opt + 0.7 * v_bad, rtol=1e-14)
    comp = res.extras["component_values"]
    assert set(np.unique(comp)) <= {v_opt, v_bad}
    np.testing.assert_array_equal(res.extras["n_seen"][0], np.arange(1, 51))


def test_stochastic_policy_path(mdp):
    pi = np.full((5, 6, 3), 1 / 3)
    res = run(FixedAgent(mdp.spec, pi), mdp, episodes=5, seeds=1)
    np.testing.assert_allclose(res.values, mdp.initial_value(pi), rtol=1e-14)


def test_simulator_values_and_incremental_evaluation(mdp):
    sim = EpisodeSimulator(mdp)
    rng = np.random.default_rng(0)
    for _ in range(20):
        pi = rng.integers(0, 3, size=(5, 6))
        assert sim.value(pi) == mdp.initial_value(pi)
        sto = rng.dirichlet(np.ones(3), size=(5, 6))
        assert sim.value(sto) == pytest.approx(mdp.initial_value(sto), rel=1e-14)
    with pytest.raises(ValueError, match=r"policy\[0, 0\] must be an action in \[0, 3\)"):
        sim.check(np.full((5, 6), 3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"mdp must be episodic"):
        EpisodeSimulator(riverswim(4, gamma=0.9))


def test_simulated_frequencies_match_model():
    mdp = riverswim(3, horizon=2)
    sim = EpisodeSimulator(mdp)
    rng = np.random.default_rng(1)
    pi = np.ones((2, 3), dtype=np.int64)
    n = 4000
    second = np.bincount([sim.sample(pi, rng).states[1] for _ in range(n)], minlength=3)
    p = mdp.P[0, 1]
    assert np.all(np.abs(second / n - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_run_argument_errors(mdp, agent):
    with pytest.raises(ValueError, match=r"give exactly one of episodes"):
        run(agent, mdp)
    with pytest.raises(ValueError, match=r"n_jobs must be a positive number or negative"):
        run(agent, mdp, episodes=2, n_jobs=0)
    with pytest.raises(ValueError, match=r"episodes= needs an episodic mdp"):
        run(agent, riverswim(4, gamma=0.9), episodes=2)
    with pytest.raises(ValueError, match=r"episodes must be >= 1"):
        run(agent, mdp, episodes=0)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments"):
        run(agent, mdp, episodes=2, foo=1)
    with pytest.raises(ValueError, match=r"seeds must be >= 1"):
        seed_sequences(0)
    assert trl.run is run


def test_run_episodes_direct(mdp, agent):
    out = run_episodes(agent, mdp, 10, seed_sequences(1)[0])
    assert set(out) == {"values", "mixture_values", "optimistic_value"}
    np.testing.assert_array_equal(out["values"], out["mixture_values"])


def test_atomic_write_gives_the_umask_mode(tmp_path):
    from theoryrl.experiment import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "x.bin", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "x.bin").read_bytes() == b"data"
    assert (tmp_path / "x.bin").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("bad, match", [
    (lambda p: p.__setitem__((1, 2, 0), -0.25), r"policy\[1, 2\] is not a distribution"),
    (lambda p: p.__setitem__((0, 3, 1), p[0, 3, 1] + 1e-6), r"policy\[0, 3\] is not a dist"),
    (lambda p: p.__setitem__((2, 0, 0), np.nan), r"policy\[2, 0, 0\] is not finite"),
])
def test_driver_check_of_stochastic_policies(mdp, bad, match):
    sim = EpisodeSimulator(mdp)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pi = np.random.default_rng(0).dirichlet(np.ones(A), size=(H, S))
    assert sim.check(pi) is pi  # compiled fast path, no copy
    ref = mdp.evaluate(pi)[0] @ mdp.init
    assert sim.value(sim.check(pi)) == pytest.approx(ref, abs=1e-12)
    bad(pi)
    with pytest.raises(ValueError, match=match):
        sim.check(pi)


def test_run_on_an_episodic_linear_mixture_matches_its_tabular_model():
    # run() simulates and solves a linear mixture model through the tabular model of its
    # kernel: the same numbers as running on that tabular model
    from theoryrl.envs import random_linear_mixture

    lm = random_linear_mixture(5, 2, 3, horizon=4, seed=0).mdp
    agent = UCBVI(lm.spec, episodes=20)
    a = run(agent, lm, episodes=20, seeds=2)
    b = run(agent, lm.to_tabular(), episodes=20, seeds=2)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.optimal_value == b.optimal_value
