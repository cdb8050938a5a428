r"""Exercises on robust planning and policy optimisation: the worst case over an
L1 ball of transition kernels, one mirror-descent (KL-proximal) policy step, and
the GPOMDP policy-gradient estimator.

Graders compare with :func:`theoryrl.robust.l1_worst` (the robust Bellman
operator's inner problem), :func:`theoryrl.agents.mdpo.mirror_descent_step`, and,
for GPOMDP, with the estimator of
:meth:`theoryrl.evaluation.policy_gradient.PolicyGradientMDP.gpomdp` restated in NumPy on
the given per-step scores (the package computes the scores from its own policy
class, the student receives them as an array).
"""

from __future__ import annotations

import numpy as np

from ._framework import (
    Call,
    Example,
    Exercise,
    Failure,
    Rejected,
    compare,
    draws,
    fmt,
    properties,
    returned,
)

__all__ = ["EXERCISES"]


# ---------------------------------------------------------------------------
# robust MDPs: the L1-ball inner problem
# ---------------------------------------------------------------------------

L1_STATEMENT = r"""
Robust MDPs (Iyengar 2005; Nilim & El Ghaoui 2005) replace the Bellman backup's
expectation $\hat p^\top v$ by its worst case over an uncertainty set. For the
**L1 ball** of radius $\beta \ge 0$ around a distribution $\hat p$ on $S$ states,

$$
\sigma(v) = \min \big\{ p^\top v \;:\; p \in \Delta_S,\ \|p - \hat p\|_1 \le \beta \big\}.
$$

This linear program has a closed-form solution. Let $i = \arg\min_s v(s)$ (lowest
index on ties). Moving an amount $m$ of probability onto $i$ changes the L1 distance
by $2m$, and $p(i)$ cannot exceed $1$, so the amount moved is

$$
\delta = \min\big(\beta / 2,\; 1 - \hat p(i)\big).
$$

Add $\delta$ to $p(i)$ and remove the same mass from the other states, **taking it
first from the states of largest value** (each gives at most its own mass
$\hat p(s)$), until $\delta$ has been removed.

Implement `l1_worst_case(p_hat, v, beta)` returning `(value, p)`: the worst-case
value $\sigma(v)$ (a float) and a minimising distribution $p$ of shape `(S,)`.
"""

L1_STUB = r'''
import numpy as np


def l1_worst_case(p_hat, v, beta):
    """Worst case of p . v over the L1 ball of radius beta around p_hat.

    p_hat : ndarray, shape (S,), a distribution.
    v : ndarray, shape (S,), values of the next states.
    beta : float >= 0, the radius.
    Returns (value, p): the minimum of p . v (a float) and the minimiser p, shape (S,).
    """
    raise NotImplementedError
'''


def _l1_lowest_first(p_hat: np.ndarray, v: np.ndarray, beta: float) -> float:
    """The value when the mass is taken from the LOWEST values first (a typical mistake)."""
    i = int(np.argmin(v))
    p = p_hat.astype(float).copy()
    delta = min(beta / 2.0, 1.0 - p[i])
    p[i] += delta
    for j in np.argsort(v, kind="stable"):
        if j != i:
            take = min(delta, p[j])
            p[j] -= take
            delta -= take
    return float(p @ v)


def _l1_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import distributions, unit_floats

    S = draw(st.integers(2, 5))
    p_hat = draw(distributions((S,)))
    v = draw(unit_floats((S,)))
    beta = draw(st.integers(0, 20)) / 10.0
    return p_hat, v, beta


def _l1_examples() -> dict[str, list[Example]]:
    from ..robust import l1_worst

    cases = draws(_l1_inputs, 60)
    # hand-written: a large radius (the cap binds), a point mass, a zero radius
    cases += [(np.array([0.2, 0.5, 0.3]), np.array([0.0, 1.0, 0.5]), 1.9),
              (np.array([0.0, 1.0, 0.0]), np.array([0.3, 0.9, 0.1]), 0.6),
              (np.array([0.25, 0.25, 0.5]), np.array([0.4, 0.2, 0.7]), 0.0),
              (np.array([0.1, 0.3, 0.2, 0.4]), np.array([0.0, 0.5, 0.8, 1.0]), 0.5)]
    examples = []
    for p_hat, v, beta in cases:
        value, _ = l1_worst(p_hat, v, beta)
        examples.append(Example((Call("l1_worst_case", (p_hat, v, float(beta))),),
                                {"want": float(value), "p_hat": p_hat, "v": v,
                                 "beta": float(beta)}))
    return {"ball": examples}


