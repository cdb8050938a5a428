"""Finite-horizon planning and policy evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, check_int
from . import _kernels

__all__ = ["EpisodicSolution", "backward_induction", "evaluate_policy", "as_stages",
           "check_horizon", "MAX_ENTRIES", "BLAS_SIZE", "TRANSPOSE_SIZE"]

MAX_ENTRIES = 2**31  # H * S * A above this would not fit the Q table in 16 GiB
BLAS_SIZE = 2**17  # S * A * S from which a stage-dependent kernel's products go to BLAS
TRANSPOSE_SIZE = 2**27  # S * A * S up to which a stationary kernel is copied (1 GiB)


def _compiled(HP: int, SAS: int) -> bool:
    """Whether the compiled loop (textbook sums) rather than BLAS computes the products.

    Measured on 2-core x86-64 machines with AVX2 and one BLAS thread: a stationary
    kernel's transposed copy (:func:`theoryrl.planning._kernels._matvec_t8`) beats a
    one-thread BLAS ``gemv`` at every size tried (S * A * S up to 10**7, in cache or
    not), so it is used up to a copy of :data:`TRANSPOSE_SIZE` entries; a stage-dependent
    kernel is summed row by row without SIMD, which BLAS beats from
    :data:`BLAS_SIZE` on.
    """
    return SAS <= TRANSPOSE_SIZE if HP == 1 else SAS < BLAS_SIZE


@dataclass(frozen=True)
class EpisodicSolution:
    r"""Optimal values, Q-values and a greedy policy of a finite-horizon MDP.

    Stage ``h`` runs from 0 to ``H - 1``; :math:`V_H` (zero or the terminal
    values) is not stored.

    Attributes
    ----------
    V : ndarray, shape (H, S)
        Optimal values :math:`V_h(s) = \max_a Q_h(s, a)`.
    Q : ndarray, shape (H, S, A)
        Q-values :math:`Q_h(s, a)` (with bonus and clip, where given).
    policy : ndarray of int64, shape (H, S)
        Greedy actions, ``argmax_a Q_h(s, a)`` (lowest action on ties).
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray


def as_stages(x: np.ndarray, ndim: int) -> np.ndarray:
    """Add a leading stage axis of length 1 to a stationary array (a view)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    return x[None] if x.ndim == ndim else x


def check_horizon(horizon, S: int, A: int) -> int:
    """A horizon H >= 1 whose (H, S, A) solution has at most :data:`MAX_ENTRIES` entries."""
    H = check_int(horizon, "horizon", 1)
    if H * S * A > MAX_ENTRIES:
        raise ValueError(f"horizon={H} is too long for S={S}, A={A}: the solution would hold "
                         f"H * S * A = {H * S * A:.3g} values (at most {MAX_ENTRIES:.3g})")
    return H


def _as_array(x, name: str, nonneg: bool = False) -> np.ndarray:
    """``x`` as a C-contiguous float64 array, finite (and >= 0), in one compiled pass."""
    if isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.c_contiguous:
        a = x
    else:
        a = as_float_array(x, name)  # converts, or names the argument on failure
    bad, lo = _kernels.finite_min(a.reshape(-1))
    if bad >= 0:
        idx = tuple(int(i) for i in np.unravel_index(bad, a.shape))
        raise ValueError(f"{name}{list(idx)} is not finite")
    if nonneg and lo < 0:
        idx = tuple(int(i) for i in np.argwhere(a < 0)[0])
        raise ValueError(f"{name}{list(idx)} is negative ({a[idx]:.3g})")
    return a


def _stage_array(x, name: str, ndim: int, H: int, shape: tuple) -> np.ndarray:
    a = _as_array(x, name)
    if a.ndim == ndim and a.shape == shape:
        return a[None]
    if a.ndim == ndim + 1 and a.shape[1:] == shape and a.shape[0] == H:
        return a
    want = f"{shape} or {(H,) + shape}"
    raise ValueError(f"{name} must have shape {want}, got {a.shape}")


def _check_kernel_shape(P, R, H, values: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Shapes of P and R, and their values unless ``values`` is False (then the caller
    checks P's entries itself: :func:`_run` does it within its first BLAS stage)."""
    if not values and isinstance(P, np.ndarray) and P.dtype == np.float64 \
            and P.flags.c_contiguous:
        pass
    else:
        P = _as_array(P, "P", nonneg=True)
        values = True
    if P.ndim not in (3, 4) or P.shape[-1] != P.shape[-3] or P.size == 0:
        raise ValueError(f"P must have shape (S, A, S) or (H, S, A, S), got {P.shape}")
    S, A = P.shape[-3], P.shape[-2]
    H = check_horizon(H, S, A)
    if P.ndim == 4 and P.shape[0] != H:
        raise ValueError(f"P has {P.shape[0]} stages, so horizon must be {P.shape[0]}, got {H}")
    return (P if P.ndim == 4 else P[None]), _stage_array(R, "R", 2, H, (S, A)), values


