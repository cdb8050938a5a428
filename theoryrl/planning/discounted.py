r"""Discounted planning with certified error bounds: value, policy and modified policy iteration.

Every solver here returns a value vector ``V`` together with a bound ``error`` such
that :math:`\|V - V^*\|_\infty \le` ``error`` holds for the exact optimum :math:`V^*`
of the given arrays, floating-point rounding included. The bound comes from the
Bellman residual :math:`d = TV - V` through the McQueen-Porteus inequalities
(Puterman 1994, Thm 6.6.6): with :math:`\alpha = \min_s d(s)`,
:math:`\beta = \max_s d(s)` and rows of ``P`` summing to one,

.. math::

    V + \frac{\alpha}{1-\gamma} \;\le\; V^* \;\le\; V + \frac{\beta}{1-\gamma},

so the midpoint is within :math:`\operatorname{sp}(d) / (2(1-\gamma))` of :math:`V^*`.
The span :math:`\operatorname{sp}(d)` contracts with the mixing of the chain, not
only with :math:`\gamma`, so span-based stopping ends far earlier than the
classical sup-norm rule. Three details make the bound hold in floating point:

* values are held as :math:`V = c + h` (a scalar plus a centred vector), and the
  residual is computed as :math:`d = R + \gamma P h + (\gamma\sigma - 1)c - h`
  with :math:`\sigma` the row sums of ``P``; the rounding error of every term is
  bounded with the standard dot-product bound :math:`\gamma_n = nu/(1-nu)`
  (Higham 2002, Sec. 3.1), which holds for any summation order, so the products
  may go to BLAS;
* :math:`\sigma - 1` is computed once per solve, by a compensated sum (Ogita,
  Rump, Oishi 2005) when the plain sum is not accurate enough, and rows that do
  not sum exactly to one enter the bound through :math:`1 - \gamma\sigma`;
* when the rounding of the residual alone exceeds the requested accuracy, a
  :class:`PrecisionError` says so instead of returning an uncertified answer.

The greedy (or final) ``policy`` comes with its own bound ``policy_error`` on
:math:`\max_s V^*(s) - V^\pi(s)`, from the same inequalities applied to
:math:`T_\pi V - V`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dgesv as _dgesv

from .._validation import as_float_array, check_discount, check_int
from . import _kernels

__all__ = ["DiscountedSolution", "ConvergenceError", "PrecisionError", "value_iteration",
           "policy_iteration", "modified_policy_iteration", "evaluate_policy_discounted",
           "METHODS"]

_U = 2.0 ** -53  # unit roundoff of float64
METHODS = ("pi", "mpi", "vi")


def _g(n: int) -> float:
    """Higham's :math:`\\gamma_n = nu / (1 - nu)`."""
    return n * _U / (1.0 - n * _U)


class ConvergenceError(RuntimeError):
    """An iterative solver did not reach its stated accuracy within its budget."""


class PrecisionError(ValueError):
    """The requested accuracy ``epsilon`` is below what double precision can certify.

    Raised before any iteration when ``epsilon`` is below the resolution of the
    values themselves, and after the first Bellman backup when the rounding error
    of the residual already exceeds ``epsilon``. The message gives the smallest
    accuracy that can be certified.
    """


