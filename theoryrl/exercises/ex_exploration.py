r"""Exercises on exploration and on judging theorems: the UCBVI bonus and
optimism, a regret curve's log-log slope with a confidence interval, and the
EpsMix mixing weight of conservative exploration.

Graders compare with the package: :func:`theoryrl.agents.ucbvi.optimistic_plan`
(the planner of :class:`~theoryrl.agents.ucbvi.UCBVI` with ``bonus="l1"``) and
:func:`~theoryrl.agents.ucbvi.bonus_log_factor`;
:func:`theoryrl.claims.fit_loglog_slope`; and, for EpsMix, the weight
:class:`theoryrl.agents.stepmix.EpsMix` actually plays (its ``info()["rho"]`` for its
own ``L_k`` and ``V_b``, after a few episodes of data) together with
:func:`reference_epsmix_weight` below, which restates the same rule as a function
(known-baseline-value mode, docs/theory/stepmix.md, "EpsMix") for hand-picked edge
cases: in the package the rule lives inside the agent's episode step
(``EpsMix._choose``), not as a function of its own. The exact values of the MDP
properties come from :func:`theoryrl.planning.evaluate_policy`.
"""

from __future__ import annotations

import math

import numpy as np

from . import _framework
from ._framework import Call, Example, Exercise, Failure, compare, draws, fmt, properties, returned

__all__ = ["EXERCISES", "reference_epsmix_weight"]


def _close(a, b) -> bool:
    return _framework.close(a, b, equal_nan=True)


# ---------------------------------------------------------------------------
# 6. the UCBVI bonus and optimism
# ---------------------------------------------------------------------------

UCBVI_STATEMENT = r"""
UCBVI (Azar, Osband & Munos, ICML 2017) keeps transition counts $N(s, a, s')$,
$n(s, a) = \sum_{s'} N(s, a, s')$, and plans in the empirical model
$\hat P(s' \mid s, a) = N(s, a, s') / n(s, a)$ with a **bonus**. theoryrl's
`bonus="l1"` variant uses, at stage $h = 0, \dots, H-1$,

$$
b_h(s, a) = \frac{H - h - 1}{2} \sqrt{\frac{2 (S \ln 2 + \iota)}{n(s, a)}},
\qquad \iota = \ln \frac{S A H K}{\delta},
$$

($b_h = +\infty$ when $n = 0$) and optimistic backward induction from $\bar V_H = 0$:

$$
\bar Q_h(s, a) = \min\Big(H - h,\; R(s, a) + \sum_{s'} \hat P(s' \mid s, a)\, \bar V_{h+1}(s')
   + b_h(s, a)\Big), \qquad \bar V_h(s) = \max_a \bar Q_h(s, a),
$$

with $\bar Q_h(s, a) = H - h$ for unvisited pairs ($n = 0$).

**Why optimistic.** Weissman's inequality gives, with probability $1 - \delta$ for all
$(s, a)$ and sample sizes, $\|\hat P(\cdot \mid s, a) - P(\cdot \mid s, a)\|_1 \le
\sqrt{2 (S \ln 2 + \iota) / n}$. For any $V$ with values in $[0, H - h - 1]$,
$|(\hat P - P) V| \le \tfrac12 \|\hat P - P\|_1 \operatorname{sp}(V) \le b_h$, so by
induction over $h$, $\bar V_h \ge V^*_h$ on that event, whatever the true $P$.
The clip at $H - h$ keeps $\bar V$ a valid value bound without breaking optimism,
since $V^*_h \le H - h$ too.

Implement

1. `l1_bonus(n, h, S, A, H, K, delta)`: the array $b_h$ for counts `n` (any shape),
   `inf` where `n == 0`;
2. `optimistic_plan(N, R, H, K, delta)`: returns `(V, Q)` of shapes `(H, S)` and `(H, S, A)`.
"""

UCBVI_STUB = r'''
import numpy as np


def l1_bonus(n, h, S, A, H, K, delta):
    """b_h = (H - h - 1) / 2 * sqrt(2 (S ln 2 + iota) / n), iota = ln(S A H K / delta).

    n : ndarray of counts (any shape); return an array of the same shape, inf where n == 0.
    """
    raise NotImplementedError


def optimistic_plan(N, R, H, K, delta):
    """Optimistic backward induction of UCBVI with the l1 bonus.

    Parameters
    ----------
    N : ndarray, shape (S, A, S)
        Transition counts.
    R : ndarray, shape (S, A)
        Known mean rewards in [0, 1].
    H, K : int
        Horizon and number of episodes (in the log factor).
    delta : float

    Returns
    -------
    V : ndarray, shape (H, S)
    Q : ndarray, shape (H, S, A)
    """
    raise NotImplementedError
'''


