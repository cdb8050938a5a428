"""check_agent: every exported agent follows the contract, and every clause catches
an agent that breaks its rule."""

from __future__ import annotations

import copy
import functools
import random

import numpy as np
import pytest

import theoryrl.agents as A
from theoryrl.agents import (
    LOOP,
    UCBVI,
    UCRL2,
    UMTPSR,
    Agent,
    AgentCheckError,
    AverageAgent,
    MultiTaskAgent,
    check_agent,
)
from theoryrl.agents._average_kernels import count_segment
from theoryrl.agents.check import (
    check_info,
    check_policies,
    check_reset,
    check_rng,
    check_spec,
    check_update,
)
from theoryrl.envs import riverswim
from theoryrl.envs.average import riverswim_average, two_state_gadget, wzg_hard_linear_mixture
from theoryrl.envs.linear_mixture import random_linear_mixture
from theoryrl.envs.pomdp_families import (
    E_EASY,
    random_task_rewards,
    shared_transition_family,
    two_state_grid,
)
from theoryrl.models import TaskLaws


# ------------------------------------------------------------------ instances
@functools.cache
def _episodic():
    return riverswim(4, horizon=4)


@functools.cache
def _lm():
    return random_linear_mixture(4, 2, 3, 4, seed=0)


@functools.cache
def _average():
    return two_state_gadget()


@functools.cache
def _vtr():
    return wzg_hard_linear_mixture(d=3, delta_s=0.2, Delta=0.05, seed=0)


@functools.cache
def _tasks():
    c = shared_transition_family(2, 2, T_grid=two_state_grid([0.2, 0.35])[[0, 3]],
                                 emissions=E_EASY[:2])
    R = random_task_rewards(c.N, c.O, c.A, c.H, np.random.default_rng(0))
    return c, R, c.task_laws(1, [0, 1], R)


def _baseline(mdp):
    return np.zeros((mdp.horizon, mdp.n_states), dtype=np.int64)


def _conservative(cls):
    def make():
        m = _episodic()
        pib = _baseline(m)
        return cls(m.spec, 20, baseline=pib, baseline_value=m.initial_value(pib)), m
    return make


def _downstream():
    c, R, _ = _tasks()
    laws = TaskLaws(c.P[1, [0]], R[[0]], c.O, c.A, c.H)
    return A.DownstreamOMLE(c.P[1].reshape(-1, c.F), R[0], c.O, c.A, c.H, eps=0.05), laws


FACTORIES = {
    "UCBVI": lambda: (UCBVI(_episodic().spec, episodes=20), _episodic()),
    "UCBVIBernstein": lambda: (A.UCBVIBernstein(_episodic().spec, episodes=20), _episodic()),
    "UCBVIHoeffding": lambda: (A.UCBVIHoeffding(_episodic().spec, episodes=20), _episodic()),
    "HFUCRLRFEpp": lambda: (A.HFUCRLRFEpp(_lm().mdp.spec, _lm().phi, _lm().B, 20), _lm().mdp),
    "UCRLRFE": lambda: (A.UCRLRFE(_lm().mdp.spec, _lm().phi, _lm().B, 20), _lm().mdp),
    "RFExpress": lambda: (A.RFExpress(_episodic().spec), _episodic()),
    "RFUCRL": lambda: (A.RFUCRL(_episodic().spec), _episodic()),
    "BaselineOnly": _conservative(A.BaselineOnly),
    "BudgetConservative": _conservative(A.BudgetConservative),
    "CUCBVI": _conservative(A.CUCBVI),
    "DOPESwitch": _conservative(A.DOPESwitch),
    "DOPE": _conservative(lambda *a, **kw: A.DOPE(*a, **kw)),
    "EpsMix": _conservative(A.EpsMix),
    "StepMix": _conservative(A.StepMix),
    "LOOP": lambda: (LOOP(_average().spec, span_bound=2.5), _average()),
    "UCRL2": lambda: (UCRL2(_average().spec), _average()),
    "UCRL2B": lambda: (A.UCRL2B(_average().spec), _average()),
    "OptimisticQ": lambda: (A.OptimisticQ(_average().spec, steps=256), _average()),
    "UCRL2VTR": lambda: (A.UCRL2VTR(_vtr().spec, _vtr().phi, diameter=6.0,
                                    theta_norm=float(np.linalg.norm(_vtr().theta)) + 1e-9),
                         _vtr()),
    "UMTPSR": lambda: (UMTPSR(_tasks()[0], _tasks()[1], eps=0.3), _tasks()[2]),
    "IndependentPSR": lambda: (A.IndependentPSR(_tasks()[0], _tasks()[1], eps=0.3),
                               _tasks()[2]),
    "DownstreamOMLE": _downstream,
}