def _fast_path(P, R, horizon, bonus, qmax, terminal) -> EpisodicSolution | None:
    """The common call (stationary float64 arrays, no options) in one compiled call that
    validates, allocates and solves; None to take the general path (which also words any
    error). The tests are ordered and written to cost well under a microsecond (the
    compiled work at S = 25 takes about 15); a float64 dtype that is not NumPy's
    canonical object (byte-swapped, say) takes the general path."""
    if type(P) is not np.ndarray or type(R) is not np.ndarray or type(horizon) is not int \
            or P.dtype is not _F64 or R.dtype is not _F64 \
            or bonus is not None or qmax is not None or terminal is not None:
        return None
    shape = P.shape
    if len(shape) != 3 or R.shape != shape[:2] or shape[2] != shape[0] \
            or not (P.flags.c_contiguous and R.flags.c_contiguous):
        return None
    S, A = shape[0], shape[1]
    if S == 0 or A == 0 or S * A * S > TRANSPOSE_SIZE \
            or not 1 <= horizon <= MAX_ENTRIES // (S * A):
        return None
    try:
        V = np.empty((horizon + 1, S))
        Q = np.empty((horizon, S, A))
        pi = np.empty((horizon, S), dtype=np.int64)
    except MemoryError:
        return None  # the general path words it
    if not _kernels.stationary_backward_induction(P, R, V, Q, pi):
        return None
    return EpisodicSolution(V[:horizon], Q, pi)


_F64 = np.dtype(np.float64)