def _plan_variant(N, R, H, K, delta, clip=True, width=1, unvisited="cap"):
    """Typical mistakes, to name them in hints."""
    S, A = R.shape
    n = N.sum(axis=2)
    iota = math.log(S * A * H * K / delta)
    Phat = np.divide(N, np.maximum(n, 1)[..., None])
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    for h in range(H - 1, -1, -1):
        with np.errstate(divide="ignore", invalid="ignore"):
            b = (H - h - width) / 2 * np.sqrt(2 * (S * math.log(2) + iota) / n)
        q = R + Phat @ V[h + 1] + np.where(n > 0, b, 0.0)
        if clip:
            q = np.minimum(q, H - h)
        q = np.where(n > 0, q, (H - h) if unvisited == "cap" else R)
        Q[h] = q
        V[h] = q.max(axis=1)
    return V[:H], Q


def _ucbvi_inputs(draw):
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from ._strategies import distributions, unit_floats

    S = draw(st.integers(1, 4))
    A = draw(st.integers(1, 3))
    H = draw(st.integers(1, 5))
    N = draw(hnp.arrays(np.int64, (S, A, S), elements=st.sampled_from([0, 0, 1, 2, 5,
                                                                       40, 400])))
    R = draw(unit_floats((S, A)))
    K = draw(st.sampled_from([1, 10, 1000, 10**6]))
    delta = draw(st.sampled_from([0.01, 0.1, 0.5]))
    q = draw(distributions((S, A, S)))
    h = draw(st.integers(0, H - 1))
    return N.astype(float), R, H, K, delta, q, h


def _confidence_kernel(N, q, radius):
    """A true kernel inside the L1 ball of ``radius`` around P_hat (the confidence
    event): P_hat moved towards ``q`` (``q`` itself where a pair is unvisited)."""
    n = N.sum(axis=2)
    Phat = np.where(n[..., None] > 0, N / np.maximum(n, 1)[..., None], q)
    dist = np.abs(q - Phat).sum(axis=2)
    t = np.where(dist > 0, np.minimum(1.0, radius / np.where(dist > 0, dist, 1.0)), 0.0)
    P = Phat + t[..., None] * (q - Phat)
    return P / P.sum(axis=2, keepdims=True)


def _ucbvi_examples() -> dict[str, list[Example]]:
    from ..agents.ucbvi import bonus_log_factor, optimistic_plan
    from ..planning import backward_induction

    out: dict[str, list[Example]] = {"bonus": [], "plan": [], "optimism": []}
    for N, R, H, K, delta, q, h in draws(_ucbvi_inputs, 25):
        S, A = R.shape
        plan = optimistic_plan(N, R, H, K, delta, bonus="l1")
        n = N.sum(axis=2)
        iota = bonus_log_factor("l1", S, A, H, K, delta)
        radius = np.sqrt(2 * (S * math.log(2) + iota) / np.maximum(n, 1))
        want_b = np.where(n > 0, plan.bonus[h], np.inf)  # the package's bonus at stage h
        out["bonus"].append(Example(
            (Call("l1_bonus", (n.astype(np.int64), h, S, A, H, K, delta)),),
            {"b": want_b, "h": h, "H": H, "S": S, "iota": iota, "n": n}))
        out["plan"].append(Example((Call("optimistic_plan", (N, R, H, K, delta)),),
                                   {"V": plan.V, "Q": plan.Q, "H": H,
                                    "args": (N, R, H, K, delta)}))
        P = _confidence_kernel(N, q, radius)
        out["optimism"].append(Example((Call("optimistic_plan", (N, R, H, K, delta)),),
                                       {"Vstar": backward_induction(P, R, H).V, "P": P,
                                        "H": H}))
    return out