@dataclass(frozen=True)
class DiscountedSolution:
    r"""Result of a discounted solver.

    Attributes
    ----------
    V : ndarray, shape (S,)
        Values with :math:`\|V - V^*\|_\infty \le` ``error``.
    Q : ndarray, shape (S, A)
        :math:`R + \gamma P V` for the returned ``V`` (to rounding).
    policy : ndarray, shape (S,), int
        The solver's final policy (greedy in ``Q`` up to rounding).
    iterations : int
        Bellman backups over all actions (improvement steps for policy iteration).
    error : float
        Certified bound on :math:`\|V - V^*\|_\infty`, rounding included.
    policy_error : float
        Certified bound on :math:`\max_s V^*(s) - V^{\pi}(s)` for ``policy``.
    method : str
        ``"pi"``, ``"mpi"`` or ``"vi"``.
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    error: float
    policy_error: float = np.nan
    method: str = ""


# -- validation ------------------------------------------------------------------------------

def _check_epsilon(epsilon) -> float | None:
    if epsilon is None:
        return None
    if isinstance(epsilon, (bool, np.bool_)) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"epsilon must be a real number, got {type(epsilon).__name__}")
    e = float(epsilon)
    if not (e > 0.0 and np.isfinite(e)):
        raise ValueError(f"epsilon must be positive and finite, got {e}")
    return e


def _check_arrays(P, R) -> tuple[np.ndarray, np.ndarray]:
    try:
        P = np.ascontiguousarray(P, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"P must be a numeric array, got {type(P).__name__}") from e
    R = as_float_array(R, "R")
    if P.ndim != 3 or P.shape[0] != P.shape[2] or P.size == 0:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    if R.shape != P.shape[:2]:
        raise ValueError(f"R must have shape (S, A) = {P.shape[:2]} to match P, got {R.shape}")
    if P.min() < 0.0:  # non-finite entries are caught by the row sums (_Model)
        i = tuple(int(j) for j in np.argwhere(P < 0)[0])
        raise ValueError(f"P{list(i)} is negative ({P[i]:.3g})")
    return P, R


# -- the certified core ------------------------------------------------------------------------

class _Model:
    """Trusted arrays of one problem and the row-sum data every certificate needs."""

    def __init__(self, P: np.ndarray, R: np.ndarray, gamma: float):
        S, A = R.shape
        self.S, self.A, self.gamma = S, A, gamma
        self.P3 = np.ascontiguousarray(P, dtype=np.float64)
        self.P2 = self.P3.reshape(S * A, S)
        self.R = np.ascontiguousarray(R, dtype=np.float64)
        self.r = self.R.reshape(-1)
        self.rmax = float(np.abs(self.r).max())
        self.idx = np.arange(S) * A
        e = self.P2.sum(axis=1)
        e -= 1.0
        self.e_err = np.empty(S * A)
        self.kappa = np.empty(S * A)
        self._set_sums(e, False)
        if not np.isfinite(self.kerr):
            r = int(np.argmin(np.isfinite(e)))
            raise ValueError(f"P[{r // A}, {r % A}] is not finite")
        if e.max() > 1e-9:  # sub-stochastic rows (termination) are fine: gamma sigma < 1
            r = int(np.argmax(e))
            raise ValueError(f"P[{r // A}, {r % A}] sums to {1 + e[r]:.12g} > 1")
        self.precise = False

    def _set_sums(self, e: np.ndarray, precise: bool) -> None:
        # a plain sum of S non-negative terms is off by at most gamma_S * sum, in any order
        self.kerr, self.sig_max, self.m_lo, self.m_hi, self.emax = _kernels.sum_bounds(
            e, self.e_err, precise, self.gamma, self.S, self.kappa)
        self.k = np.array([self.gamma, _g(self.S), self.kerr, self.sig_max,
                           max(abs(self.m_lo), abs(self.m_hi)), self.rmax, _g(6)])

    def refine(self) -> bool:
        """Recompute the row sums with a compensated sum; False if already done."""
        if self.precise:
            return False
        e = np.empty(self.S * self.A)
        _kernels.row_stats(self.P2, e, self.e_err)
        self._set_sums(e, True)
        self.precise = True
        return True


class _Backup:
    """One certified backup at V = c + h: residuals d (S*A,), their maxima and bounds."""

    def __init__(self, m: _Model, c: float, h: np.ndarray, pol: np.ndarray, greedy: bool):
        self.d = np.empty(m.S * m.A)
        self.dmax = np.empty(m.S)
        self.new_pol = np.empty(m.S, dtype=np.int64)
        # BLAS for the product once it is large enough to pay for the call
        ph = m.P2 @ h if m.S * m.S * m.A >= _BLAS_SIZE else _NO_PRODUCT
        (self.delta, self.lo, self.hi, self.lo_pol, self.changed,
         self.hmax) = _kernels.certified_backup(m.P3, ph, m.r, m.kappa, h, c, m.k, pol,
                                                   greedy, self.d, self.dmax, self.new_pol)


_BLAS_SIZE = 2**15
_NO_PRODUCT = np.empty(0)


@dataclass
class _Cert:
    error: float
    policy_error: float
    shift: float  # V* is within error of c + h + shift
    floor: float  # the best bound this rounding allows


def _certify(m: _Model, c: float, h: np.ndarray, b: _Backup) -> _Cert | None:
    """McQueen-Porteus bounds from one backup; None if 1 - gamma sigma may be <= 0."""
    if m.m_lo <= 0.0:
        return None
    alpha = b.lo - b.delta
    beta = b.hi + b.delta
    alpha_pi = b.lo_pol - b.delta

    def up(x):
        return x / m.m_lo if x >= 0 else x / m.m_hi

    def down(x):
        return x / m.m_hi if x >= 0 else x / m.m_lo

    ku, kl, kp = up(beta), down(alpha), down(alpha_pi)
    shift = 0.5 * (ku + kl)
    scale = abs(c) + b.hmax + abs(shift)
    rnd = 4.0 * _U * scale  # forming c + (h + shift)
    return _Cert(0.5 * (ku - kl) * (1.0 + 1e-12) + rnd, (ku - kp) * (1.0 + 1e-12) + 2 * rnd,
                 shift, b.delta / m.m_lo + rnd)


def _evaluate_lu(m: _Model, pol: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Exact :math:`V^\pi = c + h` by one LU solve of the deflated system.

    :math:`(I - \gamma P_\pi)(h + k\mathbf 1) = r_\pi` with :math:`h_0 = 0`: column 0 of
    :math:`I - \gamma P_\pi` is replaced by :math:`(1 - \gamma\sigma_\pi)/(1-\gamma)`, the
    unknown there being :math:`w = (1-\gamma)k`. The system is non-singular for every
    :math:`\gamma < 1` and stays well conditioned as :math:`\gamma \to 1` for unichain
    policies, where :math:`I - \gamma P_\pi` itself is not.
    """
    rows = m.idx + pol
    M = m.P2[rows]
    M *= -m.gamma
    M.reshape(-1)[:: m.S + 1] += 1.0
    M[:, 0] = m.kappa[rows] / (m.gamma - 1.0)
    _, _, x, info = _dgesv(M, m.r[rows], overwrite_a=True, overwrite_b=True)
    if info != 0 or not np.isfinite(x).all():
        raise ConvergenceError(f"the evaluation system of a policy is singular (info={info})")
    k = x[0] / (1.0 - m.gamma)
    x[0] = 0.0
    t = 0.5 * (x.max() + x.min())
    return k + t, x - t


