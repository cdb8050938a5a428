r"""Inner problems of robust dynamic programming.

For an (s, a)-rectangular uncertainty set every robust backup reduces, pair by
pair, to the inner problem

.. math::

    \sigma_{s,a}(v) = \min_{p \in \mathcal P_{s,a}} p^\top v ,

the adversary's choice of next-state distribution against the value ``v``
(Iyengar 2005, Sec. 3; Nilim and El Ghaoui 2005, Sec. 3). This module solves
it exactly for three families of sets, vectorised over all pairs at once:

* a finite set of distributions (the scenario model): a minimum over the list;
* an L1 ball :math:`\{p \in \Delta : \|p - \hat p\|_1 \le \beta\}`: a closed
  form (the greedy mass transfer used by UCRL2's extended value iteration,
  Jaksch et al. 2010, Fig. 2, with max and min exchanged);
* a KL ball :math:`\{p \in \Delta : \mathrm{KL}(p \| \hat p) \le \beta\}`:
  its one-dimensional Lagrangian dual (Nilim and El Ghaoui 2005, Sec. 3.5),
  solved by bisection with a certified gap between a feasible primal point
  and the dual value.

Every function returns the worst distributions as well as the values, so the
caller can build the adversary's static model.
"""

from __future__ import annotations

import numpy as np

__all__ = ["finite_worst", "kl_worst", "l1_worst"]