def backward_induction(P: np.ndarray, R: np.ndarray, horizon: int,
                       bonus: np.ndarray | None = None,
                       qmax: np.ndarray | float | None = None,
                       terminal: np.ndarray | None = None) -> EpisodicSolution:
    r"""Optimal values and a greedy policy of a finite-horizon MDP.

    For :math:`h = H-1, \dots, 0`, from :math:`V_H` (zero unless ``terminal``),

    .. math::

        Q_h(s, a) = \min\Big(q^{\max}_h,\; R_h(s, a) + b_h(s, a)
            + \sum_{s'} P_h(s' \mid s, a)\, V_{h+1}(s')\Big),
        \qquad V_h(s) = \max_a Q_h(s, a),

    the core of every optimistic algorithm (UCBVI adds a bonus ``b`` and clips
    at :math:`q^{\max}_h = H - h`, [1]_ Alg. 1). Ties go to the lowest action.

    Exactness: a compiled loop computes every product
    :math:`P_h(\cdot \mid s, a) V_{h+1}` as the textbook sum, left to right from 0.0
    with a multiply and an add per term (no fused multiply-add, no reassociation), so
    V, Q and the policy are bit-identical to the plain loop over
    :math:`(h, s, a, s')`, on every run. The loop reorders work, never a sum: a
    stationary P is copied once, transposed, so that a stage is SIMD over the
    :math:`SA` independent sums, and a stage whose :math:`V_{h+1}` is zero (the last
    one, unless ``terminal`` is given) skips its products, which are exactly 0. Only a
    stage-dependent P with :math:`SAS \ge 2^{17}` (:data:`BLAS_SIZE`), or a stationary
    one whose copy would exceed :data:`TRANSPOSE_SIZE` entries, sends the products to
    BLAS, which is faster there and sums in its own order (deterministic for a given
    BLAS library and thread count; each product within
    :math:`\gamma_S \sum_{s'} P |V|` of the exact one, [2]_ Sec. 3.1).

    Parameters
    ----------
    P : ndarray, shape (S, A, S) or (H, S, A, S)
        Transition kernel, stationary or stage-dependent: shapes, signs and
        finiteness are checked here; that rows sum to one is the model's job
        (:class:`~theoryrl.models.TabularMDP`).
    R : ndarray, shape (S, A) or (H, S, A)
        Mean rewards.
    horizon : int
        Number of stages H; ``H * S * A`` is at most :data:`MAX_ENTRIES`.
    bonus : ndarray, shape (S, A) or (H, S, A), optional
        Additive bonus; zero when omitted.
    qmax : float or ndarray of shape (H,), optional
        Upper clip of Q at each stage; no clip when omitted.
    terminal : ndarray, shape (S,), optional
        Terminal values :math:`V_H`.

    Returns
    -------
    EpisodicSolution
        ``V`` (H, S), ``Q`` (H, S, A) and the greedy ``policy`` (H, S).

    References
    ----------
    .. [1] M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
       reinforcement learning", ICML 2017.
    .. [2] N. J. Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed.,
       SIAM 2002.

    Examples
    --------
    >>> import numpy as np
    >>> backward_induction(np.ones((1, 1, 1)), np.ones((1, 1)), 3).V[:, 0]
    array([3., 2., 1.])
    """
    fast = _fast_path(P, R, horizon, bonus, qmax, terminal)
    if fast is not None:
        return fast
    P4, R3, checked = _check_kernel_shape(P, R, horizon, values=False)
    H = int(horizon)
    S, A = P4.shape[1], P4.shape[2]
    B3 = _ZERO_BONUS if bonus is None else _stage_array(bonus, "bonus", 2, H, (S, A))
    if qmax is None:
        cap = np.full(H, np.inf)
    else:
        cap = _as_array(np.broadcast_to(qmax, (H,)) if np.ndim(qmax) == 0 else qmax, "qmax")
        if cap.shape != (H,):
            raise ValueError(f"qmax must be a number or have shape ({H},), got {cap.shape}")
    if terminal is not None:
        terminal = _as_array(terminal, "terminal")
        if terminal.shape != (S,):
            raise ValueError(f"terminal must have shape ({S},), got {terminal.shape}")
    return _run(P4, R3, H, B3, cap, terminal, checked)


def _run(P4, R3, H, B3, cap, terminal, checked=True) -> EpisodicSolution:
    S, A = P4.shape[1], P4.shape[2]
    if B3 is _ZERO_BONUS:
        B3 = np.zeros((1, S, A))
    try:
        V = np.empty((H + 1, S))
        Q = np.empty((H, S, A))
        pi = np.empty((H, S), dtype=np.int64)
    except MemoryError:
        raise ValueError(f"horizon={H} is too long for this machine: the solution holds "
                         f"{H * S * (A + 2):.3g} numbers") from None
    V[H] = 0.0 if terminal is None else terminal
    if _compiled(P4.shape[0], S * A * S):
        if checked:
            _kernels.backward_induction(P4, R3, B3, cap, V, Q, pi)
        elif not _kernels.checked_backward_induction(P4, R3, B3, cap, V, Q, pi):
            _as_array(P4[0] if P4.shape[0] == 1 else P4, "P", nonneg=True)  # names the entry
    else:
        _run_blas(P4, R3, H, B3, cap, terminal, checked, V, Q, pi)
    return EpisodicSolution(V[:H], Q, pi)


def _run_blas(P4, R3, H, B3, cap, terminal, checked, V, Q, pi) -> None:
    """Large kernels: the products go to BLAS, which is bound by memory bandwidth or by
    SIMD width there, where a compiled loop that keeps the textbook summation order loses.

    Unchecked P costs no extra pass over memory: from ``V_H = 0`` the first stage's
    products are exactly 0 for finite P, so that stage's pass checks P's entries
    instead (a NumPy ``min``: negative entries and NaN), and every later product is
    checked for finiteness, which an infinite entry of P always breaks.
    """
    S, A = Q.shape[1], Q.shape[2]
    HP, HR, HB = P4.shape[0], R3.shape[0], B3.shape[0]
    pv = np.empty(S * A)
    skip = terminal is None and not checked and H >= 2 * HP
    if not checked:
        for k in range(HP):
            lo = P4[k].min()
            if not lo >= 0:
                idx = tuple(int(i) for i in np.argwhere(~(P4 >= 0))[0])
                raise ValueError(f"P{list(idx[1:] if HP == 1 else idx)} is "
                                 f"{'negative' if P4[idx] < 0 else 'not finite'}")
        if not skip and not np.isfinite(P4.max()):
            raise ValueError("P has an entry that is not finite")
    for h in range(H - 1, -1, -1):
        if skip and h == H - 1:
            pv[:] = 0.0
        else:
            np.dot(P4[h % HP].reshape(S * A, S), V[h + 1], out=pv)
        if not _kernels.bellman_stage(pv, R3[h % HR], B3[h % HB], cap[h], Q[h], V[h], pi[h]):
            raise ValueError("P has an entry that is not finite")


