r"""Episodic tabular POMDPs and their PSR view, with exact trajectory laws.

Conventions (docs/theory/umt_psr.md; step order observation-first):
at step :math:`h = 1..H` the agent sees :math:`o_h`, then plays :math:`a_h`.
Every function of a full trajectory :math:`\tau_H = (o_1, a_1, \dots, o_H, a_H)`
is an array of shape ``(O, A) * H`` (the *trajectory tensor*), or its C-order
flattening of length ``F = (O A)^H``.

* ``T`` has shape ``(A, S, S)`` or ``(H-1, A, S, S)``: ``T[h, a, s, s']`` is
  :math:`P(s_{h+2} = s' \mid s_{h+1} = s, a_{h+1} = a)` (0-based ``h``);
* ``E`` has shape ``(S, O)`` or ``(H, S, O)``: ``E[h, s, o]`` is
  :math:`P(o_{h+1} = o \mid s_{h+1} = s)`;
* ``mu`` has shape ``(S,)``, the law of :math:`s_1`.

The action-conditioned trajectory probability [V/R]

.. math::

    P_\theta(\tau_H) = \prod_{t=1}^{H} P_\theta(o_t \mid \tau_{t-1})

does not depend on :math:`a_H`. A history-dependent policy is stored as its
*policy tensor* :math:`\pi(\tau_H) = \prod_t \pi_t(a_t \mid \tau_{t-1}, o_t)`
(same shape), so :math:`P^\pi_\theta = P_\theta \cdot \pi` and every exact
value is one dot product, :math:`V^\pi_{\theta, R} = \sum_\tau P_\theta(\tau)
\pi(\tau) R(\tau)`. Policy *tables* (``tables[h]`` of shape
``(O, A) * h + (O,)`` with integer actions, or ``(O, A) * h + (O, A)`` with
probabilities) convert to tensors with :func:`policy_tensor`.

Exact computations are exponential in ``H``; each one checks a size budget
(``max_entries``) first and raises :class:`SizeBudgetError` instead of
hanging or running out of memory.

References
----------
.. [1] R. Huang, Y. Cheng, J. Yang, V. Tan, Y. Liang, "Provable benefits of
   multi-task RL under non-Markovian decision making processes", ICLR 2024,
   arXiv:2310.13550.
.. [2] M. Littman, R. Sutton, S. Singh, "Predictive representations of state",
   NIPS 2001.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .._validation import (
    as_float_array,
    check_choice,
    check_distribution,
    check_distribution_rows,
    check_in_range,
    check_int,
    check_rng,
)

__all__ = [
    "DEFAULT_MAX_ENTRIES", "POMDP", "Plan", "SizeBudgetError", "check_size_budget",
    "decode_trajectories", "encode_trajectories", "exploration_tensor", "max_tv",
    "maxsum", "policy_tables", "policy_tensor", "policy_value", "reward_tensor",
    "sample_trajectories", "trajectory_loglik", "tv_distance", "uniform_policy_tensor",
]

DEFAULT_MAX_ENTRIES = 2_000_000
"""Default size budget: at most this many entries in one trajectory tensor [D]."""


class SizeBudgetError(ValueError):
    """An exact computation would exceed its stated size budget."""


def check_size_budget(O: int, A: int, H: int, max_entries: int = DEFAULT_MAX_ENTRIES,
                      what: str = "trajectory tensor", factor: int = 1) -> int:
    """Number of entries ``factor * (O A)^H``; raise :class:`SizeBudgetError` if over budget.

    Examples
    --------
    >>> check_size_budget(3, 2, 3)
    216
    """
    n = factor * (O * A) ** H
    if n > max_entries:
        raise SizeBudgetError(
            f"{what} would have {factor} * ({O}*{A})^{H} = {n} entries, over the size "
            f"budget max_entries={max_entries}; lower H or pass a larger max_entries")
    return n


class POMDP:
    r"""An episodic tabular POMDP with exact trajectory probabilities.

    Parameters
    ----------
    T : array_like, shape (A, S, S) or (H-1, A, S, S)
        Latent transitions, ``T[(h,) a, s, s']`` (rows sum to 1).
    E : array_like, shape (S, O) or (H, S, O)
        Emissions, ``E[(h,) s, o]`` (rows sum to 1).
    horizon : int
        ``H >= 1``.
    mu : array_like, shape (S,), optional
        Initial latent distribution (default: all mass on state 0).
    max_entries : int
        Size budget of every exact trajectory-tensor computation.

    Raises
    ------
    ValueError
        Naming the argument and offending index, e.g.
        ``E[1] is not a distribution (sum 0.9)``.

    Examples
    --------
    >>> m = POMDP(np.full((1, 2, 2), 0.5), np.eye(2), horizon=2)
    >>> P = m.traj_probs()  # P[o_1, a_1, o_2, a_2], conditioned on the actions
    >>> P.shape
    (2, 1, 2, 1)
    >>> float(P.sum())  # one action sequence: a law over observation sequences
    1.0
    """

    def __init__(self, T, E, horizon: int, mu=None,
                 max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        H = check_int(horizon, "horizon", low=1)
        T = as_float_array(T, "T")
        E = as_float_array(E, "E")
        # The model stores one (A, S, S) and one (S, O) block per stage: refuse a
        # horizon whose arrays cannot be held, before anything is allocated.
        per_stage = (T.shape[-3] * T.shape[-1] ** 2 if T.ndim >= 3 else 0) + (
            E.shape[-2] * E.shape[-1] if E.ndim >= 2 else 0)
        if H * max(per_stage, 1) > 2 ** 31:
            raise ValueError(f"horizon={H} is too large: the model would hold "
                             f"{H * per_stage:.3g} entries")
        if E.ndim == 2:
            check_distribution_rows(E, "E")
            E = np.broadcast_to(E, (H,) + E.shape)
        elif E.ndim != 3 or E.shape[0] != H:
            raise ValueError(f"E must be (S, O) or (H, S, O) with H={H}, got shape {E.shape}")
        S, O = E.shape[1], E.shape[2]
        if T.ndim == 3:
            if T.size:  # validated here: with H = 1 no stage uses it, but it is still input
                check_distribution_rows(T, "T")
            T = np.broadcast_to(T, (max(H - 1, 0),) + T.shape)
        elif T.ndim != 4 or T.shape[0] != H - 1:
            raise ValueError(f"T must be (A, S, S) or (H-1, A, S, S) with H={H}, "
                             f"got shape {T.shape}")
        if T.shape[2] != S or T.shape[3] != S:
            raise ValueError(f"T must have S={S} states on its last two axes (E has S={S}), "
                             f"got shape {T.shape}")
        A = T.shape[1]
        if A < 1:
            raise ValueError(f"T must have at least one action, got shape {T.shape}")
        if T.size:
            check_distribution_rows(np.asarray(T), "T")
        check_distribution_rows(np.asarray(E), "E")
        if mu is None:
            mu = np.zeros(S)
            mu[0] = 1.0
        mu = check_distribution(mu, "mu", size=S)
        self.S, self.O, self.A, self.H = S, O, A, H
        self.max_entries = check_int(max_entries, "max_entries", low=1)
        self.T = np.ascontiguousarray(T)
        self.E = np.ascontiguousarray(E)
        self.mu = mu
        for arr in (self.T, self.E, self.mu):
            arr.setflags(write=False)
        self._P: np.ndarray | None = None

    # ------------------------------------------------------------------ shapes
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape ``(O, A) * H`` of every trajectory tensor."""
        return (self.O, self.A) * self.H

    @property
    def n_traj(self) -> int:
        """``F = (O A)^H``, the number of full trajectories."""
        return (self.O * self.A) ** self.H

    # --------------------------------------------------------- trajectory law
    def traj_probs(self) -> np.ndarray:
        r"""The trajectory tensor :math:`P_\theta(\tau_H)`, shape ``(O, A) * H`` (read-only).

        Forward recursion over latent states [D]:
        :math:`\alpha_1(o_1, s) = \mu(s) E_1(s, o_1)`,
        :math:`\alpha_{h+1}(\tau_h, o_{h+1}, s') = \sum_s \alpha_h(\cdot, s)
        T_h(s' \mid s, a_h) E_{h+1}(s', o_{h+1})`, and
        :math:`P = \sum_s \alpha_H` copied along the (irrelevant) ``a_H`` axis.
        For every fixed action sequence the entries sum to 1 over observations.
        """
        if self._P is None:
            check_size_budget(self.O, self.A, self.H, self.max_entries,
                              factor=max(self.S, 1))
            alpha = (self.mu[:, None] * self.E[0]).T  # (O, S)
            for h in range(1, self.H):
                alpha = np.einsum("...s,ast,to->...aot", alpha, self.T[h - 1], self.E[h])
            P = alpha.sum(-1)
            P = np.ascontiguousarray(np.broadcast_to(P[..., None], P.shape + (self.A,)))
            P.setflags(write=False)
            self._P = P
        return self._P

    def brute_force_traj_probs(self) -> np.ndarray:
        """Slow reference: enumerate every latent path for every trajectory (tests only)."""
        check_size_budget(self.O, self.A, self.H, min(self.max_entries, 10**6),
                          factor=self.S ** self.H, what="latent-path enumeration")
        P = np.zeros(self.shape)
        S, O, A, H = self.S, self.O, self.A, self.H
        for traj in itertools.product(*([range(O), range(A)] * H)):
            obs, act = traj[0::2], traj[1::2]
            tot = 0.0
            for path in itertools.product(range(S), repeat=H):
                p = self.mu[path[0]] * self.E[0, path[0], obs[0]]
                for h in range(1, H):
                    p *= self.T[h - 1, act[h - 1], path[h - 1], path[h]]
                    p *= self.E[h, path[h], obs[h]]
                tot += p
            P[traj] = tot
        return P

    # ----------------------------------------------------------------- beliefs
    def initial_belief(self, o: int) -> np.ndarray:
        r"""Belief :math:`P(s_1 \mid o_1)` (raises if ``o`` has probability 0)."""
        b = self.mu * self.E[0, :, o]
        return _normalise(b, f"o_1={o}")

    def belief_update(self, b: np.ndarray, a: int, o: int, h: int) -> np.ndarray:
        r"""Bayes filter: :math:`b'(s') \propto \sum_s b(s) T_h(s' \mid s, a) E_{h+1}(s', o)`.

        ``b`` is the belief over :math:`s_h` (1-based ``h``, ``1 <= h < H``),
        the result the belief over :math:`s_{h+1}` after :math:`a_h = a` and
        :math:`o_{h+1} = o`.
        """
        h = check_int(h, "h", low=1)
        if h >= self.H:
            raise ValueError(f"h must be < H={self.H}, got {h}")
        b = check_distribution(b, "b", size=self.S)
        return _normalise((b @ self.T[h - 1, a]) * self.E[h, :, o], f"(a={a}, o={o})")

    def next_obs_probs(self, b: np.ndarray, a: int, h: int) -> np.ndarray:
        r""":math:`P(o_{h+1} = \cdot \mid \text{belief } b \text{ over } s_h, a_h = a)`."""
        return (b @ self.T[h - 1, a]) @ self.E[h]

    def optimal_value_belief(self, r) -> float:
        r"""Optimal value by dynamic programming over beliefs (reference planner).

        For an additive reward :math:`R(\tau) = \frac1H \sum_h r_h(o_h, a_h)`
        with ``r`` of shape ``(H, O, A)``,
        :math:`V_h(b) = \sum_o P(o \mid b) \max_a [r_h(o, a)/H + V_{h+1}(b'(b, a, o))]`.
        It visits every reachable belief (exponential in ``H``, size-checked).
        """
        r = _check_step_reward(r, self.O, self.A, self.H)
        check_size_budget(self.O, self.A, self.H, self.max_entries, what="belief tree")

        def V(b: np.ndarray, h: int) -> float:
            # b: belief over s_h before o_h is seen (as a predictive law)
            po = b @ self.E[h - 1]
            tot = 0.0
            for o in range(self.O):
                if po[o] <= 0:
                    continue
                post = b * self.E[h - 1, :, o] / po[o]
                best = -np.inf
                for a in range(self.A):
                    q = r[h - 1, o, a] / self.H
                    if h < self.H:
                        q += V(post @ self.T[h - 1, a], h + 1)
                    best = max(best, q)
                tot += po[o] * best
            return tot

        return float(V(self.mu, 1))

    # --------------------------------------------------------------- PSR view
    def is_revealing(self, tol: float = 1e-10) -> bool:
        """Whether every emission matrix ``E[h].T`` (O x S) has full column rank ``S``."""
        return all(np.linalg.matrix_rank(self.E[h].T, tol=tol) == self.S for h in range(self.H))

    def psr_operators(self) -> tuple[np.ndarray, np.ndarray]:
        r"""Observable operators with single-observation core tests [D].

        With :math:`\mathbb{O}_h = E_h^\top` (shape ``(O, S)``) of full column
        rank, :math:`\psi_0 = \mathbb{O}_1 \mu` and

        .. math::

            M_h(o, a) = \mathbb{O}_{h+1} T_h[a]^\top \operatorname{diag}(\mathbb{O}_h[o, :])
            \mathbb{O}_h^{+}, \qquad
            P_\theta(\tau_H) = e_{o_H}^\top M_{H-1}(o_{H-1}, a_{H-1}) \cdots
            M_1(o_1, a_1) \psi_0 .

        Returns ``psi0`` (O,) and ``M`` of shape ``(H-1, O, A, O, O)``.

        Raises
        ------
        ValueError
            If the POMDP is not revealing (some ``E[h]`` has rank < S).
        """
        if not self.is_revealing():
            raise ValueError("E must have full column rank S for single-observation core "
                             "tests (the POMDP is not revealing)")
        Ob = [self.E[h].T for h in range(self.H)]
        psi0 = Ob[0] @ self.mu
        M = np.zeros((max(self.H - 1, 0), self.O, self.A, self.O, self.O))
        for h in range(self.H - 1):
            pinv = np.linalg.pinv(Ob[h])
            for o in range(self.O):
                for a in range(self.A):
                    M[h, o, a] = Ob[h + 1] @ self.T[h, a].T @ np.diag(Ob[h][o]) @ pinv
        return psi0, M

    def psr_traj_probs(self) -> np.ndarray:
        """The trajectory tensor from the PSR operator product (must equal :meth:`traj_probs`)."""
        psi0, M = self.psr_operators()
        check_size_budget(self.O, self.A, self.H, self.max_entries, factor=self.O)
        psi = psi0  # psi(tau_h)[q] = P(o_{1:h}, o_{h+1} = q | a_{1:h})
        for h in range(self.H - 1):
            psi = np.einsum("...p,oaqp->...oaq", psi, M[h])
        return np.ascontiguousarray(np.broadcast_to(psi[..., None], psi.shape + (self.A,)))

    def dynamics_matrix(self, h: int) -> np.ndarray:
        r"""System-dynamics matrix :math:`D_h[\tau_h, \omega_h] = P_\theta(\tau_h, \omega_h)`.

        Rows: histories of length ``h`` (``(O A)^h``), columns: futures of
        length ``H - h`` (``0 <= h < H``).
        """
        h = check_int(h, "h", low=0)
        if h >= self.H:
            raise ValueError(f"h must be < H={self.H}, got {h}")
        return self.traj_probs().reshape((self.O * self.A) ** h, -1)

    def rank(self, tol: float = 1e-10) -> int:
        r"""PSR rank :math:`r = \max_h \operatorname{rank} D_h` (Definition 1 of [1]) [V/R].

        At most the number of latent states ``S``.
        """
        return max(int(np.linalg.matrix_rank(self.dynamics_matrix(h), tol=tol))
                   for h in range(self.H))

    def core_tests(self, h: int, tol: float = 1e-10) -> list[tuple[int, ...]]:
        r"""A minimal core test set :math:`Q_h` at step ``h`` (0-based history length).

        Tests :math:`q = (o_{h+1}, a_{h+1}, \dots, o_{h+W})` are scanned by
        increasing length ``W`` and kept greedily while they raise the rank
        of the test-prediction matrix :math:`[P(\tau_h, q)]`, until it reaches
        :math:`\operatorname{rank} D_h` [D]. For a revealing POMDP the result
        consists of single-observation tests (``W = 1``).
        """
        D = self.dynamics_matrix(h)
        target = int(np.linalg.matrix_rank(D, tol=tol))
        P = self.traj_probs()
        nh = (self.O * self.A) ** h
        chosen: list[tuple[int, ...]] = []
        cols: list[np.ndarray] = []
        O, A = self.O, self.A
        Qfull = P.reshape((nh,) + (O, A) * (self.H - h))
        for W in range(1, self.H - h + 1):
            # joint P(tau_h, o_{h+1}, a_{h+1}, ..., o_{h+W}): later actions fixed to 0,
            # later observations summed out; a_{h+W} does not enter the prediction
            X = Qfull
            for _ in range(self.H - h - W):
                X = X[..., 0].sum(-1)
            X = X[..., 0]
            for q in itertools.product(*([range(O), range(A)] * (W - 1) + [range(O)])):
                col = X[(slice(None),) + q]
                trial = np.column_stack(cols + [col])
                if np.linalg.matrix_rank(trial, tol=tol) > len(cols):
                    cols.append(col)
                    chosen.append(q)
                    if len(chosen) == target:
                        return chosen
        return chosen
        return chosen

    def gamma(self) -> float:
        r"""Well-conditioning constant :math:`\gamma = 1 / \max_h \|\mathbb{O}_h^+\|_{1 \to 1}`.

        For a revealing POMDP with single-observation core tests both
        conditions of the paper's Eq. 2 hold with this :math:`\gamma`
        (our derivation [D]). Returns ``0.0`` when some emission
        matrix is rank deficient (no single-observation certificate).
        """
        if not self.is_revealing():
            return 0.0
        norm = max(np.abs(np.linalg.pinv(self.E[h].T)).sum(axis=0).max()
                   for h in range(self.H))
        return float(1.0 / norm)

    def value(self, pi: np.ndarray, R: np.ndarray) -> float:
        r"""Exact value :math:`V^\pi_{\theta, R} = \sum_\tau P_\theta(\tau) \pi(\tau) R(\tau)`."""
        return policy_value(self.traj_probs(), pi, R)

    def optimal(self, R: np.ndarray) -> Plan:
        """Optimal value and a deterministic optimal history policy for reward tensor ``R``."""
        R = _check_tensor(R, "R", self.shape)
        check_in_range(R, "R", 0.0, 1.0)
        return maxsum(self.traj_probs() * R, self.O, self.A, self.H)


def _normalise(b: np.ndarray, what: str) -> np.ndarray:
    z = b.sum()
    if z <= 0:
        raise ValueError(f"observation {what} has probability 0 under the belief")
    return b / z


def _check_tensor(x, name: str, shape: tuple[int, ...]) -> np.ndarray:
    x = as_float_array(x, name)
    F = int(np.prod(shape))
    if x.shape != shape and x.shape != (F,):
        raise ValueError(f"{name} must have shape {shape} or ({F},), got {x.shape}")
    return x.reshape(shape)


def _check_step_reward(r, O: int, A: int, H: int) -> np.ndarray:
    r = as_float_array(r, "r")
    if r.shape == (H, O):
        r = np.repeat(r[..., None], A, axis=-1)
    if r.shape != (H, O, A):
        raise ValueError(f"r must have shape (H, O) or (H, O, A) = ({H}, {O}, {A}), "
                         f"got {r.shape}")
    return check_in_range(r, "r", 0.0, 1.0)


def reward_tensor(r, O: int, A: int, H: int) -> np.ndarray:
    r"""Trajectory reward :math:`R(\tau) = \frac1H \sum_h r_h(o_h, a_h)` in [0, 1].

    ``r`` has shape ``(H, O)`` or ``(H, O, A)`` with entries in [0, 1]
    (the default reward). Returns a tensor of shape ``(O, A) * H``.
    """
    r = _check_step_reward(r, O, A, H)
    check_size_budget(O, A, H, DEFAULT_MAX_ENTRIES)
    R = np.zeros((O, A) * H)
    for h in range(H):
        shape = [1] * (2 * H)
        shape[2 * h], shape[2 * h + 1] = O, A
        R = R + r[h].reshape(shape)
    return R / H


# ------------------------------------------------------------------ policies
def policy_tensor(tables, O: int, A: int) -> np.ndarray:
    r"""Policy tensor :math:`\pi(\tau_H) = \prod_t \pi_t(a_t \mid \tau_{t-1}, o_t)`.

    Parameters
    ----------
    tables : sequence of H arrays
        ``tables[h]`` (0-based) has shape ``(O, A) * h + (O,)`` with integer
        actions in ``[0, A)`` (deterministic) or ``(O, A) * h + (O, A)`` with
        probabilities (rows sum to 1) (stochastic).

    Returns
    -------
    ndarray, shape (O, A) * H
    """
    H = len(tables)
    if H < 1:
        raise ValueError("tables must hold at least one step")
    check_size_budget(O, A, H, DEFAULT_MAX_ENTRIES)
    pi = np.ones(())
    for h, tab in enumerate(tables):
        tab = np.asarray(tab)
        base = (O, A) * h + (O,)
        name = f"tables[{h}]"
        if np.issubdtype(tab.dtype, np.integer):
            if tab.shape != base:
                raise ValueError(f"{name} must have shape {base}, got {tab.shape}")
            bad = (tab < 0) | (tab >= A)
            if bad.any():
                i = tuple(int(j) for j in np.argwhere(bad)[0])
                raise ValueError(f"{name}{list(i)} is not an action in [0, {A}) ({tab[i]})")
            step = (tab[..., None] == np.arange(A)).astype(np.float64)
        else:
            step = as_float_array(tab, name)
            if step.shape != base + (A,):
                raise ValueError(f"{name} must have shape {base + (A,)}, got {step.shape}")
            check_distribution_rows(step, name)
        pi = pi[..., None, None] * step
    return pi


def policy_tables(pi: np.ndarray, O: int, A: int, H: int) -> list[np.ndarray]:
    """Conditional tables of a policy tensor (inverse of :func:`policy_tensor`).

    Unreachable histories (prefix weight 0) get the uniform distribution.
    """
    pi = _check_tensor(pi, "pi", (O, A) * H)
    tables = []
    cur = pi
    margs = [cur]
    for _ in range(H - 1):
        cur = cur.sum(-1)[..., 0]  # sum a_H, then o_H is irrelevant
        margs.append(cur)
    margs = margs[::-1]  # margs[h] has shape (O, A) * (h + 1)
    for h in range(H):
        joint = margs[h]
        prev = joint.sum(-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            cond = np.where(prev > 0, joint / np.where(prev > 0, prev, 1.0), 1.0 / A)
        tables.append(cond)
    return tables


def uniform_policy_tensor(O: int, A: int, H: int) -> np.ndarray:
    """The uniformly random policy, :math:`\\pi(\\tau) = A^{-H}`."""
    check_size_budget(O, A, H, DEFAULT_MAX_ENTRIES)
    return np.full((O, A) * H, float(A) ** -H)


def exploration_tensor(pi: np.ndarray, h: int, O: int, A: int, H: int) -> np.ndarray:
    r"""Exploration policy :math:`\nu_h(\pi)`: follow :math:`\pi` before step ``h``, uniform after.

    The paper's exploration policy with single-observation core tests (:math:`Q^A = \{\emptyset\}`)
    [R/D]: steps ``1..h-1`` follow ``pi``, steps ``h..H`` play uniformly
    (1-based ``h`` in ``1..H``).
    """
    h = check_int(h, "h", low=1)
    if h > H:
        raise ValueError(f"h must be in 1..H={H}, got {h}")
    cur = _check_tensor(pi, "pi", (O, A) * H)
    for _ in range(H - h + 1):
        cur = cur.sum(-1)[..., 0]  # prefix weight of steps < current
    cur = cur.reshape(cur.shape + (1, 1) * (H - h + 1))
    return np.ascontiguousarray(np.broadcast_to(cur, (O, A) * H)) * float(A) ** -(H - h + 1)


@dataclass(frozen=True)
class Plan:
    """Result of :func:`maxsum`: optimal value(s), policy tables and tensor."""

    value: np.ndarray | float
    tables: list
    O: int
    A: int
    H: int

    def tensor(self, index: tuple[int, ...] = ()) -> np.ndarray:
        """Policy tensor of the plan (of batch entry ``index`` for batched plans)."""
        return policy_tensor([t[index] for t in self.tables], self.O, self.A)


def maxsum(g: np.ndarray, O: int, A: int, H: int) -> Plan:
    r"""Exact :math:`\max_\pi \sum_\tau \pi(\tau) g(\tau)` over history-dependent policies.

    The maximum is attained by a deterministic policy and equals the max-sum
    recursion [D]

    .. math::

        \sum_{o_1} \max_{a_1} \sum_{o_2} \max_{a_2} \cdots \sum_{o_H} \max_{a_H} g(\tau_H).

    ``g`` has shape ``lead + (O, A) * H`` (or ``lead + (F,)``); the reduction
    is batched over the leading axes. Ties go to the lowest action.
    """
    g = np.asarray(g, dtype=np.float64)
    F = (O * A) ** H
    if g.shape[-1] == F and g.shape[-2 * H:] != (O, A) * H:
        lead = g.shape[:-1]
    else:
        lead = g.shape[: g.ndim - 2 * H]
    g = g.reshape(lead + (O, A) * H)
    tables: list = [None] * H
    for h in range(H - 1, -1, -1):
        tables[h] = g.argmax(-1)
        g = g.max(-1).sum(-1)
    value = g if lead else float(g)
    return Plan(value, tables, O, A, H)


def policy_value(P: np.ndarray, pi: np.ndarray, R: np.ndarray) -> float:
    r""":math:`\sum_\tau P(\tau) \pi(\tau) R(\tau)` (all three of one shape or flat)."""
    return float(np.sum(np.asarray(P) * np.asarray(pi) * np.asarray(R)))


def tv_distance(P1: np.ndarray, P2: np.ndarray, pi: np.ndarray) -> float:
    r"""Policy TV :math:`\frac12 \sum_\tau \pi(\tau)|P_\theta(\tau) - P_{\theta'}(\tau)|`.

    Package convention: TV carries the 1/2 [D].
    """
    return 0.5 * float(np.sum(np.asarray(pi) * np.abs(np.asarray(P1) - np.asarray(P2))))


def max_tv(P1: np.ndarray, P2: np.ndarray, O: int, A: int, H: int) -> Plan:
    r""":math:`\max_\pi \mathrm{TV}^\pi(\theta, \theta')` and a maximising policy (batched)."""
    return maxsum(0.5 * np.abs(np.asarray(P1) - np.asarray(P2)), O, A, H)


# --------------------------------------------------------------- sampling
def encode_trajectories(obs, act, O: int, A: int) -> np.ndarray:
    """Flat C-order indices of trajectories given ``obs``, ``act`` of shape (n, H)."""
    obs = np.asarray(obs, dtype=np.int64)
    act = np.asarray(act, dtype=np.int64)
    H = obs.shape[-1]
    idx = np.zeros(obs.shape[:-1], dtype=np.int64)
    for h in range(H):
        idx = (idx * O + obs[..., h]) * A + act[..., h]
    return idx


def decode_trajectories(idx, O: int, A: int, H: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`encode_trajectories`: ``(obs, act)``, each ``idx.shape + (H,)``."""
    idx = np.asarray(idx, dtype=np.int64)
    obs = np.zeros(idx.shape + (H,), dtype=np.int64)
    act = np.zeros(idx.shape + (H,), dtype=np.int64)
    rest = idx.copy()
    for h in range(H - 1, -1, -1):
        act[..., h] = rest % A
        rest //= A
        obs[..., h] = rest % O
        rest //= O
    return obs, act


def sample_trajectories(P: np.ndarray, pi: np.ndarray, n: int,
                        rng: np.random.Generator) -> np.ndarray:
    r"""Draw ``n`` flat trajectory indices from :math:`P^\pi = P \cdot \pi` (exact law).

    Inverse-CDF sampling with uniforms from ``rng``.
    """
    rng = check_rng(rng)
    n = check_int(n, "n", low=0)
    w = (np.asarray(P) * np.asarray(pi)).ravel()
    cdf = np.cumsum(w)
    if abs(cdf[-1] - 1.0) > 1e-9:
        raise ValueError(f"P * pi must sum to 1 over trajectories (sum {cdf[-1]:.12g}); "
                         "is pi a policy tensor of the same shape?")
    u = rng.random(n) * cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), w.size - 1).astype(np.int64)


# -------------------------------------------------------------- likelihood
def _stack_models(models) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu = np.ascontiguousarray(np.stack([m.mu for m in models]))
    T = np.ascontiguousarray(np.stack([np.asarray(m.T) for m in models]))
    E = np.ascontiguousarray(np.stack([np.asarray(m.E) for m in models]))
    return mu, T, E


def _forward_loglik_numpy(mu, T, E, obs, act) -> np.ndarray:
    """Plain-numpy twin of the compiled forward kernel, vectorised over models and batch."""
    M = mu.shape[0]
    B, H = obs.shape
    alpha = mu[:, None, :] * np.transpose(E[:, 0][:, :, obs[:, 0]], (0, 2, 1))  # (M, B, S)
    with np.errstate(divide="ignore", invalid="ignore"):
        tot = alpha.sum(-1)
        ll = np.log(tot)
        alpha = alpha / np.where(tot > 0, tot, 1.0)[..., None]
        for h in range(1, H):
            Ta = T[:, h - 1][:, act[:, h - 1]]  # (M, B, S, S)
            nxt = np.einsum("mbs,mbst->mbt", alpha, Ta)
            nxt = nxt * np.transpose(E[:, h][:, :, obs[:, h]], (0, 2, 1))
            tot = nxt.sum(-1)
            ll = ll + np.log(tot)
            alpha = nxt / np.where(tot > 0, tot, 1.0)[..., None]
    ll[~np.isfinite(ll)] = -np.inf
    return ll.reshape(M, B)


def trajectory_loglik(models, obs, act, backend: str = "numba") -> np.ndarray:
    r"""Log-likelihoods :math:`\log P_m(\tau_b)` of a batch for a class of POMDPs, shape (M, B).

    Policy factors cancel in likelihood ratios and are omitted.
    ``backend`` is ``"numba"`` (compiled forward kernel) or ``"numpy"``.
    """
    models = list(models)
    if not models:
        raise ValueError("models must not be empty")
    H = models[0].H
    for i, m in enumerate(models):
        if not isinstance(m, POMDP):
            raise TypeError(f"models[{i}] must be a POMDP, got {type(m).__name__}")
        if (m.S, m.O, m.A, m.H) != (models[0].S, models[0].O, models[0].A, H):
            raise ValueError(f"models[{i}] has (S, O, A, H) = {(m.S, m.O, m.A, m.H)}, "
                             f"models[0] has {(models[0].S, models[0].O, models[0].A, H)}")
    obs = np.ascontiguousarray(obs, dtype=np.int64)
    act = np.ascontiguousarray(act, dtype=np.int64)
    if obs.ndim != 2 or obs.shape[1] != H or act.shape != obs.shape:
        raise ValueError(f"obs and act must both have shape (B, {H}), got {obs.shape}, "
                         f"{act.shape}")
    O, A = models[0].O, models[0].A
    if obs.size and ((obs < 0) | (obs >= O)).any():
        i = tuple(int(j) for j in np.argwhere((obs < 0) | (obs >= O))[0])
        raise ValueError(f"obs{list(i)} is not an observation in [0, {O})")
    if act.size and ((act < 0) | (act >= A)).any():
        i = tuple(int(j) for j in np.argwhere((act < 0) | (act >= A))[0])
        raise ValueError(f"act{list(i)} is not an action in [0, {A})")
    check_choice(backend, "backend", ("numba", "numpy"))
    mu, T, E = _stack_models(models)
    if backend == "numba":
        from ._pomdp_kernels import forward_loglik

        out = np.empty((len(models), obs.shape[0]))
        forward_loglik(mu, T, E, obs, act, out)
        return out
    return _forward_loglik_numpy(mu, T, E, obs, act)