def _evaluate_sweeps(m: _Model, pol: np.ndarray, c: float, h: np.ndarray,
                     max_sweeps: int) -> tuple[float, np.ndarray, bool]:
    """Approach V^pi from c + h by extrapolated sweeps of T_pi (span stopping)."""
    h = h.copy()
    c, _, ok = _kernels.policy_sweeps(m.P3, pol, m.r, m.kappa, h, float(c), m.k,
                                      int(max_sweeps))
    return c, h, ok


def _evaluate_pi(m: _Model, pol: np.ndarray, c: float, h: np.ndarray) -> tuple[float, np.ndarray]:
    """Policy iteration's evaluation, to the rounding floor: sweeps while they beat one LU."""
    # a sweep costs 2 S^2 flops, the LU about (2/3) S^3 plus a fixed overhead
    c2, h2, ok = _evaluate_sweeps(m, pol, c, h, max(16, m.S // 4))
    return (c2, h2) if ok else _evaluate_lu(m, pol)


def _solve(m: _Model, method: str, epsilon: float | None, max_iter: int,
           mpi_sweeps: int = 8) -> DiscountedSolution:
    g = m.gamma
    scale = m.rmax / (1.0 - g)
    eps = 1e-9 * max(1.0, scale) if epsilon is None else epsilon
    if eps < 4.0 * _U * scale:
        raise PrecisionError(
            f"epsilon={eps:.3g} is below the resolution of double precision for these values "
            f"(up to {scale:.3g}); the smallest certifiable accuracy is at least "
            f"{4.0 * _U * scale:.3g}")
    S = m.S
    c, h = 0.0, np.zeros(S)
    pol = np.full(S, -1, dtype=np.int64)
    first = True
    best = np.inf
    if method == "pi":  # start from the policy greedy in R, the backup of V = 0
        pol = np.argmax(m.R, axis=1)
        c, h = _evaluate_pi(m, pol, c, h)
        first = False
    for it in range(1, max_iter + 1):
        greedy_mode = first or method != "pi"
        b = _Backup(m, c, h, pol, greedy_mode)
        cert = _certify(m, c, h, b)
        if (cert is None or cert.floor > eps) and m.refine():
            continue  # redo the backup with exact row sums
        if cert is None or cert.floor > eps:
            floor = np.inf if cert is None else cert.floor
            raise PrecisionError(
                f"epsilon={eps:.3g} cannot be certified in double precision: rounding in "
                f"the Bellman residual alone allows only {floor:.3g} (gamma={g!r}); "
                "pass a larger epsilon")
        best = min(best, cert.error)
        improved = b.changed > 0
        if cert.error <= eps and not (method == "pi" and improved):
            cpol = b.new_pol if greedy_mode else pol
            return _result(m, c, h, b, cert, cpol, it, method)
        first = False
        pol = b.new_pol
        if method == "vi" or (method == "pi" and not improved):
            mid = 0.5 * (b.lo + b.hi)
            h = h + b.dmax
            t = 0.5 * (h.max() + h.min())
            h -= t
            c = c + t + g * mid / (1.0 - g)
        elif method == "mpi":
            c, h, _ = _evaluate_sweeps(m, pol, c, h, mpi_sweeps)
        else:
            c, h = _evaluate_pi(m, pol, c, h)
    raise ConvergenceError(f"{_NAMES[method]} did not reach epsilon={eps:.3g} in {max_iter} "
                           f"backups (best certified bound {best:.3g}, gamma={g!r})")


_NAMES = {"pi": "policy iteration", "mpi": "modified policy iteration", "vi": "value iteration"}


def _result(m, c, h, b, cert, pol, it, method) -> DiscountedSolution:
    V = c + (h + cert.shift)
    Q = b.d.reshape(m.S, m.A) + (h[:, None] + (c + m.gamma * cert.shift))
    return DiscountedSolution(V, Q, np.asarray(pol, dtype=np.int64), it, float(cert.error),
                              float(cert.policy_error), method)


def _public(P, R, gamma, epsilon, max_iter, method, mpi_sweeps=8) -> DiscountedSolution:
    gamma = check_discount(gamma)
    epsilon = _check_epsilon(epsilon)
    max_iter = check_int(max_iter, "max_iter", 1)
    P, R = _check_arrays(P, R)
    return _solve(_Model(P, R, gamma), method, epsilon, max_iter, mpi_sweeps)


def value_iteration(P: np.ndarray, R: np.ndarray, gamma: float, epsilon: float | None = 1e-8,
                    max_iter: int = 1_000_000) -> DiscountedSolution:
    r"""Value iteration with span-based stopping and a certified error bound.

    Iterates :math:`V \leftarrow TV + \frac{\gamma}{1-\gamma}\,\mathrm{mid}(TV - V)`
    (value iteration with the McQueen-Porteus extrapolation; the greedy policies are
    those of plain value iteration, Puterman 1994, Sec. 6.6.3) until the bound of the
    module docstring is at most ``epsilon``.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel: non-negative rows summing to one (or less: the rest is
        termination, value 0).
    R : ndarray, shape (S, A)
        Mean rewards.
    gamma : float
        Discount in [0, 1); a 0-d array or a :class:`fractions.Fraction` is accepted.
    epsilon : float or None
        Target accuracy: the result has ``error <= epsilon``. ``None``: ``1e-9`` times
        :math:`\max(1, \max|R| / (1-\gamma))`.
    max_iter : int
        Budget of Bellman backups.

    Returns
    -------
    DiscountedSolution
        Values ``V`` with certified ``error <= epsilon``, their ``Q``, the greedy
        policy with its certified ``policy_error``, and the backups used.

    Raises
    ------
    PrecisionError
        If ``epsilon`` cannot be certified in double precision.
    ConvergenceError
        If ``max_iter`` backups do not reach ``epsilon``.

    Examples
    --------
    >>> import numpy as np
    >>> sol = value_iteration(np.ones((1, 1, 1)), np.ones((1, 1)), 0.5, epsilon=1e-9)
    >>> bool(abs(sol.V[0] - 2.0) <= sol.error <= 1e-9)
    True
    """
    return _public(P, R, gamma, epsilon, max_iter, "vi")


def policy_iteration(P: np.ndarray, R: np.ndarray, gamma: float, epsilon: float | None = None,
                     max_iter: int = 10_000) -> DiscountedSolution:
    r"""Howard's policy iteration with a certified error bound.

    Starts from the policy greedy in ``R`` and evaluates each policy to the rounding
    floor: by extrapolated sweeps of :math:`T_\pi` while they converge (each costs
    :math:`2S^2` flops, so up to :math:`\max(16, S/4)` of them are cheaper than a
    factorisation), otherwise by one LU solve of a deflated system that stays well
    conditioned as :math:`\gamma \to 1`, where :math:`I - \gamma P_\pi` is not. An
    action is switched only when its Q-value is larger beyond the rounding bound, so
    ties cannot make it cycle; it stops at a policy no action improves (Puterman 1994,
    Thm 6.4.2) and ``error`` is the certified bound of the final values.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel (rows may sum to less than one: termination, as in
        :func:`value_iteration`).
    R : ndarray, shape (S, A)
        Mean rewards.
    gamma : float
        Discount in [0, 1).
    epsilon : float or None
        Required accuracy of ``V``; ``None``: ``1e-9`` times
        :math:`\max(1, \max|R| / (1-\gamma))`.
    max_iter : int
        Budget of improvement steps.

    Returns
    -------
    DiscountedSolution
        The final policy (no action improves it), its values ``V`` with the
        certified ``error``, their ``Q`` and the improvement steps used.

    Raises
    ------
    PrecisionError
        If ``epsilon`` cannot be certified in double precision.
    ConvergenceError
        If ``max_iter`` improvement steps do not terminate.
    """
    return _public(P, R, gamma, epsilon, max_iter, "pi")


def modified_policy_iteration(P: np.ndarray, R: np.ndarray, gamma: float,
                              epsilon: float | None = 1e-8, sweeps: int = 8,
                              max_iter: int = 100_000) -> DiscountedSolution:
    r"""Modified policy iteration (Puterman 1994, Sec. 6.5) with a certified error bound.

    Each step takes the greedy policy of a full backup and then ``sweeps``
    extrapolated partial-evaluation sweeps of :math:`T_\pi` (a matrix-vector product
    with the :math:`S \times S` matrix :math:`P_\pi`, ``A`` times cheaper than a full
    backup); stops when the certified bound is at most ``epsilon``.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel (rows may sum to less than one: termination, as in
        :func:`value_iteration`).
    R : ndarray, shape (S, A)
        Mean rewards.
    gamma : float
        Discount in [0, 1).
    epsilon : float or None
        Target accuracy (see :func:`value_iteration`).
    sweeps : int
        Partial-evaluation sweeps per step (0 is value iteration).
    max_iter : int
        Budget of full backups.

    Returns
    -------
    DiscountedSolution
        Values ``V`` with certified ``error <= epsilon``, their ``Q``, the greedy
        policy with its certified ``policy_error``, and the full backups used.
    """
    sweeps = check_int(sweeps, "sweeps", 0)
    return _public(P, R, gamma, epsilon, max_iter, "mpi", sweeps)


def evaluate_policy_discounted(P: np.ndarray, R: np.ndarray, gamma: float,
                               policy: np.ndarray) -> np.ndarray:
    r"""Exact :math:`V^\pi = (I - \gamma P_\pi)^{-1} r_\pi` by a direct linear solve.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel (rows may sum to less than one: termination, as in
        :func:`value_iteration`).
    R : ndarray, shape (S, A)
        Mean rewards.
    gamma : float
        Discount in [0, 1).
    policy : ndarray
        Actions, int (S,) in ``[0, A)``, or action probabilities, float (S, A).

    Returns
    -------
    ndarray, shape (S,)
        :math:`V^\pi(s)`, the expected discounted return of ``policy`` from each state.
    """
    gamma = check_discount(gamma)
    P, R = _check_arrays(P, R)
    return _evaluate_discounted(P, R, gamma, _check_stationary_policy(policy, *R.shape))


def _evaluate_discounted(P, R, gamma, policy) -> np.ndarray:
    """:func:`evaluate_policy_discounted` on trusted arrays (a validated model and policy)."""
    P_pi, r_pi = _policy_matrices(P, R, policy)
    return np.linalg.solve(np.eye(P.shape[0]) - gamma * P_pi, r_pi)


def _check_stationary_policy(policy, S: int, A: int) -> np.ndarray:
    a = np.asarray(policy)
    if a.dtype.kind in "iu":
        if a.shape != (S,):
            raise ValueError(f"policy must have shape (S,) = ({S},), got {a.shape}")
        if a.size and (a.min() < 0 or a.max() >= A):
            s = int(np.argmax((a < 0) | (a >= A)))
            raise ValueError(f"policy[{s}] = {int(a[s])} is not an action in [0, {A})")
        return a.astype(np.int64)
    if a.dtype.kind != "f":
        raise TypeError(f"policy must be an int (S,) or float (S, A) array, got dtype {a.dtype}")
    if a.shape != (S, A):
        raise ValueError(f"a stochastic policy must have shape (S, A) = ({S}, {A}), "
                         f"got {a.shape}")
    from .._validation import check_distribution_rows

    return check_distribution_rows(as_float_array(a, "policy"), "policy")


def _policy_matrices(P, R, policy):
    S = P.shape[0]
    if policy.ndim == 1:
        idx = np.arange(S)
        return P[idx, policy], R[idx, policy]
    return np.einsum("sa,sat->st", policy, P), np.einsum("sa,sa->s", policy, R)