def _feasible(p: np.ndarray, d: dict) -> None:
    """Rejects ``p`` unless it is a distribution in the L1 ball."""
    if p.shape != d["p_hat"].shape:
        raise Rejected(Failure(f"p of shape {d['p_hat'].shape}", f"shape {p.shape}",
                               "return the minimising distribution p itself"))
    if np.any(p < -1e-9) or abs(p.sum() - 1.0) > 1e-9:
        raise Rejected(Failure("p in the simplex (non-negative, summing to 1)",
                               f"p = {fmt(p)} (sum {p.sum():.6g})",
                               "cap the mass moved: delta = min(beta/2, 1 - p_hat[argmin v]); "
                               "p(argmin v) cannot exceed 1"))
    dist = np.abs(p - d["p_hat"]).sum()
    if dist > d["beta"] + 1e-9:
        raise Rejected(Failure(f"||p - p_hat||_1 <= beta = {d['beta']:g}", f"{dist:.6g}",
                               "moving mass m onto argmin v costs 2m of L1 distance: "
                               "delta = min(beta/2, ...)"))


def _check_l1(ex, outs):
    value, p = returned(outs[0], ("value", "p"))
    d = ex.data
    p = np.asarray(p, dtype=float).ravel()
    _feasible(p, d)
    msg = compare(value, d["want"], "value", atol=1e-9, rtol=1e-9)
    if msg is None:
        msg = compare(p @ d["v"], d["want"], "p . v", atol=1e-9, rtol=1e-9)
    if msg is None:
        return None
    g = float(np.asarray(value, dtype=float).ravel()[0]) \
        if np.size(value) == 1 else float("nan")
    if np.isclose(g, _l1_lowest_first(d["p_hat"], d["v"], d["beta"]), atol=1e-9):
        hint = ("take the mass from the states of LARGEST value first: removing "
                "mass from a low-value state barely lowers p . v")
    else:
        hint = "value must equal p . v for the p you return, the minimum over the ball"
    return Failure(fmt(d["want"]), f"{fmt(value)}\n          ({msg})", hint)


_L1_PROPERTIES = (
    ("l1_worst_case value equals theoryrl.robust.l1_worst and p is a feasible minimiser",
     ("ball",), _check_l1),
)


# ---------------------------------------------------------------------------
# mirror descent policy optimisation: the KL-proximal step
# ---------------------------------------------------------------------------

MD_STATEMENT = r"""
Mirror descent policy optimisation (Tomar, Shani, Efroni & Ghavamzadeh, ICLR 2022;
Xiao, JMLR 2022) updates a tabular policy state by state with a KL-proximal step of
size $t > 0$ on the action values $Q = Q^{\pi_k}$ (rewards, to be maximised):

$$
\pi_{k+1}(\cdot \mid s) = \arg\max_{p \in \Delta_A}
\Big\{ t \langle Q(s, \cdot), p \rangle - \mathrm{KL}\big(p \,\|\, \pi_k(\cdot \mid s)\big) \Big\}.
$$

Its solution is the multiplicative-weights update
$\pi_{k+1}(a \mid s) \propto \pi_k(a \mid s)\, e^{t Q(s, a)}$, which in log space reads

$$
\log \pi_{k+1}(a \mid s) = \log \pi_k(a \mid s) + t\, Q(s, a)
  - \log \sum_{b} \pi_k(b \mid s)\, e^{t Q(s, b)} .
$$

Implement `mirror_descent_step(logpi, Q, t)`: `logpi` and `Q` of shape `(S, A)`,
returning $\log \pi_{k+1}$ of shape `(S, A)`. Work in log space (a log-sum-exp
with the maximum subtracted), so that large $t Q$ does not overflow.
"""

MD_STUB = r'''
import numpy as np


def mirror_descent_step(logpi, Q, t):
    """One KL-proximal (mirror descent) policy step in log space.

    logpi : ndarray, shape (S, A), log pi_k (every row a log-distribution).
    Q : ndarray, shape (S, A), action values of pi_k (to be maximised).
    t : float > 0, the step size.
    Returns log pi_{k+1}, shape (S, A).
    """
    raise NotImplementedError
'''


def _md_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import distributions, unit_floats

    S = draw(st.integers(1, 4))
    A = draw(st.integers(2, 4))
    pi = draw(distributions((S, A), low=1))
    Q = draw(unit_floats((S, A))) * draw(st.sampled_from([1.0, 5.0, 20.0]))
    t = draw(st.sampled_from([0.1, 0.5, 1.0, 3.0]))
    return np.log(pi), Q, t


def _md_examples() -> dict[str, list[Example]]:
    from ..agents.mdpo import mirror_descent_step

    cases = draws(_md_inputs, 40)
    # hand-written: a large step (overflows without the log-sum-exp shift), one state
    cases += [(np.log(np.array([[0.5, 0.5], [0.9, 0.1]])),
               np.array([[800.0, 0.0], [0.0, 900.0]]), 2.0),
              (np.log(np.array([[0.2, 0.3, 0.5]])), np.array([[1.0, 0.0, 2.0]]), 0.7)]
    return {"steps": [Example((Call("mirror_descent_step", (lp, Q, float(t))),),
                              {"want": mirror_descent_step(lp, Q, float(t)), "logpi": lp,
                               "Q": Q, "t": float(t)})
                      for lp, Q, t in cases]}


