"""run() refuses an agent built for another model, and seeds that cannot be reproduced."""

from __future__ import annotations

import numpy as np
import pytest

from theoryrl.agents import UCBVI, UCRL2
from theoryrl.envs import random_mdp
from theoryrl.envs.average import riverswim_average, two_state_gadget
from theoryrl.experiment import resolve_base_seed, run, seed_sequences
from theoryrl.models import TabularMDP


@pytest.fixture(scope="module")
def mdp():
    return random_mdp(4, 2, horizon=3, seed=0)


def _variant(mdp, **change):
    kw = dict(P=np.asarray(mdp.P), R=np.asarray(mdp.R), horizon=mdp.horizon,
              init=np.asarray(mdp.init))
    kw.update(change)
    return TabularMDP(**kw)


def test_agent_for_fewer_actions_is_rejected(mdp):
    wide = random_mdp(4, 3, horizon=3, seed=0)
    with pytest.raises(ValueError, match=r"agent.spec.n_actions \(2\) does not match "
                                         r"mdp.spec.n_actions \(3\)"):
        run(UCBVI(mdp.spec, episodes=5), wide, episodes=5)


@pytest.mark.parametrize("field, change", [
    ("n_states", lambda m: random_mdp(5, 2, horizon=3, seed=0)),
    ("horizon", lambda m: _variant(m, horizon=4)),
    ("R", lambda m: _variant(m, R=np.asarray(m.R) * 0.5)),
    ("init", lambda m: _variant(m, init=np.eye(4)[1])),
])
def test_every_spec_field_is_checked(mdp, field, change):
    with pytest.raises(ValueError, match=rf"agent.spec.{field}\b.*does not match"):
        run(UCBVI(mdp.spec, episodes=5), change(mdp), episodes=5)


def test_same_model_rebuilt_is_accepted(mdp):
    twin = _variant(mdp)
    assert twin.spec is not mdp.spec
    assert run(UCBVI(mdp.spec, episodes=5), twin, episodes=5).regret.shape == (1, 5)


def test_average_agent_checked_too():
    env = two_state_gadget()
    with pytest.raises(ValueError, match="agent.spec.n_states"):
        run(UCRL2(env.spec), riverswim_average(6), steps=8)


@pytest.mark.parametrize("bad, err", [(None, TypeError), ("mdp", TypeError)])
def test_run_names_a_bad_mdp(mdp, bad, err):
    with pytest.raises(err, match="mdp must be"):
        run(UCBVI(mdp.spec, episodes=5), bad, episodes=5)


def test_run_names_a_bad_agent(mdp):
    with pytest.raises(TypeError, match="agent must be"):
        run(None, mdp, episodes=5)


def test_base_seed_none_records_the_drawn_entropy(mdp):
    ag = UCBVI(mdp.spec, episodes=8)
    a = run(ag, mdp, episodes=8, seeds=2, base_seed=None)
    root = a.meta["base_seed"]
    assert isinstance(root, int) and root > 2 ** 64  # 128 bits from the OS
    b = run(ag, mdp, episodes=8, seeds=2, base_seed=root)
    np.testing.assert_array_equal(a.regret, b.regret)
    c = run(ag, mdp, episodes=8, seeds=2, base_seed=None)
    assert c.meta["base_seed"] != root
    d = run(ag, mdp, episodes=8, seeds=[4, 1], base_seed=None)
    assert d.meta["seed_ids"] == [4, 1]
    e = run(ag, mdp, episodes=8, seeds=d.meta["seed_ids"], base_seed=d.meta["base_seed"])
    np.testing.assert_array_equal(d.regret, e.regret)


def test_base_seed_none_recorded_for_average_runs():
    env = two_state_gadget()
    a = run(UCRL2(env.spec), env, steps=64, seeds=1, base_seed=None)
    b = run(UCRL2(env.spec), env, steps=64, seeds=1, base_seed=a.meta["base_seed"])
    np.testing.assert_array_equal(a.regret, b.regret)


def test_duplicate_seeds_rejected():
    with pytest.raises(ValueError, match="seeds must be distinct run ids, got 0 twice"):
        seed_sequences([0, 0])
    with pytest.raises(ValueError, match="seeds must not be empty"):
        seed_sequences([])


@pytest.mark.parametrize("bad", [True, False, np.bool_(True)])
def test_bool_seeds_rejected(bad):
    with pytest.raises(TypeError, match="base_seed must be an integer"):
        resolve_base_seed(bad)
    with pytest.raises(TypeError, match="seeds"):
        seed_sequences(bad)
    with pytest.raises(TypeError, match=r"seeds\[1\] must be an integer"):
        seed_sequences([0, bad])


def test_negative_or_fractional_base_seed_rejected():
    with pytest.raises(ValueError, match="base_seed must be >= 0"):
        resolve_base_seed(-1)
    with pytest.raises(TypeError, match="base_seed must be an integer"):
        resolve_base_seed(1.5)
    with pytest.raises(TypeError, match="seeds must be an integer or a sequence"):
        seed_sequences("01")


def _task_instance():
    from theoryrl.envs.pomdp_families import (
        E_EASY,
        random_task_rewards,
        shared_transition_family,
        two_state_grid,
    )

    c = shared_transition_family(2, 2, T_grid=two_state_grid([0.2, 0.35])[[0, 3]],
                                 emissions=E_EASY[:2])
    R = random_task_rewards(c.N, c.O, c.A, c.H, np.random.default_rng(0))
    return c, R, c.task_laws(1, [0, 1], R)


def test_multitask_runs_go_through_run():
    from theoryrl.agents import UMTPSR
    from theoryrl.experiment.pomdp_driver import run_pomdp

    c, R, laws = _task_instance()
    ag = UMTPSR(c, R, eps=0.3)
    res = run(ag, laws, seeds=[0, 3], base_seed=5)
    assert res.values.shape == res.regret.shape == (2, c.N)
    for j, seq in enumerate(seed_sequences([0, 3], 5)):
        one = run_pomdp(UMTPSR(c, R, eps=0.3), laws, None, np.random.default_rng(seq))
        np.testing.assert_array_equal(res.values[j], one.output_values)
        np.testing.assert_array_equal(res.regret[j], one.gaps)
        np.testing.assert_array_equal(res.extras["samples_per_task"][j], one.samples_per_task)
    again = run(ag, laws, seeds=[0, 3], base_seed=None)
    assert run(ag, laws, seeds=[0, 3], base_seed=again.meta["base_seed"]).regret.tolist() \
        == again.regret.tolist()


def test_multitask_run_checks_the_agent_against_the_tasks():
    from theoryrl.agents import UMTPSR

    c, R, laws = _task_instance()
    with pytest.raises(ValueError, match="give neither episodes nor steps"):
        run(UMTPSR(c, R), laws, episodes=3)
    with pytest.raises(TypeError, match="mdp must be a TaskLaws"):
        run(UMTPSR(c, R), random_mdp(4, 2, horizon=3, seed=0))
    one = c.task_laws(1, [0, 1], R)
    one.N = 3  # a task set of another size
    with pytest.raises(ValueError, match=r"agent.N \(2\) does not match mdp.N \(3\)"):
        run(UMTPSR(c, R), one)


def test_zero_dimensional_seed_arrays_are_scalars():
    from theoryrl.experiment.seeding import seed_sequences

    assert len(seed_sequences(np.array(3))) == 3
    with pytest.raises(TypeError, match="seeds"):
        seed_sequences(np.array(0.5))