_BASES = (Agent, AverageAgent, MultiTaskAgent)
EXPORTED = sorted(n for n in A.__all__ if isinstance(getattr(A, n), type)
                  and issubclass(getattr(A, n), _BASES) and getattr(A, n) not in _BASES)


def test_every_exported_agent_has_a_factory():
    assert len(EXPORTED) >= 21
    assert set(EXPORTED) <= set(FACTORIES), sorted(set(EXPORTED) - set(FACTORIES))


@pytest.mark.parametrize("name", EXPORTED)
def test_check_agent_passes_on_every_exported_agent(name):
    agent, mdp = FACTORIES[name]()
    before = copy.deepcopy(vars(agent))
    check_agent(agent, mdp)
    assert set(vars(agent)) == set(before)  # the agent handed in is not changed


# ------------------------------------------------------------------ broken agents
class Fixed(Agent):
    """Plays action 0 everywhere (a correct agent to break)."""

    def reset(self, rng):
        self._n = 0

    def policy(self):
        return np.zeros((self.spec.horizon, self.spec.n_states), dtype=np.int64)

    def update(self, traj):
        self._n += 1

    def info(self):
        return {"episodes": float(self._n)}


class Float32Policy(Fixed):
    def policy(self):
        return np.zeros((self.spec.horizon, self.spec.n_states), dtype=np.float32)


class OutOfRange(Fixed):
    def policy(self):
        return np.full((self.spec.horizon, self.spec.n_states), self.spec.n_actions,
                       dtype=np.int64)


class GlobalNumpy(Fixed):
    def policy(self):
        pi = super().policy()
        pi[0, 0] = np.random.randint(self.spec.n_actions)  # noqa: NPY002
        return pi


class PythonRandom(Fixed):
    def policy(self):
        pi = super().policy()
        pi[0, 0] = random.randrange(self.spec.n_actions)
        return pi


class FreshEntropy(Fixed):
    def reset(self, rng):
        super().reset(rng)
        self._rng = np.random.default_rng()

    def policy(self):
        pi = super().policy()
        pi[:, :] = self._rng.integers(self.spec.n_actions, size=pi.shape)
        return pi