def _md_hint(got, d) -> str:
    from scipy.special import logsumexp

    if got.shape != d["want"].shape:
        return "return shape (S, A)"
    lp, Q, t = d["logpi"], d["Q"], d["t"]
    flipped = lp - t * Q
    if np.allclose(got, flipped - logsumexp(flipped, axis=1, keepdims=True), atol=1e-7):
        return ("sign: Q are rewards to maximise, so the step is log pi + t Q "
                "(mass moves towards LARGE Q)")
    raw = lp + t * Q
    if np.allclose(got, raw, atol=1e-7):
        return ("normalise per state: subtract log sum_b pi_k(b|s) exp(t Q(s, b)) "
                "from every row")
    if np.allclose(got, raw - logsumexp(raw), atol=1e-7):
        return ("normalise per state (each row sums to 1), not over the whole table: "
                "logsumexp along axis 1")
    if not np.all(np.isfinite(got)):
        return "subtract the row maximum before exponentiating (log-sum-exp)"
    return "log pi_{k+1} = log pi_k + t Q - logsumexp(log pi_k + t Q) along each row"


def _matches_want(ex, outs, name: str, tol: float, hint_of) -> Failure | None:
    """The one returned array ``name`` against ``ex.data["want"]``; ``hint_of(got, data)``
    names the mistake."""
    (x,) = returned(outs[0], (name,))
    d = ex.data
    msg = compare(x, d["want"], name, atol=tol, rtol=tol)
    if msg is None:
        return None
    return Failure(fmt(d["want"]), f"{fmt(x)}\n          ({msg})",
                   hint_of(np.asarray(x, dtype=float), d))


def _check_md(ex, outs):
    return _matches_want(ex, outs, "logpi_next", 1e-8, _md_hint)


_MD_PROPERTIES = (
    ("mirror_descent_step equals theoryrl.agents.mdpo.mirror_descent_step", ("steps",),
     _check_md),
)


# ---------------------------------------------------------------------------
# momentum policy gradient: the GPOMDP estimator
# ---------------------------------------------------------------------------

GPOMDP_STATEMENT = r"""
Variance-reduced and momentum policy-gradient methods (Papini et al., ICML 2018;
Huang et al., ICML 2020; Fatkhullin, Barakat, Kireeva & He, ICML 2023, whose N-PG-IGT
and HARPG use it on truncated trajectories) are built on an unbiased single-trajectory
gradient estimator of the discounted return $J(\theta) = \mathbb{E}
\big[\sum_{h=0}^{H-1} \gamma^h r_h\big]$. With the scores
$\psi_t = \nabla_\theta \log \pi_\theta(a_t \mid s_t)$, the **GPOMDP** estimator
(Baxter & Bartlett, 2001) is

$$
g(\tau) = \sum_{t=0}^{H-1} \Big( \sum_{h=t}^{H-1} \gamma^h r_h \Big)\, \psi_t .
$$

Each score multiplies only the rewards that come *after* it (an action cannot
influence earlier rewards), and the rewards keep their discount $\gamma^h$ from the
start of the episode, as in $J$.

Implement `gpomdp(scores, rewards, gamma)`: `scores` of shape `(H, d)` (row $t$ is
$\psi_t$), `rewards` of shape `(H,)` (the undiscounted $r_h$), and $\gamma \in (0, 1]$;
return $g$ of shape `(d,)`.
"""

GPOMDP_STUB = r'''
import numpy as np


def gpomdp(scores, rewards, gamma):
    """GPOMDP gradient estimate of one trajectory.

    scores : ndarray, shape (H, d), row t = grad log pi(a_t | s_t).
    rewards : ndarray, shape (H,), undiscounted rewards r_0 .. r_{H-1}.
    gamma : float in (0, 1], the discount.
    Returns g, shape (d,).
    """
    raise NotImplementedError
'''


def _gpomdp(scores: np.ndarray, rewards: np.ndarray, gamma: float,
            undiscounted: bool = False, from_start: bool = False,
            restart: bool = False) -> np.ndarray:
    """The estimator and, with a flag, the typical mistakes (for hints only)."""
    H = rewards.shape[0]
    disc = gamma ** np.arange(H)
    w = rewards if undiscounted else rewards * disc
    if from_start:
        coef = np.cumsum(w)
    elif restart:
        coef = np.array([np.sum(rewards[t:] * disc[:H - t]) for t in range(H)])
    else:
        coef = np.cumsum(w[::-1])[::-1]
    return coef @ scores