def _bonus_hint(b, d, msg) -> str:
    vis = ~np.isinf(d["b"])
    S, H, h, n, iota = d["S"], d["H"], d["h"], d["n"][vis], d["iota"]
    root = np.sqrt(2 * (S * math.log(2) + iota) / n)
    if msg is None:
        return ("an unvisited pair (n = 0) has an infinite bonus: return inf there "
                "(mind 0 * inf = nan at the last stage)")
    if _close(b[vis], (H - h) / 2 * root):
        return ("V_{h+1} ranges over [0, H - h - 1] (one step fewer than stage h): the "
                "width is H - h - 1, not H - h")
    if _close(b[vis], (H - h - 1) * root):
        return "|(P_hat - P) V| <= ||P_hat - P||_1 sp(V) / 2: you dropped the 1/2"
    return "b_h = (H - h - 1) / 2 * sqrt(2 (S ln 2 + iota) / n), iota = ln(S A H K / delta)"


def _check_ucbvi_bonus(ex, outs):
    (b,) = returned(outs[0], ("b",))
    want = ex.data["b"]
    b = np.asarray(b, dtype=float)
    if b.shape != want.shape:
        return Failure(f"shape {want.shape} (the shape of n)", f"shape {b.shape}", "")
    vis = ~np.isinf(want)
    msg = compare(b[vis], want[vis], "b (visited pairs)")
    if msg is None and bool(np.all(np.isposinf(b[~vis]))):
        return None
    return Failure(fmt(want), fmt(b) + (f"\n          ({msg})" if msg else ""),
                   _bonus_hint(b, ex.data, msg))


_PLAN_MISTAKES = (
    (dict(clip=False), "clip Q_h at H - h: the value-to-go of stage h is at most H - h"),
    (dict(width=0), "the bonus width is H - h - 1, the range of V_{h+1}"),
    (dict(unvisited="reward"), "an unvisited pair (n = 0) gets the optimistic value H - h, "
                               "not its reward alone"),
)


def _check_ucbvi_plan(ex, outs):
    V, Q = returned(outs[0], ("V", "Q"))
    d = ex.data
    msg = compare(Q, d["Q"], "Q") or compare(V, d["V"], "V")
    if msg is None:
        return None
    hint = "Q_h = min(H - h, R + P_hat V_{h+1} + b_h), and Q_h = H - h where n = 0"
    for kw, h_ in _PLAN_MISTAKES:
        Vw, Qw = _plan_variant(*d["args"], **kw)
        if _close(Q, Qw) and _close(V, Vw):
            hint = h_
            break
    return Failure(f"V = {fmt(d['V'])}", f"{fmt(V)}\n          ({msg})", hint)


def _argmax_index(x: np.ndarray) -> tuple[int, ...]:
    return tuple(int(j) for j in np.unravel_index(np.argmax(x), x.shape))


def _check_ucbvi_optimism(ex, outs):
    V, _ = returned(outs[0], ("V", "Q"))
    d = ex.data
    V = np.asarray(V, dtype=float)
    if V.shape != d["Vstar"].shape:
        return Failure(f"V of shape {d['Vstar'].shape}", f"shape {V.shape}", "")
    gap = d["Vstar"] - V
    if gap.max() <= 1e-9:
        return None
    i = _argmax_index(gap)
    return Failure(f"V_bar >= V* for the true kernel P = {fmt(d['P'])}\n"
                   f"          (within the L1 confidence ball), V* = {fmt(d['Vstar'])}",
                   f"V_bar{list(i)} = {V[i]:.6g} < V*{list(i)} = {d['Vstar'][i]:.6g}",
                   "optimism needs the full bonus at every visited pair and the cap "
                   "H - h at unvisited pairs (their reward alone is not optimistic)")


def _check_ucbvi_cap(ex, outs):
    V, Q = returned(outs[0], ("V", "Q"))
    H = ex.data["H"]
    Q = np.asarray(Q, dtype=float)
    if Q.ndim != 3 or Q.shape[0] != H:
        return Failure(f"Q of shape (H, S, A) with H = {H}", f"shape {Q.shape}", "")
    over = Q - (H - np.arange(H))[:, None, None]
    if over.max() <= 1e-12:
        return None
    i = _argmax_index(over)
    return Failure("Q_h <= H - h everywhere", f"Q{list(i)} = {Q[i]:.6g} > {H - i[0]}",
                   "clip: Q_h = min(H - h, R + P_hat V_{h+1} + b_h)")