def finite_worst(C: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Inner problem over finite sets: :math:`\min_k C_{s,a,k} \cdot v`.

    Parameters
    ----------
    C : ndarray, shape (S, A, K, S)
        ``C[s, a, k]`` is the k-th candidate distribution of pair (s, a).
    v : ndarray, shape (S,)
        Values of the next states.

    Returns
    -------
    values : ndarray, shape (S, A)
        :math:`\sigma_{s,a}(v)`.
    index : ndarray of int, shape (S, A)
        The minimising candidate (ties: the lowest index).
    p : ndarray, shape (S, A, S)
        The minimising distributions, ``C[s, a, index[s, a]]``.
    """
    vals = C @ v
    idx = np.argmin(vals, axis=2)
    values = np.take_along_axis(vals, idx[..., None], axis=2)[..., 0]
    p = np.take_along_axis(C, idx[..., None, None], axis=2)[:, :, 0]
    return values, idx, p


def l1_worst(p_hat: np.ndarray, v: np.ndarray, beta) -> tuple[np.ndarray, np.ndarray]:
    r"""Inner problem over L1 balls, in closed form.

    Solves :math:`\min \{ p^\top v : p \in \Delta, \|p - \hat p\|_1 \le \beta \}`
    for every row of ``p_hat``: move :math:`\delta = \min(\beta/2, 1 - \hat p(i))`
    of mass onto :math:`i = \arg\min v`, taking it from the states of largest
    value first. The result is a vertex of the polytope; it can put mass on a
    state outside the support of :math:`\hat p`.

    Parameters
    ----------
    p_hat : ndarray, shape (..., S)
        Centres of the balls (rows are distributions).
    v : ndarray, shape (S,)
        Values of the next states.
    beta : float or ndarray broadcastable to ``p_hat.shape[:-1]``
        Radii, non-negative.

    Returns
    -------
    values : ndarray, shape ``p_hat.shape[:-1]``
        :math:`\sigma(v)` for each row.
    p : ndarray, shape ``p_hat.shape``
        The minimising distributions.

    Examples
    --------
    >>> import numpy as np
    >>> values, p = l1_worst(np.array([0.5, 0.5]), np.array([0.0, 1.0]), 0.4)
    >>> p
    array([0.7, 0.3])
    """
    v = np.asarray(v, dtype=float)
    order = np.argsort(-v, kind="stable")  # largest value first
    i = int(np.argmin(v))  # ties: lowest index (argmin's rule)
    donors = order[order != i]
    p = np.array(p_hat, dtype=float, copy=True)
    delta = np.minimum(np.asarray(beta, dtype=float) / 2.0, 1.0 - p[..., i])
    delta = np.maximum(delta, 0.0)
    # Mass taken from the donors in order: each gives what is left of delta,
    # up to its own mass.
    pd = p[..., donors]
    before = np.cumsum(pd, axis=-1) - pd
    take = np.clip(delta[..., None] - before, 0.0, pd)
    p[..., donors] = pd - take
    p[..., i] += take.sum(axis=-1)
    return p @ v, p


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(p / np.where(q > 0, q, 1.0)), 0.0)
    return t.sum(axis=-1)


def kl_worst(p_hat: np.ndarray, v: np.ndarray, beta, *, iterations: int = 70
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Inner problem over KL balls, by its one-dimensional dual.

    For :math:`\beta > 0` and :math:`M = \arg\min_{s \in \mathrm{supp}\,\hat p} v(s)`,

    .. math::

        \sigma(v) = \max_{\lambda \ge 0}
        \Big\{ -\lambda \beta - \lambda \log \sum_s \hat p(s) e^{-v(s)/\lambda} \Big\},

    with primal maximiser :math:`p_\lambda(s) \propto \hat p(s) e^{-v(s)/\lambda}`;
    :math:`\mathrm{KL}(p_\lambda \| \hat p)` decreases in :math:`\lambda`, so the
    optimal :math:`\lambda` solves :math:`\mathrm{KL}(p_\lambda\|\hat p) = \beta`,
    found by bisection on :math:`\log \lambda`. If
    :math:`\beta \ge -\log \hat p(M)` the optimum is :math:`\hat p` restricted
    to :math:`M`, with value :math:`\min_{\mathrm{supp}\,\hat p} v` exactly.

    Parameters
    ----------
    p_hat : ndarray, shape (..., S)
        Centres (rows are distributions).
    v : ndarray, shape (S,)
        Values of the next states.
    beta : float or ndarray broadcastable to ``p_hat.shape[:-1]``
        Radii, non-negative.
    iterations : int, optional
        Bisection steps on :math:`\log \lambda`; the bracket has width 120,
        so 70 steps pin :math:`\log \lambda` to about 1e-19.
        Radii below 1e-14 return the centre: KL is computed to about 1e-16,
        which would otherwise let the tilted point leave the ball by 1e-8.

    Returns
    -------
    values : ndarray, shape ``p_hat.shape[:-1]``
        :math:`p^\top v` at the returned feasible point (an upper bound on
        :math:`\sigma(v)`).
    p : ndarray, shape ``p_hat.shape``
        Feasible distributions (:math:`\mathrm{KL}(p\|\hat p) \le \beta`).
    gap : ndarray, shape ``p_hat.shape[:-1]``
        ``values`` minus the dual value at the same bracket: a certified bound
        on the error, :math:`0 \le \text{values} - \sigma(v) \le \text{gap}`.
    """
    v = np.asarray(v, dtype=float)
    q = np.asarray(p_hat, dtype=float)
    shape = q.shape[:-1]
    beta = np.broadcast_to(np.asarray(beta, dtype=float), shape)
    supp = q > 0
    vmin = np.where(supp, v, np.inf).min(axis=-1)
    u = np.where(supp, v - vmin[..., None], 0.0)  # >= 0 on the support
    mass_m = np.where(supp & (u == 0.0), q, 0.0).sum(axis=-1)
    corner = beta >= -np.log(mass_m)
    p_corner = np.where(supp & (u == 0.0), q, 0.0) / mass_m[..., None]

    def tilt(log_lam):
        lam = np.exp(log_lam)[..., None]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = np.where(u > 0, u / lam, 0.0)  # lam can underflow to 0 for tiny spans
        w = np.where(supp, q * np.exp(-x), 0.0)
        z = w.sum(axis=-1)
        return w / z[..., None], z

    span = u.max(axis=-1)
    span = np.where(span > 0, span, 1.0)  # constant v on the support: the corner case
    lo = np.log(span) - 60.0  # KL(p_lam) near -log q(M) > beta (non-corner rows)
    hi = np.log(span) + 60.0  # KL(p_lam) near 0 <= beta
    # Invariant: ``hi`` is feasible once ``found``; before that the centre itself
    # (KL = 0) is the feasible point, which also covers beta = 0.
    found = np.zeros(shape, dtype=bool)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        p_mid, _ = tilt(mid)
        feasible = _kl(p_mid, q) <= beta
        hi = np.where(feasible, mid, hi)
        lo = np.where(feasible, lo, mid)
        found |= feasible
    p, z = tilt(hi)
    lam = np.exp(hi)
    # KL is second order in p - q: a rounding error of 1e-16 in it moves p by
    # 1e-8, so radii below 1e-14 are the centre itself.
    found &= beta >= 1e-14
    p = np.where(found[..., None], p, q)
    primal = (p * u).sum(axis=-1)
    dual = -lam * beta - lam * np.log(z)  # weak duality: a lower bound at any lambda
    values = np.where(corner, vmin, vmin + primal)
    gap = np.where(corner, 0.0, np.maximum(primal - dual, 0.0))
    p = np.where(corner[..., None], p_corner, p)
    return values, p, gap
