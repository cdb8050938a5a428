r"""Extended value iteration (EVI) with pluggable inner maximisation and span truncation.

The optimistic Bellman operator of an extended MDP (Jaksch, Ortner, Auer 2010,
Sec. 3.1) is

.. math::

    (\tilde L u)(s) = \max_a \Big[ \tilde r(s, a) + \max_{p \in \mathcal C_{sa}} p^\top u \Big],

with the plausible set :math:`\mathcal C_{sa}` one of

* ``"l1"``: :math:`\|p - \hat p_{sa}\|_1 \le d_{sa}` (UCRL2), sort-based maximiser;
* ``"box"``: :math:`\ell_{sa} \le p \le h_{sa}` on the simplex (UCRL2B);
* ``"ellipsoid"``: tabular value-targeted-regression blocks
  :math:`\|p - \hat p_{sa}\|_{G_{sa}} \le \sqrt{\beta_{sa}}` (LOOP tabular, docs/theory/loop.md);
* ``"linear_mixture"``: :math:`\|\theta - \hat\theta\|_\Lambda \le \sqrt\beta`
  (LOOP-LM / UCRL2-VTR, docs/theory/loop.md), with every :math:`(s,a)` choosing its own
  :math:`\theta` (the rectangular relaxation).

For the two ellipsoids the inner maximum has a closed form on the centred
:math:`w = u - \tfrac12(\max u + \min u)`. The plain ellipsoid backup
:math:`\langle \hat p, w\rangle + \sqrt\beta\,\|w\|_{G^{-1}}` drops all simplex
constraints; we keep the normalisation hyperplane :math:`\langle a, p\rangle = 1`
(:math:`a = \mathbf 1` for tabular blocks, :math:`a_{sa} = \sum_{s'}\phi(s'|s,a)` for linear
mixtures) and use the exact support function of ellipsoid :math:`\cap` hyperplane,

.. math::

    \sigma(x) = \langle c, x\rangle + \sqrt{\beta'}\,
    \sqrt{x^\top M^{-1} x - (a^\top M^{-1} x)^2 / a^\top M^{-1} a},
    \quad c = \hat\theta + \frac{1 - a^\top\hat\theta}{a^\top M^{-1} a} M^{-1} a,
    \quad \beta' = \beta - \frac{(1 - a^\top\hat\theta)^2}{a^\top M^{-1} a},

then clip to :math:`[\min w, \max w]` (re-imposing positivity cheaply; an upper
bound still) [D]. The set is a subset of the plain ellipsoid and a superset of the true
confidence set intersected with the model class, so optimism is kept; unlike the
plain ellipsoid it makes the backup translation-equivariant, without which EVI
oscillated on RiverSwim in our runs (our choice, explained in
``docs/theory/loop.md``, "Provenance and our choices").

Each sweep applies the aperiodicity transform :math:`u \leftarrow (1-\tau) u +
\tau \tilde L u` (bias unchanged, gain scaled by :math:`\tau`) and, when
``span_bound`` is finite, the SCAL truncation :math:`u \leftarrow \min(u, \min u + B)`
(Fruit, Pirotta, Lazaric, Ortner 2018). SCAL's guarantee uses a stochastic
policy on truncated states; we play the deterministic greedy policy on the
truncated values, a common simplification [D].
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, check_choice, check_int, check_positive, check_real
from . import _evi_kernels as K

__all__ = ["EVIResult", "extended_value_iteration", "EVIConvergenceWarning", "ellipsoid_args",
           "evi_l1", "evi_box", "evi_ellipsoid", "evi_linear_mixture"]


class EVIConvergenceWarning(RuntimeWarning):
    """EVI hit ``max_iter`` before its stopping rule; the last iterate is used."""


@dataclass(frozen=True)
class EVIResult:
    r"""Output of :func:`extended_value_iteration` (docs/theory/loop.md).

    Attributes
    ----------
    policy : ndarray (S,) int
        Greedy in ``Q`` (lowest index on ties).
    gain : float
        :math:`\tilde J = (\max \delta + \min \delta) / (2\tau)`, the optimistic gain estimate.
    Q : ndarray (S, A)
        Optimistic Q of the last backup.
    V : ndarray (S,)
        Truncated greedy values :math:`\min(\tilde u, \min \tilde u + B)` (span <= B).
    u : ndarray (S,)
        Final iterate, shifted to ``min u = 0`` (warm start for the next call).
    w : ndarray (S,)
        Centred target :math:`u - \tfrac12(\max u + \min u)`.
    iterations : int
    converged : bool
    delta_span : float
        :math:`(\max\delta - \min\delta)/\tau` at the end (gain-scale residual).
    """

    policy: np.ndarray
    gain: float
    Q: np.ndarray
    V: np.ndarray
    u: np.ndarray
    w: np.ndarray
    iterations: int
    converged: bool
    delta_span: float


def _empty(*shape: int) -> np.ndarray:
    return np.zeros(shape)


_COMMON = """
    span_bound : float
        SCAL truncation level ``B`` (``inf``: none).
    eps : float
        Stop when :math:`\\operatorname{sp}(u_{i+1} - u_i) < 2\\tau\\varepsilon`, i.e. the gain
        bracket has width below :math:`2\\varepsilon`.
    tau : float
        Aperiodicity parameter in (0, 1].
    max_iter : int
        Cap; on reaching it an :class:`EVIConvergenceWarning` is issued (if ``warn``)
        and the last iterate is returned with ``converged=False``.
    u0 : ndarray (S,), optional
        Warm start.
    warn : bool
        Whether to warn when ``max_iter`` is reached.

    Returns
    -------
    EVIResult
        The greedy policy, the optimistic gain and ``Q``, the truncated values,
        the final iterate (a warm start for the next call) and convergence facts.
    """


def _with_common(fn):
    fn.__doc__ = fn.__doc__.rstrip() + "\n" + _COMMON
    return fn


def _prepare(R, span_bound, eps, tau, max_iter, u0):
    R = as_float_array(R, "R")
    if R.ndim != 2:
        raise ValueError(f"R must be (S, A), got shape {R.shape}")
    S = R.shape[0]
    tau = check_real(tau, "tau")
    if not 0 < tau <= 1:
        raise ValueError(f"tau must be in (0, 1], got {tau}")
    eps = check_positive(eps, "eps")
    max_iter = check_int(max_iter, "max_iter", 1)
    if isinstance(span_bound, bool) or not isinstance(span_bound, numbers.Real) \
            or not span_bound > 0:
        raise ValueError(f"span_bound must be positive (or inf), got {span_bound!r}")
    u = np.zeros(S) if u0 is None else np.array(as_float_array(u0, "u0"), copy=True)
    if u.shape != (S,):
        raise ValueError(f"u0 must have shape ({S},), got {u.shape}")
    return R, u, float(span_bound), eps, tau, max_iter


def _need(name, val, shape):
    if val is None:
        raise ValueError(f"{name} is required")
    a = as_float_array(val, name)
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


@_with_common
def evi_l1(R, phat, radius, *, span_bound: float = np.inf, eps: float = 1e-6,
           tau: float = 0.5, max_iter: int = 100_000, u0=None, warn: bool = True) -> EVIResult:
    r"""EVI over L1 balls :math:`\|p - \hat p_{sa}\|_1 \le d_{sa}` (UCRL2, Jaksch et al. 2010).

    Parameters
    ----------
    R : ndarray (S, A)
        Optimistic (or known) mean rewards.
    phat : ndarray (S, A, S)
        Centres of the balls (the empirical kernel).
    radius : ndarray (S, A)
        L1 radii, >= 0.
    """
    R, u, B, eps, tau, max_iter = _prepare(R, span_bound, eps, tau, max_iter, u0)
    S, A = R.shape
    args = empty_args(S, A)
    args["phat"] = _need("phat", phat, (S, A, S))
    r = args["radius"] = _need("radius", radius, (S, A))
    if (r < 0).any():
        raise ValueError(f"radius must be >= 0, got min {r.min()}")
    return _run(K.L1, R, u, args, B, eps, tau, max_iter, warn)


@_with_common
def evi_box(R, lo, hi, *, span_bound: float = np.inf, eps: float = 1e-6, tau: float = 0.5,
            max_iter: int = 100_000, u0=None, warn: bool = True) -> EVIResult:
    r"""EVI over boxes :math:`\ell_{sa} \le p \le h_{sa}` on the simplex (UCRL2B).

    Parameters
    ----------
    R : ndarray (S, A)
        Optimistic (or known) mean rewards.
    lo, hi : ndarray (S, A, S)
        Box bounds with ``lo <= hi`` and ``sum(lo) <= 1 <= sum(hi)`` per pair.
    """
    R, u, B, eps, tau, max_iter = _prepare(R, span_bound, eps, tau, max_iter, u0)
    S, A = R.shape
    args = empty_args(S, A)
    a_lo = args["lo"] = _need("lo", lo, (S, A, S))
    a_hi = args["hi"] = _need("hi", hi, (S, A, S))
    if (a_lo > a_hi).any() or (a_lo.sum(-1) > 1 + 1e-12).any() or \
            (a_hi.sum(-1) < 1 - 1e-12).any():
        raise ValueError("lo, hi must satisfy lo <= hi and sum(lo) <= 1 <= sum(hi) per pair")
    return _run(K.BOX, R, u, args, B, eps, tau, max_iter, warn)


@_with_common
def evi_ellipsoid(R, phat, Ginv, sqrt_beta, *, span_bound: float = np.inf, eps: float = 1e-6,
                  tau: float = 0.5, max_iter: int = 100_000, u0=None,
                  warn: bool = True) -> EVIResult:
    r"""EVI over per-pair ellipsoids :math:`\|p - \hat p_{sa}\|_{G_{sa}} \le \sqrt{\beta_{sa}}`
    (tabular value-targeted regression), cut by the simplex hyperplane.

    Parameters
    ----------
    R : ndarray (S, A)
        Optimistic (or known) mean rewards.
    phat : ndarray (S, A, S)
        Centres.
    Ginv : ndarray (S, A, S, S)
        Inverse Gram blocks.
    sqrt_beta : ndarray (S, A)
        Radii.
    """
    R, u, B, eps, tau, max_iter = _prepare(R, span_bound, eps, tau, max_iter, u0)
    S, A = R.shape
    args = empty_args(S, A)
    ph = args["phat"] = _need("phat", phat, (S, A, S))
    Gi = args["Ginv"] = _need("Ginv", Ginv, (S, A, S, S))
    sq = _need("sqrt_beta", sqrt_beta, (S, A))
    args.update(ellipsoid_args(ph, Gi, np.ones((S, A, S)), sq))
    return _run(K.ELL_TAB, R, u, args, B, eps, tau, max_iter, warn)


@_with_common
def evi_linear_mixture(R, phi, theta_hat, Linv, sqrt_beta, *, span_bound: float = np.inf,
                       eps: float = 1e-6, tau: float = 0.5, max_iter: int = 100_000, u0=None,
                       warn: bool = True) -> EVIResult:
    r"""EVI over the linear-mixture ellipsoid :math:`\|\theta - \hat\theta\|_\Lambda \le
    \sqrt\beta`, every pair choosing its own :math:`\theta` (the rectangular relaxation).

    Parameters
    ----------
    R : ndarray (S, A)
        Optimistic (or known) mean rewards.
    phi : ndarray (S, A, S, d)
        Features :math:`\phi(s' \mid s, a)`.
    theta_hat : ndarray (d,)
        Ridge estimate.
    Linv : ndarray (d, d)
        Inverse Gram matrix.
    sqrt_beta : float
        Radius, >= 0.
    """
    R, u, B, eps, tau, max_iter = _prepare(R, span_bound, eps, tau, max_iter, u0)
    S, A = R.shape
    args = empty_args(S, A)
    p = args["phi"] = _need("phi", phi, None)
    if p.ndim != 4 or p.shape[:3] != (S, A, S):
        raise ValueError(f"phi must be (S, A, S, d) = ({S}, {A}, {S}, d), got {p.shape}")
    d = p.shape[3]
    th = _need("theta_hat", theta_hat, (d,))
    Li = args["Linv"] = _need("Linv", Linv, (d, d))
    sb = check_positive(sqrt_beta, "sqrt_beta", allow_zero=True)
    args.update(ellipsoid_args(np.broadcast_to(th, (S, A, d)),
                               np.broadcast_to(Li, (S, A, d, d)), p.sum(axis=2),
                               np.full((S, A), sb)))
    return _run(K.ELL_LM, R, u, args, B, eps, tau, max_iter, warn)


def extended_value_iteration(R, inner: str = "l1", *, phat=None, radius=None, lo=None,
                             hi=None, Ginv=None, sqrt_beta=None, phi=None, theta_hat=None,
                             Linv=None, sb: float = 0.0, span_bound: float = np.inf,
                             eps: float = 1e-6, tau: float = 0.5, max_iter: int = 100_000,
                             u0=None, warn: bool = True) -> EVIResult:
    r"""EVI with the confidence set named by ``inner``: calls :func:`evi_l1`,
    :func:`evi_box`, :func:`evi_ellipsoid` or :func:`evi_linear_mixture`.

    Parameters
    ----------
    R : ndarray (S, A)
        Optimistic (or known) mean rewards.
    inner : {"l1", "box", "ellipsoid", "linear_mixture"}
        Confidence-set type.
    phat, radius, lo, hi, Ginv, sqrt_beta, phi, theta_hat, Linv, sb
        The set parameters of the chosen function (``sb`` is the linear-mixture radius).
    span_bound, eps, tau, max_iter, u0, warn
        As in :func:`evi_l1`.

    Returns
    -------
    EVIResult
        The result of the called function.
    """
    common = dict(span_bound=span_bound, eps=eps, tau=tau, max_iter=max_iter, u0=u0,
                  warn=warn)
    given = dict(phat=phat, radius=radius, lo=lo, hi=hi, Ginv=Ginv, sqrt_beta=sqrt_beta,
                 phi=phi, theta_hat=theta_hat, Linv=Linv)
    names = {"l1": ("phat", "radius"), "box": ("lo", "hi"),
             "ellipsoid": ("phat", "Ginv", "sqrt_beta"),
             "linear_mixture": ("phi", "theta_hat", "Linv")}
    check_choice(inner, "inner", sorted(names))
    for n in names[inner]:
        if given[n] is None:
            raise ValueError(f"{n} is required for inner={inner!r}")
    fn = {"l1": evi_l1, "box": evi_box, "ellipsoid": evi_ellipsoid,
          "linear_mixture": evi_linear_mixture}[inner]
    extra = (sb,) if inner == "linear_mixture" else ()
    return fn(R, *(given[n] for n in names[inner]), *extra, **common)


def empty_args(S: int, A: int) -> dict:
    """Placeholder kernel arguments (every inner kind reads only its own)."""
    return dict(phat=_empty(S, A, S), radius=_empty(S, A), lo=_empty(S, A, S),
                hi=_empty(S, A, S), Ginv=_empty(S, A, S, S), cen=_empty(S, A, 1),
                ga=_empty(S, A, 1), aga=np.ones((S, A)), sbp=_empty(S, A),
                phi=_empty(S, A, S, 1), Linv=_empty(1, 1))


def ellipsoid_args(center, Minv, a, sqrt_beta) -> dict:
    r"""Support-function data of :math:`\{x : \|x - \hat\theta\|_M \le \sqrt\beta,\
    \langle a, x\rangle = 1\}` per pair: ``cen``, ``ga`` :math:`= M^{-1}a`, ``aga``
    :math:`= a^\top M^{-1} a`, ``sbp`` :math:`=\sqrt{\max(\beta',0)}` (module docstring).

    ``center`` (S, A, d), ``Minv`` (S, A, d, d), ``a`` (S, A, d), ``sqrt_beta`` (S, A).
    Where ``aga`` is 0 the hyperplane is ignored (plain ellipsoid).
    """
    ga = np.einsum("saij,saj->sai", Minv, a)
    aga = np.einsum("sai,sai->sa", a, ga)
    ok = aga > 1e-300
    safe = np.where(ok, aga, 1.0)
    c = np.where(ok, 1.0 - np.einsum("sai,sai->sa", a, center), 0.0)
    cen = center + (c / safe)[..., None] * ga
    bp = np.asarray(sqrt_beta) ** 2 - c * c / safe
    ga = np.where(ok[..., None], ga, 0.0)
    return dict(cen=np.ascontiguousarray(cen), ga=np.ascontiguousarray(ga),
                aga=np.ascontiguousarray(safe), sbp=np.sqrt(np.maximum(bp, 0.0)))


def _run(kind, R, u, args, span_bound, eps, tau, max_iter, warn=True,
         fallback=(0.1, 0.02), patience: int = 2000) -> EVIResult:
    """Trusted entry point for agents (inputs already validated and shaped).

    Damping fallback [D]: the ellipsoid backups are not monotone (positivity is only
    re-imposed by a clip), and at ``tau = 1/2`` EVI can cycle. If ``patience`` sweeps
    do not converge, continue from the last iterate with each smaller ``tau`` in
    ``fallback`` (same accuracy ``eps`` on the gain); the last one gets the rest of
    ``max_iter``.
    """
    S, A = R.shape
    Q = np.empty((S, A))
    ut = np.empty(S)
    dlt = np.empty(S)
    taus = (tau, *[t for t in fallback if t < tau])
    used = 0
    it = -1
    for i, ta in enumerate(taus):
        budget = max_iter - used if i == len(taus) - 1 else min(patience, max_iter - used)
        if budget <= 0:
            break
        it = K.evi(kind, R, u, Q, ut, dlt, args["phat"], args["radius"], args["lo"],
                   args["hi"], args["Ginv"], args["cen"], args["ga"], args["aga"], args["sbp"],
                   args["phi"], args["Linv"], span_bound, eps, ta, budget)
        used += abs(int(it))
        if it > 0:
            tau = ta
            break
        tau = ta
    converged = it > 0
    if not converged and warn:
        warnings.warn(f"EVI did not reach gain accuracy {eps:.3g} in {max_iter} sweeps "
                      f"(last span {dlt.max() - dlt.min():.3g} at tau={tau}); using the last "
                      "iterate", EVIConvergenceWarning, stacklevel=3)
    V = np.minimum(ut, ut.min() + span_bound)
    w = u - 0.5 * (u.max() + u.min())
    return EVIResult(np.argmax(Q, axis=1).astype(np.int64),
                     float((dlt.max() + dlt.min()) / (2 * tau)), Q, V, u.copy(), w,
                     used, converged, float((dlt.max() - dlt.min()) / tau))