def _gpomdp_inputs(draw):
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from ._strategies import unit_floats

    H = draw(st.integers(1, 8))
    d = draw(st.integers(1, 3))
    scores = draw(hnp.arrays(np.int64, (H, d), elements=st.integers(-5, 5))) / 5.0
    rewards = draw(unit_floats((H,)))
    gamma = draw(st.sampled_from([0.5, 0.8, 0.9, 0.99, 1.0]))
    return scores, rewards, gamma


def _gpomdp_model_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import mdps, seeds

    P, R = draw(mdps(max_S=3, max_A=3, dense=True))
    gamma = draw(st.sampled_from([0.5, 0.8, 0.95]))
    H = draw(st.integers(1, 8))
    return P, R, gamma, H, draw(seeds())


def _gpomdp_examples() -> dict[str, list[Example]]:
    cases = draws(_gpomdp_inputs, 50)
    # hand-written: a trajectory where every mistake changes the answer
    cases += [(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]), np.array([1.0, 0.5, 1.0]),
               0.5)]
    return {"random": [Example((Call("gpomdp", (sc, r, float(g))),),
                               {"want": _gpomdp(sc, r, float(g)), "scores": sc, "rewards": r,
                                "gamma": float(g)})
                       for sc, r, g in cases]}


def _gpomdp_model_examples() -> dict[str, list[Example]]:
    """Trajectories of the package's own policy-gradient model: the student gets the
    per-step scores and the undiscounted rewards, the expectation is its gpomdp."""
    from ..evaluation.policy_gradient import PolicyGradientMDP

    on_model = []
    for P, R, gamma, H, seed in draws(_gpomdp_model_inputs, 20):
        S = P.shape[0]
        m = PolicyGradientMDP(P, R, gamma, np.full(S, 1.0 / S))
        rng = np.random.default_rng(seed)
        theta = rng.normal(size=(1, m.dim))
        traj = m.sample(theta, H, rng)
        sc = m.score(theta[0])[traj.states[0], traj.actions[0]]  # (H, d)
        r = R[traj.states[0], traj.actions[0]]  # undiscounted
        on_model.append(Example((Call("gpomdp", (sc, r, float(gamma))),),
                                {"want": m.gpomdp(theta, traj)[0], "scores": sc, "rewards": r,
                                 "gamma": float(gamma)}))
    return {"model": on_model}


_GPOMDP_MISTAKES = (
    ({"undiscounted": True}, "discount the rewards: weight r_h by gamma^h"),
    ({"from_start": True}, "score t multiplies the rewards from t ON (h >= t), not the "
                           "rewards before it"),
    ({"restart": True}, "keep the discount from the start of the episode: gamma^h, not "
                        "gamma^(h - t)"),
)


def _gpomdp_hint(got, d) -> str:
    if got.size != d["want"].size:
        return "return shape (d,)"
    args = (d["scores"], d["rewards"], d["gamma"])
    for kw, hint in _GPOMDP_MISTAKES:
        if np.allclose(got.ravel(), _gpomdp(*args, **kw), atol=1e-9):
            return hint
    return "g = sum_t (sum_{h >= t} gamma^h r_h) scores[t]"


def _check_gpomdp(ex, outs):
    return _matches_want(ex, outs, "g", 1e-9, _gpomdp_hint)


_GPOMDP_PROPERTIES = (
    ("gpomdp equals sum_t (sum_{h>=t} gamma^h r_h) scores[t]", ("random",), _check_gpomdp),
    ("gpomdp equals PolicyGradientMDP.gpomdp on trajectories of "
     "theoryrl.evaluation.policy_gradient", ("model",), _check_gpomdp),
)


EXERCISES = [
    Exercise("l1_worst_case", "The worst case over an L1 ball (robust Bellman backup)",
             L1_STATEMENT, L1_STUB, {"l1_worst_case": ("p_hat", "v", "beta")},
             "theoryrl.robust.l1_worst", properties(_L1_PROPERTIES, _l1_examples), "robust MDPs"),
    Exercise("mirror_descent_step", "One mirror-descent (KL-proximal) policy step",
             MD_STATEMENT, MD_STUB, {"mirror_descent_step": ("logpi", "Q", "t")},
             "theoryrl.agents.mdpo.mirror_descent_step", properties(_MD_PROPERTIES, _md_examples),
             "policy optimisation"),
    Exercise("gpomdp", "The GPOMDP policy-gradient estimator", GPOMDP_STATEMENT, GPOMDP_STUB,
             {"gpomdp": ("scores", "rewards", "gamma")},
             "theoryrl.evaluation.policy_gradient.PolicyGradientMDP.gpomdp",
             properties(_GPOMDP_PROPERTIES, _gpomdp_examples, _gpomdp_model_examples),
             "policy gradient"),
]