_ZERO_BONUS = object()


def _backward_induction(P, R, H, bonus=None, qmax=None, terminal=None) -> EpisodicSolution:
    """:func:`backward_induction` on trusted arrays (a validated model's)."""
    P4 = as_stages(P, 3)
    R3 = as_stages(R, 2)
    B3 = _ZERO_BONUS if bonus is None else as_stages(bonus, 2)
    if qmax is None:
        cap = np.full(H, np.inf)
    else:
        cap = np.ascontiguousarray(np.broadcast_to(np.asarray(qmax, dtype=np.float64), (H,)))
    return _run(P4, R3, H, B3, cap, terminal)


def evaluate_policy(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> np.ndarray:
    r"""Exact values :math:`V^\pi_h(s)`, shape (H, S), of a Markov policy.

    ``policy`` is an int array (H, S) (deterministic) or a float array
    (H, S, A) (stochastic), already validated;
    :math:`V^\pi_h(s) = \sum_a \pi_h(a|s)\,[R_h(s,a) + P_h(\cdot|s,a) V^\pi_{h+1}]`.

    Parameters
    ----------
    P : ndarray, shape (S, A, S) or (H, S, A, S)
        Transition kernel, stationary or stage-dependent.
    R : ndarray, shape (S, A) or (H, S, A)
        Mean rewards, stationary or stage-dependent.
    policy : ndarray
        Actions, int (H, S) in ``[0, A)``, or action probabilities, float (H, S, A);
        its first axis sets the horizon ``H``.

    Returns
    -------
    ndarray, shape (H, S)
        :math:`V^\pi_h(s)`, the expected return of ``policy`` from state ``s``
        at stage ``h``.
    """
    a = np.asarray(policy)
    if a.ndim not in (2, 3):
        raise ValueError(f"policy must have shape (H, S) or (H, S, A), got {a.shape}")
    P4, R3, _ = _check_kernel_shape(P, R, a.shape[0])
    S, A = P4.shape[1], P4.shape[2]
    if a.dtype.kind in "iu":
        if a.shape != (a.shape[0], S):
            raise ValueError(f"policy must have shape (H, S) = ({a.shape[0]}, {S}), "
                             f"got {a.shape}")
        bad = (a < 0) | (a >= A)
        if bad.any():
            h, s = (int(j) for j in np.argwhere(bad)[0])
            raise ValueError(f"policy[{h}, {s}] = {int(a[h, s])} is not an action in [0, {A})")
    elif a.dtype.kind == "f":
        if a.shape != (a.shape[0], S, A):
            raise ValueError(f"a stochastic policy must have shape (H, S, A) = "
                             f"({a.shape[0]}, {S}, {A}), got {a.shape}")
        from .._validation import check_distribution_rows

        check_distribution_rows(as_float_array(a, "policy"), "policy")
    else:
        raise TypeError(f"policy must be an int or float array, got dtype {a.dtype}")
    return _evaluate_policy(P4, R3, a)


def _evaluate_policy(P, R, policy) -> np.ndarray:
    """:func:`evaluate_policy` on trusted arrays (a validated model and policy)."""
    P4 = as_stages(P, 3)
    R3 = as_stages(R, 2)
    H, S = policy.shape[0], policy.shape[1]
    V = np.zeros((H + 1, S))
    if policy.ndim == 2:
        _kernels.evaluate_deterministic(P4, R3, np.ascontiguousarray(policy, np.int64), V)
    else:
        _kernels.evaluate_stochastic(P4, R3, np.ascontiguousarray(policy, np.float64), V)
    return V[:H]