_UCBVI_PROPERTIES = (
    ("l1_bonus equals b_h of UCBVI-L1", ("bonus",), _check_ucbvi_bonus),
    ("optimistic_plan equals the package's UCBVI planner", ("plan",), _check_ucbvi_plan),
    ("values are clipped: Q_h <= H - h", ("plan",), _check_ucbvi_cap),
    ("optimism: V_bar >= V* for every P in the L1 confidence ball", ("optimism",),
     _check_ucbvi_optimism),
)


# ---------------------------------------------------------------------------
# 7. log-log slope of a regret curve, with a confidence interval
# ---------------------------------------------------------------------------

SLOPE_STATEMENT = r"""
A proof check tests a rate such as "regret grows like $\sqrt K$" by fitting the
exponent $b$ in $y \approx c\, x^b$ on a log-log scale. Given sizes $x_1 < \dots < x_m$
and measurements $y_{ij} > 0$ for seeds $i = 1, \dots, n$, ordinary least squares
on the $N = n m$ points $(\ln x_j, \ln y_{ij})$ gives

$$
\hat b = \frac{\sum_{ij} (u_j - \bar u)(\ln y_{ij} - \bar v)}{\sum_{ij} (u_j - \bar u)^2},
\qquad u_j = \ln x_j,
$$

with standard error $\operatorname{se}(\hat b) = \sqrt{\frac{\sum_{ij} e_{ij}^2 / (N - 2)}
{\sum_{ij} (u_j - \bar u)^2}}$ ($e$ the residuals) and the two-sided
confidence interval at level $1 - \alpha$

$$
\hat b \pm t_{1 - \alpha/2,\, N - 2}\; \operatorname{se}(\hat b),
$$

the Student quantile on $N - 2$ degrees of freedom (seeds are independent
replicates, so every (seed, size) point counts).

Implement `fit_slope(x, y, level)` returning `(slope, low, high)` for `x` of shape
`(m,)`, `y` of shape `(n, m)` and `level` $= 1 - \alpha$. For the quantile use
`scipy.special.stdtrit(dof, q)` (the same as `scipy.stats.t.ppf(q, dof)`, and much
quicker to import).
"""

SLOPE_STUB = r'''
import numpy as np
from scipy.special import stdtrit  # stdtrit(dof, q): the Student t quantile


def fit_slope(x, y, level):
    """Log-log slope of y ~ c x^b with a t confidence interval.

    Parameters
    ----------
    x : ndarray, shape (m,)
        Positive, increasing sizes.
    y : ndarray, shape (n, m)
        Positive measurements, one row per seed.
    level : float
        Confidence level in (0, 1), e.g. 0.95.

    Returns
    -------
    slope, low, high : float
    """
    raise NotImplementedError
'''


def _slope_inputs(draw):
    from hypothesis import strategies as st

    m = draw(st.integers(2, 6))
    n = draw(st.integers(1 if m >= 3 else 2, 5))
    start = draw(st.integers(4, 10))
    x = 2.0 ** np.arange(start, start + m)
    b = draw(st.sampled_from([0.0, 0.3, 0.5, 0.66, 1.0]))
    c = draw(st.sampled_from([0.5, 3.0, 40.0]))
    noise = np.array(draw(st.lists(st.integers(-30, 30), min_size=n * m, max_size=n * m)))
    noise[0] += 1  # never a constant curve (its correlation is 0/0)
    y = c * x[None, :] ** b * np.exp(noise.reshape(n, m) / 100.0)
    level = draw(st.sampled_from([0.9, 0.95, 0.99]))
    return x, y, level


def _slope_expected(x, y, level) -> tuple[float, float, float]:
    from ..claims import fit_loglog_slope

    fit = fit_loglog_slope(x, y)
    ci = fit.ci(level)
    return fit.slope, ci.low, ci.high


def _slope_examples() -> dict[str, list[Example]]:
    exact_ex = []
    for b in (0.5, 1.0, 0.25):
        x = np.array([16.0, 64.0, 256.0, 1024.0])
        y = np.vstack([3.0 * x ** b, 3.0 * x ** b])
        exact_ex.append(Example((Call("fit_slope", (x, y, 0.95)),), {"b": b}))
    rand_ex = [Example((Call("fit_slope", (x, y, level)),),
                       {"want": _slope_expected(x, y, level), "x": x, "y": y, "level": level})
               for x, y, level in draws(_slope_inputs, 30)]
    return {"exact": exact_ex, "random": rand_ex}


