r"""Exercise on linear mixture MDPs: the feature map :math:`\phi_V` and one step of
value-targeted regression (VTR).

The grader compares :math:`\phi_V` with :meth:`theoryrl.models.LinearMixtureMDP.phi_V`
and the induced kernel of :meth:`~theoryrl.models.LinearMixtureMDP.to_tabular`, and
the regression step with the Sherman-Morrison update of the reward-free agent
(``theoryrl.agents._reward_free_kernels.sherman_morrison``, used by
:class:`~theoryrl.agents.reward_free.HFUCRLRFEpp`, Algorithm 4 lines 12-15 with
weight :math:`w = 1/\sigma^2`), with :math:`\theta = \Sigma^{-1} b` as at the end of
each episode there.
"""

from __future__ import annotations

import numpy as np

from ._framework import Call, Example, Exercise, Failure, compare, draws, fmt, properties, returned
from ._framework import close as _close

__all__ = ["EXERCISES"]


VTR_STATEMENT = r"""
In a **linear mixture MDP** (Ayoub et al. 2020; Zhou et al. 2021) the transition
kernel is linear in known features $\phi(s' \mid s, a) \in \mathbb{R}^d$ with an
unknown parameter $\theta^* \in \mathbb{R}^d$:
$P(s' \mid s, a) = \langle \phi(s' \mid s, a), \theta^* \rangle$.
For any value function $V$ define

$$
\phi_V(s, a) = \sum_{s'} \phi(s' \mid s, a)\, V(s') \in \mathbb{R}^d,
\qquad\text{so that}\qquad
(P V)(s, a) = \langle \phi_V(s, a), \theta^* \rangle .
$$

After a transition $(s, a, s')$ the realised $V(s')$ is an unbiased, bounded
observation of $\langle \phi_V(s, a), \theta^* \rangle$: regressing $y = V(s')$ on
$x = \phi_V(s, a)$ estimates $\theta^*$. This is **value-targeted regression**.
With a weight $1/\sigma^2$ (a variance estimate) the weighted ridge statistics are
updated by

$$
\Sigma' = \Sigma + \frac{x x^\top}{\sigma^2}, \qquad b' = b + \frac{x\, y}{\sigma^2},
\qquad \theta' = \Sigma'^{-1} b',
$$

and the inverse is kept up to date by the **Sherman-Morrison** formula

$$
\Sigma'^{-1} = \Sigma^{-1}
    - \frac{\Sigma^{-1} x\, x^\top \Sigma^{-1}}{\sigma^2 + x^\top \Sigma^{-1} x}.
$$

Implement

1. `phi_V(phi, V)`: `phi` of shape `(S, A, S, d)` (`phi[s, a, s2]` is $\phi(s_2 \mid s, a)$),
   `V` of shape `(S,)`; return shape `(S, A, d)`;
2. `vtr_step(Sigma_inv, b, x, y, sigma2)`: return `(Sigma_inv_new, b_new, theta_new)`
   of shapes `(d, d)`, `(d,)`, `(d,)`.
"""

VTR_STUB = r'''
import numpy as np


def phi_V(phi, V):
    """phi_V(s, a) = sum_s' phi(s'|s, a) V(s'); phi (S, A, S, d), V (S,) -> (S, A, d)."""
    raise NotImplementedError


def vtr_step(Sigma_inv, b, x, y, sigma2):
    """One weighted value-targeted regression step.

    Parameters
    ----------
    Sigma_inv : ndarray, shape (d, d)
        Inverse of the current Gram matrix Sigma.
    b : ndarray, shape (d,)
    x : ndarray, shape (d,)
        The regressor phi_V(s, a).
    y : float
        The target V(s').
    sigma2 : float
        The variance weight (the sample counts with weight 1 / sigma2).

    Returns
    -------
    Sigma_inv_new : ndarray, shape (d, d)
    b_new : ndarray, shape (d,)
    theta_new : ndarray, shape (d,)
    """
    raise NotImplementedError
'''


def _mixture_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import distributions, unit_floats

    S = draw(st.integers(1, 4))
    A = draw(st.integers(1, 3))
    d = draw(st.integers(1, 3))
    basis = draw(distributions((d, S, A, S)))  # d kernels, mixed by theta
    theta = draw(distributions((d,)))
    V = draw(unit_floats((S,))) * draw(st.integers(1, 5))
    return np.ascontiguousarray(np.moveaxis(basis, 0, -1)), theta, V


def _step_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import unit_floats

    d = draw(st.integers(1, 4))
    m = draw(st.integers(0, 5))
    X = draw(unit_floats((m, d))) * 2 - 1
    lam = draw(st.sampled_from([0.1, 1.0, 4.0]))
    Sigma = lam * np.eye(d) + X.T @ X
    b = draw(unit_floats((d,))) - 0.5
    x = draw(unit_floats((d,))) * 3
    y = float(draw(st.integers(0, 30))) / 10
    sigma2 = draw(st.sampled_from([0.25, 1.0, 4.0]))
    return np.linalg.inv(Sigma), b, x, y, sigma2


def _vtr_examples() -> dict[str, list[Example]]:
    from ..models import LinearMixtureMDP

    phi_ex = []
    for phi, theta, V in draws(_mixture_inputs, 25):
        S, A = phi.shape[0], phi.shape[1]
        lm = LinearMixtureMDP(phi, theta, R=np.zeros((S, A)), horizon=1)
        phi_ex.append(Example((Call("phi_V", (phi, V)),),
                              {"want": lm.phi_V(V), "PV": lm.to_tabular().P @ V,
                               "theta": theta, "phi": phi, "V": V}))
    step_ex = []
    for Sinv, b, x, y, sigma2 in draws(_step_inputs, 30):
        # Sherman-Morrison: (Sigma + w x x')^{-1} = Sinv - w Sinv x x' Sinv / (1 + w x' Sinv x)
        w, u = 1.0 / sigma2, Sinv @ x
        want = Sinv - w * np.outer(u, u) / (1.0 + w * x @ u)
        bn = b + x * y / sigma2
        step_ex.append(Example((Call("vtr_step", (Sinv, b, x, y, sigma2)),), {
            "Sinv": want, "b": bn, "theta": want @ bn, "args": (Sinv, b, x, y, sigma2)}))
    return {"phi": phi_ex, "step": step_ex}


