r"""DOPE: doubly optimistic and pessimistic exploration for safe RL.

A. Bura, A. HasanzadeZonuzy, D. Kalathil, S. Shakkottai, J.-F. Chamberland,
*DOPE: Doubly Optimistic and Pessimistic Exploration for Safe Reinforcement
Learning*, NeurIPS 2022, arXiv:2112.00885 ([1]_). Here it is the
zero-violation CMDP baseline that StepMix and EpsMix are compared with
(docs/theory/stepmix.md).

Conservative exploration as a CMDP [D]. With cost :math:`c_h = 1 - r_h` and
threshold :math:`\bar C = H - (1-\alpha)V_b`, the constraint
:math:`V^\pi_c \le \bar C` is :math:`V^\pi_r \ge (1-\alpha)V_b`, the
episode-wise constraint of StepMix; the baseline's slack is
:math:`\kappa = \alpha V_b`. We state everything in reward form.

Each episode [R mechanics, D constants] the agent solves the *extended* linear
program over occupancy measures :math:`q_h(s, a, s')` of a policy and a kernel
:math:`P'` in the confidence set (Efroni, Mannor & Pirotta 2020; used by [1]_):

.. math::

    \max_q \sum_{h,s,a,s'} q_h(s,a,s')\,\big(r_h(s,a) + \lambda\,\beta_h(s,a)\big)
    \quad\text{s.t.}\quad
    \sum_{h,s,a,s'} q_h(s,a,s')\,\big(r_h(s,a) - \beta_h(s,a)\big) \ge (1-\alpha)V_b,

the flow constraints :math:`\sum_{a,s'} q_1(s,a,s') = \mu(s)`,
:math:`\sum_{a,s'} q_{h}(s,a,s') = \sum_{s'',a''} q_{h-1}(s'',a'',s)`, and the
L1 confidence set :math:`\sum_{s'} |q_h(s,a,s') - \hat P(s'|s,a)\, m_h(s,a)| \le
\varepsilon(n(s,a))\, m_h(s,a)`, :math:`m_h(s,a) = \sum_{s'} q_h(s,a,s')`
(linearised with one auxiliary variable per entry). ``Double optimism``: the
kernel is chosen optimistically within the set *and* the objective carries
the bonus :math:`\lambda\beta` with :math:`\lambda = 1 + H/\kappa`;
``pessimism``: the constraint charges :math:`\beta`.

Width :math:`\varepsilon(n) = \sqrt{2(S\ln 2 + \iota)/n}` is the L1 radius of the
event shared with EpsMix and StepMix (Weissman et al. 2003, probability at
least :math:`1-\delta`). The bonus is
:math:`\beta_h(s,a) = (H-h)\min\{1, \varepsilon(n(s,a))\}` (``h`` 1-based; 0 at the
last step). Safety [D]: on the event, for the kernel :math:`P'` of the LP
solution (in the set) and any policy, the simulation lemma gives
:math:`V^\pi_P(r) - V^\pi_{P'}(r) = E^\pi_{P'}\sum_h (P - P')V^\pi_{P,h+1}
\ge -E^\pi_{P'}\sum_h \tfrac{H-h}{2}\|P - P'\|_1 \ge -V^\pi_{P'}(\beta)`, since
:math:`\|P - P'\|_1 \le \min\{2, 2\varepsilon\}`; so the LP's constraint certifies
:math:`V^\pi_P(r) \ge (1-\alpha)V_b`. When the LP is infeasible the baseline is
played (the paper plays it for a fixed number :math:`K_0` of initial episodes
instead; the infeasibility test needs no :math:`K_0`) [D].

The policy is read off the solution, :math:`\pi_h(a|s) = m_h(s,a)/\sum_b m_h(s,b)`
(the baseline's action where the LP's occupancy is 0: those states are not
reached under :math:`P'`, so the certificate does not depend on them). The
reported ``lower_bound`` is the exact value :math:`V^\pi_{P'}(r - \beta)` of that
policy in the LP's kernel, recomputed after the solve; a solution whose
recomputed bound misses the threshold (solver tolerance) is not played.

The LP is solved with HiGHS through :func:`scipy.optimize.linprog` (about
:math:`2HS^2A` variables; milliseconds for the instances of the proof checks).
:class:`~theoryrl.agents.conservative.DOPESwitch` is the LP-free ablation that
restricts the program to :math:`\{\pi^k, \pi_b\}`.

References
----------
.. [1] A. Bura, A. HasanzadeZonuzy, D. Kalathil, S. Shakkottai,
   J.-F. Chamberland, "DOPE: Doubly Optimistic and Pessimistic Exploration for
   Safe Reinforcement Learning", NeurIPS 2022, arXiv:2112.00885.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..models.tabular import MDPSpec
from .base import Trajectory
from .stepmix import _Conservative

__all__ = ["DOPE", "OccupancyLP", "solve_occupancy_lp", "occupancy_measure"]

# the threshold is raised by this much inside the LP; the played solution is
# re-checked exactly, so the margin only keeps that check from failing on
# HiGHS's feasibility tolerance (1e-7)
_MARGIN = 1e-6


class OccupancyLP(NamedTuple):
    """Solution of :func:`solve_occupancy_lp`.

    Attributes
    ----------
    feasible : bool
        Whether HiGHS found an optimum (False: infeasible program).
    q : numpy.ndarray, shape (H, S, A, S)
        Occupancy measure :math:`q_h(s, a, s')` (zeros when infeasible).
    value : float
        Objective value :math:`\\sum q\\, r_{obj}`.
    constraint : float
        Constraint value :math:`\\sum q\\, r_{con}`.
    """

    feasible: bool
    q: np.ndarray
    value: float
    constraint: float

    def policy(self, fill: np.ndarray | None = None) -> np.ndarray:
        """:math:`\\pi_h(a|s) = m_h(s,a)/\\sum_b m_h(s,b)`, shape (H, S, A); rows with
        zero occupancy take ``fill`` (H, S, A) (uniform by default)."""
        m = self.q.sum(axis=-1)
        tot = m.sum(axis=-1, keepdims=True)
        H, S, A = m.shape
        base = np.full((H, S, A), 1.0 / A) if fill is None else np.asarray(fill, float)
        with np.errstate(invalid="ignore", divide="ignore"):
            pi = np.where(tot > 1e-12, m / np.where(tot > 0, tot, 1.0), base)
        return pi / pi.sum(axis=-1, keepdims=True)

    def kernel(self, P_hat: np.ndarray) -> np.ndarray:
        """The LP's kernel :math:`P'_h(s'|s,a) = q_h(s,a,s')/m_h(s,a)`, shape (H, S, A, S);
        ``P_hat`` (S, A, S) where the occupancy is 0."""
        m = self.q.sum(axis=-1, keepdims=True)
        P = np.broadcast_to(np.asarray(P_hat, float), self.q.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            K = np.where(m > 1e-12, self.q / np.where(m > 0, m, 1.0), P)
        return K / K.sum(axis=-1, keepdims=True)


def solve_occupancy_lp(P_hat: np.ndarray, eps: np.ndarray, init: np.ndarray,
                       r_obj: np.ndarray, r_con: np.ndarray,
                       threshold: float) -> OccupancyLP:
    r"""The extended occupancy-measure LP of DOPE (module docstring).

    Parameters
    ----------
    P_hat : numpy.ndarray, shape (S, A, S)
        Centre of the confidence set (rows of unvisited pairs are ignored).
    eps : numpy.ndarray, shape (S, A)
        L1 radii; ``inf`` (or any value >= 2) leaves the row of :math:`P'` free.
    init : numpy.ndarray, shape (S,)
        Initial distribution :math:`\mu`.
    r_obj, r_con : numpy.ndarray, shape (H, S, A)
        Per-step rewards of the objective and of the constraint.
    threshold : float
        Lower bound on :math:`\sum q\, r_{con}` (``-inf``: unconstrained).

    Returns
    -------
    OccupancyLP
    """
    r_obj = np.asarray(r_obj, float)
    r_con = np.asarray(r_con, float)
    H, S, A = r_obj.shape
    P_hat = np.asarray(P_hat, float)
    eps = np.asarray(eps, float)
    if P_hat.shape != (S, A, S) or eps.shape != (S, A) or r_con.shape != (H, S, A):
        raise ValueError(f"P_hat must be (S, A, S), eps (S, A), r_con (H, S, A) with "
                         f"(H, S, A) = {(H, S, A)}; got {P_hat.shape}, {eps.shape}, "
                         f"{r_con.shape}")
    nq = H * S * A * S
    qi = np.arange(nq).reshape(H, S, A, S)
    active = np.argwhere(np.broadcast_to(eps < 2.0, (H, S, A)))  # (h, s, a) rows with a set
    na = len(active)
    nx = nq + na * S  # q, then one auxiliary per (active row, s')

    # flow: sum_{a,s'} q_h(s,.,.) - sum_{s'',a''} q_{h-1}(s'',a'',s) = mu(s) [h=0] or 0
    rows, cols, vals = [], [], []
    r = np.repeat(np.arange(H * S), A * S)
    rows.append(r)
    cols.append(qi.reshape(H * S, A * S).ravel())
    vals.append(np.ones(r.size))
    if H > 1:
        prev = qi[:-1].transpose(0, 3, 1, 2).reshape((H - 1) * S, S * A)  # into (h, s)
        rr = np.repeat(np.arange(S, H * S), S * A)
        rows.append(rr)
        cols.append(prev.ravel())
        vals.append(-np.ones(rr.size))
    A_eq = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                     np.concatenate(cols))), shape=(H * S, nx))
    b_eq = np.concatenate([np.asarray(init, float), np.zeros((H - 1) * S)])

    # L1 set per active row: +-(q_t - P_hat_t m) - aux_t <= 0, sum_t aux_t - eps m <= 0
    rows, cols, vals, b_ub = [], [], [], []
    nr = 0
    for j, (h, s, a) in enumerate(active):
        qs = qi[h, s, a]
        ph = P_hat[s, a]
        aux = nq + j * S + np.arange(S)
        for sign in (1.0, -1.0):
            for t in range(S):
                coef = np.full(S, -sign * ph[t])  # q_t - P_hat(t) m
                coef[t] += sign
                rows.append(np.full(S + 1, nr))
                cols.append(np.append(qs, aux[t]))
                vals.append(np.append(coef, -1.0))
                b_ub.append(0.0)
                nr += 1
        rows.append(np.full(2 * S, nr))
        cols.append(np.concatenate([aux, qs]))
        vals.append(np.concatenate([np.ones(S), np.full(S, -eps[s, a])]))
        b_ub.append(0.0)
        nr += 1
    con = np.repeat(r_con[..., None], S, axis=-1).ravel()
    if np.isfinite(threshold):
        rows.append(np.full(nq, nr))
        cols.append(np.arange(nq))
        vals.append(-con)
        b_ub.append(-float(threshold))
        nr += 1
    A_ub = (sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                      np.concatenate(cols))), shape=(nr, nx))
            if nr else None)
    obj = np.repeat(r_obj[..., None], S, axis=-1).ravel()
    c = np.concatenate([-obj, np.zeros(na * S)])
    res = linprog(c, A_ub=A_ub, b_ub=np.array(b_ub) if nr else None, A_eq=A_eq, b_eq=b_eq,
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return OccupancyLP(False, np.zeros((H, S, A, S)), float("nan"), float("nan"))
    q = np.maximum(res.x[:nq], 0.0).reshape(H, S, A, S)
    return OccupancyLP(True, q, float(q.ravel() @ obj), float(q.ravel() @ con))


def occupancy_measure(kernel: np.ndarray, policy: np.ndarray, init: np.ndarray) -> np.ndarray:
    r"""Exact occupancy :math:`q_h(s,a,s') = P(s_h = s, a_h = a, s_{h+1} = s')` of a
    Markov ``policy`` (H, S, A) in a step-dependent ``kernel`` (H, S, A, S) from
    ``init`` (S,); shape (H, S, A, S)."""
    kernel = np.asarray(kernel, float)
    policy = np.asarray(policy, float)
    H, S, A, _ = kernel.shape
    q = np.zeros((H, S, A, S))
    d = np.asarray(init, float).copy()
    for h in range(H):
        q[h] = (d[:, None] * policy[h])[..., None] * kernel[h]
        d = q[h].sum(axis=(0, 1))
    return q


class DOPE(_Conservative):
    r"""DOPE (Bura et al., NeurIPS 2022) for the episode-wise conservative constraint.

    Solves :func:`solve_occupancy_lp` every episode (module docstring) and plays
    the LP's policy, or the baseline when the program is infeasible. On the
    confidence event (probability at least :math:`1-\delta`) every played
    policy satisfies :math:`V^{\pi_k} \ge (1-\alpha)V_b` (the safety argument
    of the module docstring, in reward form).

    ``info()``: ``lower_bound`` (certified value of the played policy: the LP
    kernel's exact :math:`V^\pi_{P'}(r-\beta)`, or :math:`V_b` for the baseline),
    ``lp_value`` (objective), ``conservative`` (1 when the baseline is played).

    Parameters
    ----------
    spec : MDPSpec
        ``mdp.spec`` of an episodic MDP with a time-homogeneous kernel.
    episodes : int
        Number of episodes K (sets the log factor of the widths).
    baseline : array_like
        The safe policy :math:`\pi_b`, (H, S) int or (H, S, A) float (required).
    alpha : float, optional
        Allowed relative loss in (0, 1]: the constraint is
        :math:`V^\pi \ge (1-\alpha)V_b`. 0.1 by default.
    delta : float, optional
        Failure probability of the L1 confidence event, in (0, 1). 0.05 by default.
    baseline_value : float, optional
        :math:`V_b` in [0, H] if known; None: unknown, bounded from data.
    **kw : dict
        Further keywords of :class:`~theoryrl.agents.stepmix.EpsMix`:
        ``bonus_scale`` (multiplies the widths; below 1 voids the guarantee)
        and ``anytime``. ``bonus`` must be ``"l1"`` (the set the LP
        linearises); ``optimistic_bonus`` is unused.

    Examples
    --------
    >>> from theoryrl.envs import conservative_trap, conservative_trap_baseline
    >>> mdp = conservative_trap()
    >>> pib = conservative_trap_baseline(mdp)
    >>> agent = DOPE(mdp.spec, episodes=10, baseline=pib, alpha=0.1,
    ...              baseline_value=mdp.initial_value(pib))
    """

    name = "DOPE"

    def __init__(self, spec: MDPSpec, episodes: int, baseline: Any = None, alpha: float = 0.1,
                 delta: float = 0.05, baseline_value: float | None = None,
                 **kw: Any) -> None:
        if kw.get("bonus", "l1") != "l1":
            raise ValueError(f"bonus must be 'l1' for DOPE (its LP linearises the L1 set), "
                             f"got {kw['bonus']!r}")
        super().__init__(spec, episodes, baseline, alpha, delta, baseline_value, **kw)
        H = spec.horizon
        # (H - h) for 1-based h: the span of V_{h+1}; 0 at the last step
        self._span = (H - 1 - np.arange(H)).astype(float)

    def bonus_table(self) -> np.ndarray:
        """:math:`\\beta_h(s,a) = (H-h)\\min\\{1, \\varepsilon(n(s,a))\\}` on the current
        counts, shape (H, S, A)."""
        seen = self._n > 0
        e = np.ones(seen.shape)
        e[seen] = np.minimum(1.0, self.bonus_scale * self._eps[seen])
        return self._span[:, None, None] * e[None]

    def p_hat(self) -> np.ndarray:
        """Empirical kernel (S, A, S) (uniform rows for unvisited pairs)."""
        n = self._n[..., None].astype(float)
        S = self.spec.n_states
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, self._N / np.where(n > 0, n, 1.0), 1.0 / S)

    def _threshold(self) -> tuple[float, float]:
        lo, hi = self._baseline_bounds()
        if self._offline is not None:
            return self._offline.threshold, lo
        return (1.0 - self.alpha) * hi, lo

    def _choose(self) -> None:
        H, S, A = self.spec.horizon, self.spec.n_states, self.spec.n_actions
        thr, lo = self._threshold()
        kappa = max(lo - thr, 0.0)
        lam = 1.0 + H / kappa if kappa > 0 else 1.0 + H
        beta = self.bonus_table()
        R = np.broadcast_to(self._R, (H, S, A))
        seen = self._n > 0
        eps = np.full(seen.shape, np.inf)
        eps[seen] = self.bonus_scale * self._eps[seen]
        P_hat = self.p_hat()
        sol = solve_occupancy_lp(P_hat, eps, self._init, R + lam * beta, R - beta,
                                 thr + _MARGIN)
        go, lb = False, lo
        if sol.feasible:
            pi = sol.policy(fill=self._pib_f)
            kern = sol.kernel(P_hat)
            lb = float(np.sum(occupancy_measure(kern, pi, self._init).sum(-1) * (R - beta)))
            go = lb >= thr
        self._go = go
        self._plan_out = np.ascontiguousarray(pi) if go else self._pib
        self._last = {"lower_bound": lb if go else lo, "conservative": float(not go),
                      "lp_value": sol.value, "threshold": thr}

    def _played(self, traj: Trajectory) -> float:
        return float(self._go)