def _slope_mistakes(x, y, level) -> list[tuple[tuple[float, float, float], str]]:
    """(slope, low, high) of typical mistakes, with their hints."""
    from scipy import stats

    from ..claims import fit_loglog_slope

    out = []
    fit = fit_loglog_slope(x, y)
    z = stats.norm.ppf(0.5 + level / 2)
    out.append(((fit.slope, fit.slope - z * fit.stderr, fit.slope + z * fit.stderr),
                "use the Student t quantile on N - 2 degrees of freedom, not the "
                "normal quantile"))
    if y.shape[1] >= 3:
        fm = fit_loglog_slope(x, y.mean(axis=0))
        ci = fm.ci(level)
        out.append(((fm.slope, ci.low, ci.high),
                    "fit every (seed, size) point, not the seed-averaged curve"))
    lx = np.tile(np.log(x), y.shape[0])
    res = stats.linregress(lx, np.log10(y).ravel())
    out.append(((res.slope, np.nan, np.nan),
                "use the same logarithm for x and y (the slope changes otherwise)"))
    t2 = stats.t.ppf(0.5 + level / 2, lx.size - 2)
    out.append(((fit.slope, fit.slope - 2 * t2 * fit.stderr, fit.slope + 2 * t2 * fit.stderr),
                "the interval is slope +- t * se, not +- 2 t se"))
    out.append(((fit.slope, fit.slope - stats.t.ppf(level, lx.size - 2) * fit.stderr,
                 fit.slope + stats.t.ppf(level, lx.size - 2) * fit.stderr),
                "a two-sided interval at level 1 - alpha uses the 1 - alpha/2 quantile"))
    return out


def _slope_outputs(outs):
    vals = returned(outs[0], ("slope", "low", "high"))
    return tuple(float(np.asarray(v, dtype=float).ravel()[0]) for v in vals)


def _check_slope_exact(ex, outs):
    got = _slope_outputs(outs)
    b = ex.data["b"]
    if all(abs(v - b) <= 1e-8 for v in got):
        return None
    return Failure(f"slope = low = high = {b} (a noiseless power law 3 x^{b})",
                   f"slope = {got[0]:.10g}, CI = [{got[1]:.10g}, {got[2]:.10g}]",
                   "regress ln y on ln x (both natural logs, or both the same base)")


def _check_slope(ex, outs):
    got = _slope_outputs(outs)
    want = ex.data["want"]
    if abs(got[0] - want[0]) <= 1e-8 * (1 + abs(want[0])):
        return None
    hint = "OLS of ln y on ln x over all (seed, size) points"
    for vals, h in _slope_mistakes(ex.data["x"], ex.data["y"], ex.data["level"]):
        if abs(got[0] - vals[0]) <= 1e-8 * (1 + abs(vals[0])) and "logarithm" in h:
            hint = h
    return Failure(f"slope = {want[0]:.10g}", f"slope = {got[0]:.10g}", hint)


def _ci_matches(got, want) -> bool:
    return all(abs(g - w) <= 1e-7 * (1 + abs(w)) for g, w in zip(got[1:], want[1:]))


def _check_slope_ci(ex, outs):
    got = _slope_outputs(outs)
    want = ex.data["want"]
    if _ci_matches(got, want):
        return None
    hint = "slope +- t_{1 - alpha/2, N - 2} se, N = seeds * sizes"
    for vals, h in _slope_mistakes(ex.data["x"], ex.data["y"], ex.data["level"]):
        if _ci_matches(got, vals):
            hint = h
            break
    return Failure(f"CI = [{want[1]:.10g}, {want[2]:.10g}]",
                   f"CI = [{got[1]:.10g}, {got[2]:.10g}]", hint)


_SLOPE_PROPERTIES = (
    ("a noiseless power law gives its exponent, with a zero-width interval", ("exact",),
     _check_slope_exact),
    ("slope equals theoryrl.claims.fit_loglog_slope", ("random",), _check_slope),
    ("interval equals fit_loglog_slope(x, y).ci(level)", ("random",), _check_slope_ci),
)


# ---------------------------------------------------------------------------
# 8. the EpsMix mixing weight
# ---------------------------------------------------------------------------