def _check_phi(ex, outs):
    (pv,) = returned(outs[0], ("phi_V",))
    d = ex.data
    msg = compare(pv, d["want"], "phi_V")
    if msg is None:
        return None
    phi, V = d["phi"], d["V"]
    hint = "phi_V[s, a] = sum over the NEXT state s2 of phi[s, a, s2] * V[s2]"
    if _close(pv, np.einsum("satd,s->tad", phi, V)) or \
            _close(pv, np.einsum("satd,s->sad", phi, V)):
        hint = "sum over the NEXT-state axis (axis 2 of phi), weighting by V(s')"
    elif _close(pv, phi.sum(axis=2)):
        hint = "you summed the features without weighting them by V(s')"
    return Failure(fmt(d["want"]), f"{fmt(pv)}\n          ({msg})", hint)


def _check_phi_mean(ex, outs):
    (pv,) = returned(outs[0], ("phi_V",))
    d = ex.data
    pv = np.asarray(pv, dtype=float)
    if pv.shape != d["want"].shape:
        return Failure(f"shape {d['want'].shape}", f"shape {pv.shape}", "")
    got = pv @ d["theta"]
    msg = compare(got, d["PV"], "<phi_V, theta>")
    return None if msg is None else Failure(
        f"(P V)(s, a) = {fmt(d['PV'])} for theta = {fmt(d['theta'])}",
        f"{fmt(got)}\n          ({msg})",
        "with P = <phi, theta>, <phi_V(s, a), theta> must be the expected next value")


def _sinv_hint(ex, got_Sinv) -> str:
    Sinv, b, x, y, s2 = ex.data["args"]
    no_w = Sinv - np.outer(Sinv @ x, Sinv @ x) / (1 + x @ Sinv @ x)
    if _close(got_Sinv, no_w):
        return "the sample has weight 1/sigma2: Sigma' = Sigma + x x^T / sigma2"
    plus = Sinv + np.outer(Sinv @ x, Sinv @ x) / (s2 + x @ Sinv @ x)
    if _close(got_Sinv, plus):
        return "wrong sign: adding data shrinks the inverse (Sherman-Morrison subtracts)"
    return ("Sherman-Morrison: Sigma_inv - (Sigma_inv x)(Sigma_inv x)^T / "
            "(sigma2 + x^T Sigma_inv x)")


def _check_sinv(ex, outs):
    Sn, _, _ = returned(outs[0], ("Sigma_inv_new", "b_new", "theta_new"))
    msg = compare(Sn, ex.data["Sinv"], "Sigma_inv_new", atol=1e-9, rtol=1e-7)
    return None if msg is None else Failure(
        fmt(ex.data["Sinv"]), f"{fmt(Sn)}\n          ({msg})", _sinv_hint(ex, Sn))


def _check_b(ex, outs):
    _, bn, _ = returned(outs[0], ("Sigma_inv_new", "b_new", "theta_new"))
    msg = compare(bn, ex.data["b"], "b_new")
    if msg is None:
        return None
    Sinv, b, x, y, s2 = ex.data["args"]
    hint = "b' = b + x y / sigma2"
    if _close(bn, b + x * y):
        hint = "weight the new sample by 1/sigma2: b' = b + x y / sigma2"
    return Failure(fmt(ex.data["b"]), f"{fmt(bn)}\n          ({msg})", hint)


def _check_theta(ex, outs):
    _, _, th = returned(outs[0], ("Sigma_inv_new", "b_new", "theta_new"))
    msg = compare(th, ex.data["theta"], "theta_new", atol=1e-8, rtol=1e-7)
    if msg is None:
        return None
    Sinv, b, x, y, s2 = ex.data["args"]
    hint = "theta' = Sigma'^{-1} b' with the UPDATED inverse and the updated b"
    if _close(th, Sinv @ (b + x * y / s2)):
        hint = "use the updated inverse Sigma'^{-1}, not the old one"
    elif _close(th, ex.data["Sinv"] @ b):
        hint = "use the updated b' (including the new sample), not the old b"
    return Failure(fmt(ex.data["theta"]), f"{fmt(th)}\n          ({msg})", hint)


_VTR_PROPERTIES = (
    ("phi_V equals LinearMixtureMDP.phi_V", ("phi",), _check_phi),
    ("<phi_V(s, a), theta> = (P V)(s, a) for the induced kernel", ("phi",), _check_phi_mean),
    ("Sigma_inv_new: Sherman-Morrison with weight 1/sigma2", ("step",), _check_sinv),
    ("b_new = b + x y / sigma2", ("step",), _check_b),
    ("theta_new = Sigma_new^{-1} b_new", ("step",), _check_theta),
)


EXERCISES = [
    Exercise("vtr_step", "phi_V and one value-targeted regression step", VTR_STATEMENT,
             VTR_STUB, {"phi_V": ("phi", "V"),
                        "vtr_step": ("Sigma_inv", "b", "x", "y", "sigma2")},
             "theoryrl.models.LinearMixtureMDP.phi_V and the Sherman-Morrison update of "
             "theoryrl.agents.reward_free",
             properties(_VTR_PROPERTIES, _vtr_examples), "linear mixture"),
]