class KeepsCounts(Fixed):
    """Counts episodes across resets: a used agent plays differently after reset."""

    _total = 0

    def __init__(self, spec):
        super().__init__(spec)
        self._total = 0

    def update(self, traj):
        self._total += 1

    def policy(self):
        pi = super().policy()
        pi[0, 0] = min(self._total // 3, self.spec.n_actions - 1)
        return pi


class HoldsModel(Fixed):
    def __init__(self, spec, mdp):
        super().__init__(spec)
        self._mdp = mdp


class HoldsKernel(Fixed):
    def __init__(self, spec, mdp):
        super().__init__(spec)
        self._P = np.asarray(mdp.P)[0]


class WritesTrajectory(Fixed):
    def update(self, traj):
        traj.rewards[:] = 0.0


class BadInfo(Fixed):
    def info(self):
        return {"values": np.zeros(3)}


class AveragePeek(AverageAgent):
    """Reads the true kernel from the simulation arrays to pick its policy."""

    def reset(self, rng):
        self._best = 0

    def policy(self):
        return np.full(self.spec.n_states, self._best, dtype=np.int64)

    def play(self, sim, pi, t0):
        # any use of the kernel beyond the draws: here, whether its first column varies
        self._best = int(np.ptp(sim.Pcum[:, :, 0]) == 0)
        return count_segment(tuple(sim), pi, t0, np.full((self.spec.n_states,
                                                          self.spec.n_actions), 8))

    def update(self, seg):
        pass


class AverageWrongDtype(AverageAgent):
    def reset(self, rng):
        pass

    def policy(self):
        return np.zeros(self.spec.n_states, dtype=np.int32)

    def update(self, seg):
        pass


class UMTGlobal(UMTPSR):
    def policy(self):
        tasks, pis = super().policy()
        return type(super().policy())(tasks, pis * (1 + 0 * np.random.random()))  # noqa: NPY002


def _ep():
    return _episodic()


@pytest.mark.parametrize("make, clause, match", [
    (lambda: (Fixed(riverswim(5, horizon=4).spec), _ep()), check_spec,
     r"check_spec: agent.spec.n_states \(5\) does not match mdp.spec.n_states \(4\)"),
    (lambda: (Float32Policy(_ep().spec), _ep()), check_policies,
     r"check_policies: policy\(\) of round 0 must be int64 \(4, 4\) or float64 \(4, 4, 2\), "
     r"got float32 \(4, 4\)"),
    (lambda: (OutOfRange(_ep().spec), _ep()), check_policies,
     r"check_policies: policy\(\) of round 0 has an action outside \[0, 2\)"),
    (lambda: (AverageWrongDtype(_average().spec), _average()), check_policies,
     r"check_policies: policy\(\) of round 0 must be int64 \(2,\), got int32 \(2,\)"),
    (lambda: (GlobalNumpy(_ep().spec), _ep()), check_rng,
     r"check_rng: the agent drew from numpy's global random state"),
    (lambda: (PythonRandom(_ep().spec), _ep()), check_rng,
     r"check_rng: two runs with the same reset\(rng\) seed played different policies"),
    (lambda: (FreshEntropy(_ep().spec), _ep()), check_rng,
     r"check_rng: two runs with the same reset\(rng\) seed played different policies"),
    (lambda: (UMTGlobal(_tasks()[0], _tasks()[1], eps=0.3), _tasks()[2]), check_rng,
     r"check_rng: the agent drew from numpy's global random state"),
    (lambda: (KeepsCounts(_ep().spec), _ep()), check_reset,
     r"check_reset: after an earlier run, reset\(rng\) with the same seed played a different "
     r"policy at round 0"),
    (lambda: (HoldsModel(_ep().spec, _ep()), _ep()), check_update,
     r"check_update: agent._mdp is a TabularMDP"),
    (lambda: (HoldsKernel(_ep().spec, _ep()), _ep()), check_update,
     r"check_update: agent._P shares memory with the true transition kernel"),
    (lambda: (WritesTrajectory(_ep().spec), _ep()), check_update,
     r"check_update: update\(\) of round 0 wrote into the data it was given"),
    (lambda: (AveragePeek(riverswim_average(3).spec), riverswim_average(3)), check_update,
     r"check_update: the same trajectory replayed under another transition kernel changed"),
    (lambda: (BadInfo(_ep().spec), _ep()), check_info,
     r"check_info: info\(\)\['values'\] of round 0 must be a real scalar, got ndarray"),
])
def test_each_clause_catches_its_broken_agent(make, clause, match):
    agent, mdp = make()
    with pytest.raises(AgentCheckError, match=match):
        clause(agent, mdp)
    with pytest.raises(AgentCheckError, match=match.split(":")[0]):
        check_agent(agent, mdp)


def test_the_correct_base_agent_passes():
    check_agent(Fixed(_ep().spec), _ep())


def test_check_rng_restores_global_state():
    np.random.seed(123)  # noqa: NPY002
    want = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    check_rng(Fixed(_ep().spec), _ep())
    assert np.random.random() == want  # noqa: NPY002


def test_check_agent_rejects_what_is_not_an_agent():
    with pytest.raises(TypeError, match="agent must be an Agent, AverageAgent or "
                                        "MultiTaskAgent"):
        check_agent(object(), _ep())
    with pytest.raises(TypeError, match="mdp must be average"):
        check_agent(UCRL2(_average().spec), _ep())
    with pytest.raises(TypeError, match="mdp must be a TaskLaws"):
        check_agent(UMTPSR(_tasks()[0], _tasks()[1]), _ep())