EPSMIX_STATEMENT = r"""
**Conservative exploration.** A learner must keep every episode's value above a
fraction of a known baseline policy's value $V_b$: $V^{\pi_k} \ge (1 - \alpha) V_b$ with
$\alpha \in (0, 1]$. **EpsMix** plays, in episode $k$, the optimistic policy $\pi^k$
with probability $\rho_k$ and the baseline with probability $1 - \rho_k$; the
mixture's value is $\rho_k V^{\pi^k} + (1 - \rho_k) V_b$. The learner does not know
$V^{\pi^k}$, only a pessimistic lower bound $L_k \le V^{\pi^k}$ (valid with high
probability). The mixture is certified safe when

$$
\rho L_k + (1 - \rho) V_b \ge (1 - \alpha) V_b
\iff \rho\,(V_b - L_k) \le \alpha V_b ,
$$

and EpsMix takes the **largest** such $\rho \in [0, 1]$ (exploring as much as allowed):

$$
\rho_k = \begin{cases} 1 & \text{if } L_k \ge (1 - \alpha) V_b, \\[2pt]
\dfrac{\alpha V_b}{V_b - L_k} & \text{otherwise.} \end{cases}
$$

Two consequences to check yourself: when $\rho_k < 1$ the certificate is tight,
$\rho_k L_k + (1 - \rho_k) V_b = (1 - \alpha) V_b$; and when $L_k \ge 0$,
$\rho_k \ge \alpha$ (the learner never stops exploring).

Implement `mixing_weight(L, V_b, alpha)` returning $\rho$ as a float, for
$L \ge 0$, $V_b \ge 0$, $\alpha \in (0, 1]$. (Careful with $V_b = 0$.)
"""

EPSMIX_STUB = r'''
def mixing_weight(L, V_b, alpha):
    """EpsMix: the largest rho in [0, 1] with rho * L + (1 - rho) * V_b >= (1 - alpha) * V_b.

    Parameters
    ----------
    L : float
        Pessimistic lower bound on the value of the optimistic policy (L >= 0).
    V_b : float
        Value of the baseline policy (V_b >= 0).
    alpha : float
        Allowed fraction of loss, in (0, 1].

    Returns
    -------
    rho : float
    """
    raise NotImplementedError
'''


def reference_epsmix_weight(L: float, V_b: float, alpha: float) -> float:
    r"""EpsMix's mixing weight (reference; mirrors ``theoryrl.agents.stepmix.EpsMix``).

    .. math::

        \rho = 1 \text{ if } L \ge (1-\alpha) V_b, \text{ else }
        \frac{\alpha V_b}{V_b - L} \in (0, 1),

    the largest :math:`\rho \in [0, 1]` with
    :math:`\rho L + (1-\rho) V_b \ge (1-\alpha) V_b` ([D], docs/theory/stepmix.md, "EpsMix").
    The agent additionally shrinks a fractional :math:`\rho` by a factor
    :math:`1 - 10^{-12}` (slack in the safe direction); graders allow 1e-9.

    Examples
    --------
    >>> reference_epsmix_weight(0.5, 2.0, 0.1)
    0.13333333333333333
    """
    thr = (1.0 - alpha) * V_b
    if L >= thr:
        return 1.0
    return min(1.0, max(0.0, alpha * V_b / (V_b - L)))


def _epsmix_agent_rho(P, R, H, pib, alpha, scale, episodes, seed):
    """``(rho, L_k, V_b)`` chosen by :class:`theoryrl.agents.stepmix.EpsMix` after
    ``episodes`` episodes of data (its pessimistic bound ``L_k`` varies with the data
    and ``bonus_scale``; only the rule's inputs and output are read here)."""
    from ..agents.base import Trajectory
    from ..agents.stepmix import EpsMix
    from ..models import TabularMDP

    mdp = TabularMDP(P, R, horizon=H)
    Vb = float(mdp.initial_value(pib))
    agent = EpsMix(mdp.spec, episodes=max(episodes, 1) + 1, baseline=pib, alpha=alpha,
                   baseline_value=Vb, bonus_scale=scale)
    rng = np.random.default_rng(seed)
    agent.reset(rng)
    S, A = R.shape
    for _ in range(episodes):
        agent.policy()
        pi = rng.integers(0, A, size=(H, S))  # any behaviour gives data
        s, states, actions, rewards = 0, [0], [], []
        for h in range(H):
            a = int(pi[h, s])
            actions.append(a)
            rewards.append(R[s, a])
            s = int(rng.choice(S, p=P[s, a]))
            states.append(s)
        agent.update(Trajectory(np.array(states), np.array(actions), np.array(rewards), 1))
    agent.policy()
    info = agent.info()
    return float(info["rho"]), float(info["pessimistic_value"]), Vb


