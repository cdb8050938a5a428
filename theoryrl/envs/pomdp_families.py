r"""Finite joint model classes of multi-task POMDPs, as data (docs/theory/umt_psr.md).

A :class:`SharedSpecificClass` holds single-task candidate models indexed by
a *shared* part ``t`` (``m_T`` values) and a *task-specific* part ``e``
(``m_E`` values); the joint class over ``N`` tasks is

.. math::

    \Theta_u = \{(\theta_{t, e_1}, \dots, \theta_{t, e_N}) : t \le m_T,\ e_n \le m_E\},
    \qquad |\Theta_u| = m_T\, m_E^N ,

and the single-task class of an independent learner is
:math:`\Theta_s = \{\theta_{t, e}\}`, :math:`|\Theta_s| = m_T m_E`.
It covers the paper's "common latent transition kernel" and "perturbed
models" examples (the paper's examples 1–2) and, with ``t`` = a tuple of core
models and ``e`` = a mixture weight, its "linear combination of core tasks"
(Example 3) [V that the examples exist; R/D for these finite versions].

Bracketing numbers [D]: every model of a finite class is its own
zero-width bracket :math:`[P_\theta, P_\theta]`, so
:math:`N_\eta(\Theta_u) \le |\Theta_u|` for every :math:`\eta \ge 0`.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import as_float_array, check_rng
from ..models.pomdp import POMDP, policy_tensor, reward_tensor
from ..models.shared_specific import SharedSpecificClass

__all__ = [
    "SharedSpecificClass", "control_family", "core_mixture_family",
    "near_duplicate_family", "random_task_rewards", "sample_truth",
    "shared_transition_family", "two_state_grid",
]

# default instance of docs/theory/umt_psr.md [D]
E_EASY = np.array([
    [[.8, .1, .1], [.1, .1, .8]],
    [[.1, .8, .1], [.1, .1, .8]],
    [[.8, .1, .1], [.1, .8, .1]],
    [[.1, .1, .8], [.8, .1, .1]],
])
E_HARD = np.array([
    [[.7, .2, .1], [.1, .2, .7]],
    [[.6, .3, .1], [.1, .2, .7]],
    [[.7, .2, .1], [.1, .3, .6]],
    [[.6, .3, .1], [.1, .3, .6]],
])
MU = np.array([0.8, 0.2])


# -------------------------------------------------------------- constructors
def _class_from_models(models: list[list[POMDP]], N: int, name: str) -> SharedSpecificClass:
    m0 = models[0][0]
    P = np.stack([np.stack([m.traj_probs().ravel() for m in row]) for row in models])
    return SharedSpecificClass(P, N, m0.O, m0.A, m0.H, name, models)


def two_state_grid(values) -> np.ndarray:
    r"""Transition grid ``T[a] = [[1-p_a, p_a], [q_a, 1-q_a]]``, ``(p_0,q_0,p_1,q_1)`` in values^4.

    Returns shape ``(len(values)^4, 2, 2, 2)`` [D].
    """
    vals = [float(v) for v in values]
    out = []
    for p0, q0, p1, q1 in itertools.product(vals, repeat=4):
        out.append([[[1 - p0, p0], [q0, 1 - q0]], [[1 - p1, p1], [q1, 1 - q1]]])
    return np.array(out)


def shared_transition_family(N: int = 4, H: int = 3, T_grid=None, emissions=None,
                             mu=None, name: str = "shared_hard") -> SharedSpecificClass:
    r"""Multi-task POMDPs with a common latent transition kernel [D].

    Default: ``S = 2, O = 3, A = 2``, ``mu = (0.8, 0.2)``, ``T`` from the grid
    ``{0.2, 0.35}^4`` (``m_T = 16``: the *shared* part is statistically hard) and
    4 well-separated emission matrices (``m_E = 4``: the task part is easy).
    Paper's example 1 ("common transition, task-specific emissions") [V/R].
    """
    T_grid = two_state_grid([0.2, 0.35]) if T_grid is None else np.asarray(T_grid)
    emissions = E_EASY if emissions is None else np.asarray(emissions)
    mu = MU if mu is None else mu
    models = [[POMDP(T, E, horizon=H, mu=mu) for E in emissions] for T in T_grid]
    return _class_from_models(models, N, name)


def control_family(N: int = 4, H: int = 3) -> SharedSpecificClass:
    r"""Control family where sharing does not help (check C6) [D].

    The shared transitions are easy to tell apart (grid ``{0.1, 0.6}^4``) and
    the task-specific emissions are hard (4 similar matrices): every task must
    identify its own emission, and the joint confidence radius
    :math:`\log(|\Theta_u|/\delta)` is larger than the single-task one.
    """
    return shared_transition_family(N, H, two_state_grid([0.1, 0.6]), E_HARD,
                                    name="specific_hard")


def near_duplicate_family(N: int = 4, H: int = 3, delta_e: float = 0.03) -> SharedSpecificClass:
    r"""The default instance plus a near-duplicate of every emission (``m_E = 8``) (check C7) [D].

    The duplicate of ``E_i`` moves ``delta_e`` of mass in every row from the
    largest entry to the next one (cyclically): models that are almost never
    distinguished, so stopping must rely on the certificate, not on exact
    identification.
    """
    Es = []
    for E in E_EASY:
        Es.append(E)
        E2 = E.copy()
        for s in range(E.shape[0]):
            j = int(np.argmax(E[s]))
            E2[s, j] -= delta_e
            E2[s, (j + 1) % E.shape[1]] += delta_e
        Es.append(E2)
    return shared_transition_family(N, H, emissions=np.array(Es), name="near_duplicate")


def core_mixture_family(cores: list[POMDP], m: int, weights, N: int,
                        name: str = "core_mixture") -> SharedSpecificClass:
    r"""Tasks as mixtures of ``m`` core tasks (the paper's Example 3) [R/D].

    Shared part: a tuple ``(c_1..c_m)`` of core models from ``cores``
    (``|C|^m`` values); task part: a weight vector from the finite simplex grid
    ``weights`` (shape ``(|W|, m)``);
    :math:`P_{\theta_n} = \sum_l w_{n,l} P_{c_l}` (exactly a POMDP whose latent
    state includes a core index drawn at step 1). :math:`|\Theta_u| = |C|^m |W|^N`.
    """
    W = as_float_array(weights, "weights")
    if W.ndim != 2 or W.shape[1] != m:
        raise ValueError(f"weights must have shape (|W|, m={m}), got {W.shape}")
    if (W < 0).any() or (np.abs(W.sum(1) - 1) > 1e-9).any():
        i = int(np.argwhere((W < 0).any(1) | (np.abs(W.sum(1) - 1) > 1e-9))[0, 0])
        raise ValueError(f"weights[{i}] is not a distribution (sum {W[i].sum():.12g})")
    Pc = np.stack([c.traj_probs().ravel() for c in cores])
    tuples = list(itertools.product(range(len(cores)), repeat=m))
    P = np.einsum("wl,tlf->twf", W, Pc[np.array(tuples)])
    c0 = cores[0]
    return SharedSpecificClass(P, N, c0.O, c0.A, c0.H, name)


# ------------------------------------------------------------- instances
def sample_truth(cls: SharedSpecificClass, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """A true joint model: ``t* ~ U{m_T}``, ``e*_n ~ U{m_E}`` i.i.d."""
    rng = check_rng(rng)
    t = int(rng.integers(cls.m_T))
    e = rng.integers(cls.m_E, size=cls.N).astype(np.int64)
    return t, e


def random_task_rewards(N: int, O: int, A: int, H: int,
                        rng: np.random.Generator) -> np.ndarray:
    r"""Known task rewards :math:`R_n(\tau) = \frac1H \sum_h r_{n,h}(o_h)`, :math:`r \sim U[0,1]`.

    Returns flat tensors of shape (N, F) [D].
    """
    rng = check_rng(rng)
    r = rng.random((N, H, O))
    return np.stack([reward_tensor(r[n], O, A, H).ravel() for n in range(N)])


def explicit_policy(tables, O: int, A: int) -> np.ndarray:
    """Flat policy tensor from tables (convenience re-export)."""
    return policy_tensor(tables, O, A).ravel()