_ALPHAS = (0.05, 0.1, 0.2, 0.5, 1.0)


def _epsmix_scalar_inputs(draw):
    from hypothesis import strategies as st

    V_b = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.7]))
    L = draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0, 1.2])) * max(V_b, 1.0)
    return float(L), float(V_b), float(draw(st.sampled_from(list(_ALPHAS))))


def _epsmix_mdp_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import distributions, episodic

    P, R, H = draw(episodic())
    S, A = R.shape
    pik = draw(distributions((H, S, A)))
    pib = draw(distributions((H, S, A)))
    slack = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6, 1.0]))
    return P, R, pik, pib, slack, draw(st.sampled_from(list(_ALPHAS)))


def _epsmix_agent_inputs(draw):
    from hypothesis import strategies as st

    from ..planning import backward_induction
    from ._strategies import distributions, seeds, unit_floats

    S, A, H = draw(st.integers(2, 3)), 2, draw(st.integers(2, 3))
    P = draw(distributions((S, A, S)))
    R = draw(unit_floats((S, A)))
    pib = np.array(draw(st.lists(st.integers(0, A - 1), min_size=H * S,
                                 max_size=H * S))).reshape(H, S)
    if draw(st.booleans()):  # an optimal baseline: V_b = V*, so L_k < V_b is typical
        pib = backward_induction(P, R, H).policy
    return (P, R, H, pib, draw(st.sampled_from(list(_ALPHAS))),
            draw(st.sampled_from([1.0, 0.1, 0.01])), draw(st.sampled_from([0, 1, 3, 10])),
            draw(seeds()))


def _epsmix_examples() -> dict[str, list[Example]]:
    from ..planning import evaluate_policy

    sc = list(draws(_epsmix_scalar_inputs, 30))
    sc += [(0.0, 0.0, 0.1), (0.9, 1.0, 0.1), (0.0, 1.0, 1.0), (1.0, 1.0, 0.05)]
    scalar_ex = [Example((Call("mixing_weight", (L, V_b, a)),),
                         {"rho": reference_epsmix_weight(L, V_b, a), "L": L, "V_b": V_b,
                          "alpha": a}) for L, V_b, a in sc]
    mdp_ex = []
    for P, R, pik, pib, slack, a in draws(_epsmix_mdp_inputs, 25):
        Vk = float(evaluate_policy(P, R, pik)[0, 0])
        Vb = float(evaluate_policy(P, R, pib)[0, 0])
        L = Vk * (1 - slack)  # a valid pessimistic bound: L <= V^{pi^k}
        mdp_ex.append(Example((Call("mixing_weight", (L, Vb, a)),),
                              {"Vk": Vk, "V_b": Vb, "L": L, "alpha": a}))
    agent_ex = []
    for P, R, H, pib, a, scale, episodes, seed in draws(_epsmix_agent_inputs, 20):
        rho, L, Vb = _epsmix_agent_rho(P, R, H, pib, a, scale, episodes, seed)
        agent_ex.append(Example((Call("mixing_weight", (L, Vb, a)),),
                                {"rho": rho, "L": L, "V_b": Vb, "alpha": a}))
    return {"scalar": scalar_ex, "mdp": mdp_ex, "agent": agent_ex}


def _rho_of(outs):
    (rho,) = returned(outs[0], ("rho",))
    r = np.asarray(rho, dtype=float)
    if r.size != 1:
        raise _framework.Rejected(Failure("a float", f"an array of shape {r.shape}", ""))
    return float(r.ravel()[0])


def _rho_hint(rho: float, alpha: float) -> str:
    if math.isnan(rho):
        return ("0/0: when V_b = 0 the threshold is 0 <= L, so rho = 1; test the "
                "threshold before dividing")
    if rho < 0:
        return "wrong sign: the denominator is V_b - L > 0 (the baseline is the better one)"
    if rho > 1:
        return "rho is a probability: when L >= (1 - alpha) V_b take rho = 1"
    if abs(rho - alpha) <= 1e-9:
        return "rho = alpha is only the floor; the largest safe weight is alpha V_b / (V_b - L)"
    return "rho = 1 if L >= (1 - alpha) V_b else alpha V_b / (V_b - L)"


def _check_epsmix_match(ex, outs):
    rho = _rho_of(outs)
    d = ex.data
    if abs(rho - d["rho"]) <= 1e-9:
        return None
    L, Vb, a = d["L"], d["V_b"], d["alpha"]
    return Failure(f"rho = {d['rho']:.10g}  (L = {L:.6g}, V_b = {Vb:.6g}, alpha = {a:g})",
                   f"rho = {rho:.10g}", _rho_hint(rho, a))


def _check_epsmix_safe(ex, outs):
    rho = _rho_of(outs)
    d = ex.data
    thr = (1 - d["alpha"]) * d["V_b"]
    value = rho * d["Vk"] + (1 - rho) * d["V_b"]
    if 0 <= rho <= 1 and value >= thr - 1e-9:
        return None
    return Failure(f"0 <= rho <= 1 and rho V^pi_k + (1 - rho) V_b >= (1 - alpha) V_b "
                   f"= {thr:.6g}\n          (exact V^pi_k = {d['Vk']:.6g}, "
                   f"V_b = {d['V_b']:.6g}, L = {d['L']:.6g})",
                   f"rho = {rho:.6g}, mixture value {value:.6g}",
                   "only the certificate with L (not V^pi_k) may decide rho; "
                   "rho (V_b - L) <= alpha V_b")


def _check_epsmix_tight(ex, outs):
    rho = _rho_of(outs)
    d = ex.data
    thr = (1 - d["alpha"]) * d["V_b"]
    cert = rho * d["L"] + (1 - rho) * d["V_b"]
    if abs(rho - 1) <= 1e-9 or (abs(cert - thr) <= 1e-9 and rho <= 1):
        return None
    return Failure(f"rho = 1, or rho L + (1 - rho) V_b = (1 - alpha) V_b = {thr:.6g}",
                   f"rho = {rho:.6g} with certificate {cert:.6g}",
                   "take the LARGEST safe rho: solve rho (V_b - L) = alpha V_b")


def _check_epsmix_floor(ex, outs):
    rho = _rho_of(outs)
    d = ex.data
    if rho >= d["alpha"] - 1e-12:
        return None
    return Failure(f"rho >= alpha = {d['alpha']:g} (L = {d['L']:.6g} >= 0)",
                   f"rho = {rho:.6g}", "with L >= 0, alpha V_b / (V_b - L) >= alpha")


_EPSMIX_PROPERTIES = (
    ("rho equals the EpsMix rule", ("scalar",), _check_epsmix_match),
    ("rho equals what theoryrl.agents.stepmix.EpsMix plays (its L_k, V_b)", ("agent",),
     _check_epsmix_match),
    ("safety: the exact mixture value stays >= (1 - alpha) V_b on random MDPs", ("mdp",),
     _check_epsmix_safe),
    ("rho is the largest certified weight (tight when rho < 1)", ("scalar", "mdp"),
     _check_epsmix_tight),
    ("exploration floor: rho >= alpha", ("scalar", "mdp"), _check_epsmix_floor),
)


EXERCISES = [
    Exercise("ucbvi_bonus", "The UCBVI bonus and why it makes values optimistic",
             UCBVI_STATEMENT, UCBVI_STUB,
             {"l1_bonus": ("n", "h", "S", "A", "H", "K", "delta"),
              "optimistic_plan": ("N", "R", "H", "K", "delta")},
             "theoryrl.agents.ucbvi.optimistic_plan, the planner of UCBVI(bonus='l1')",
             properties(_UCBVI_PROPERTIES, _ucbvi_examples), "exploration"),
    Exercise("loglog_slope", "A regret curve's log-log slope with a confidence interval",
             SLOPE_STATEMENT, SLOPE_STUB, {"fit_slope": ("x", "y", "level")},
             "theoryrl.claims.fit_loglog_slope(x, y).ci(level)",
             properties(_SLOPE_PROPERTIES, _slope_examples),
             "statistics"),
    Exercise("epsmix_weight", "The EpsMix mixing weight of conservative exploration",
             EPSMIX_STATEMENT, EPSMIX_STUB, {"mixing_weight": ("L", "V_b", "alpha")},
             "the rho played by theoryrl.agents.stepmix.EpsMix",
             properties(_EPSMIX_PROPERTIES, _epsmix_examples), "exploration"),
]
