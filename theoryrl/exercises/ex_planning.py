r"""Exercises on exact planning: Bellman backups, backward induction, policy
evaluation, discounted value iteration, and average-reward relative value iteration.

Every grader compares with :mod:`theoryrl.planning` (``backward_induction``,
``evaluate_policy``, the compiled ``bellman_optimality`` sweep,
``policy_iteration``, ``evaluate_policy_discounted``,
``relative_value_iteration``).
"""

from __future__ import annotations

import numpy as np

from . import _framework
from ._framework import Call, Example, Exercise, Failure, compare, draws, fmt, properties, returned

__all__ = ["EXERCISES"]


def _close(a, b) -> bool:
    return _framework.close(a, b)


def _first_hint(got, candidates: list[tuple[np.ndarray, str]], default: str) -> str:
    for value, hint in candidates:
        if _close(got, value):
            return hint
    return default


# ---------------------------------------------------------------------------
# 1. one Bellman backup
# ---------------------------------------------------------------------------

BELLMAN_STATEMENT = r"""
An episodic MDP has transition kernel $P(s' \mid s, a)$, an array `P` of shape
`(S, A, S)`, and mean rewards $R(s, a) \in [0, 1]$, an array `R` of shape `(S, A)`.
Given the values $V_{h+1}$ of the next stage (`V_next`, shape `(S,)`), one
**Bellman optimality backup** computes

$$
Q_h(s, a) = R(s, a) + \sum_{s'} P(s' \mid s, a)\, V_{h+1}(s'), \qquad
V_h(s) = \max_a Q_h(s, a), \qquad \pi_h(s) \in \arg\max_a Q_h(s, a).
$$

Implement `bellman_backup(P, R, V_next)` returning `(Q, V, greedy)` with shapes
`(S, A)`, `(S,)` and `(S,)` (integer actions). Any maximising action is accepted
for `greedy`.
"""

BELLMAN_STUB = r'''
import numpy as np


def bellman_backup(P, R, V_next):
    """One Bellman optimality backup.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        P[s, a, s2] is the probability of moving to s2 from s under a.
    R : ndarray, shape (S, A)
        Mean rewards.
    V_next : ndarray, shape (S,)
        Values of the next stage.

    Returns
    -------
    Q : ndarray, shape (S, A)
    V : ndarray, shape (S,)
    greedy : ndarray of int, shape (S,)
    """
    raise NotImplementedError
'''


def _bellman_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import mdps, unit_floats

    P, R = draw(mdps())
    V = draw(unit_floats((P.shape[0],))) * draw(st.integers(1, 5))
    return P, R, V


def _bellman_examples() -> dict[str, list[Example]]:
    from ..planning import backward_induction

    examples = []
    for P, R, V in draws(_bellman_inputs, 25):
        sol = backward_induction(P, R, 1, terminal=V)
        examples.append(Example((Call("bellman_backup", (P, R, V)),),
                                {"Q": sol.Q[0], "V": sol.V[0], "P": P, "R": R, "Vn": V}))
    return {"backup": examples}


def _check_bellman_q(ex, outs):
    Q, _, _ = returned(outs[0], ("Q", "V", "greedy"))
    d = ex.data
    msg = compare(Q, d["Q"], "Q")
    if msg is None:
        return None
    hint = _first_hint(Q, [
        (d["P"] @ d["Vn"], "you forgot the immediate reward R(s, a)"),
        (d["R"] + np.einsum("sat,s->sa", d["P"], d["Vn"]),
         "sum over the NEXT state s' (the last axis of P), i.e. P[s, a] @ V_next"),
        (d["R"] + d["Vn"][:, None], "average V_next with P[s, a]; do not read V_next at s"),
    ], "Q[s, a] = R[s, a] + P[s, a] @ V_next")
    return Failure(fmt(d["Q"]), f"{fmt(Q)}\n          ({msg})", hint)


def _check_bellman_v(ex, outs):
    Q, V, _ = returned(outs[0], ("Q", "V", "greedy"))
    msg = compare(V, ex.data["V"], "V")
    if msg is None:
        return None
    hint = _first_hint(V, [(ex.data["Q"].mean(axis=1), "V is the max over actions, "
                            "not the average"),
                           (ex.data["Q"].min(axis=1), "V is the max over actions, "
                            "not the min")], "V[s] = max_a Q[s, a]")
    return Failure(fmt(ex.data["V"]), f"{fmt(V)}\n          ({msg})", hint)


def _actions(pi, shape: tuple[int, ...], A: int, hint: str) -> np.ndarray:
    """``pi`` as an array of integer actions in ``[0, A)`` of ``shape``; rejected otherwise."""
    pi = np.asarray(pi)
    if pi.shape != shape or pi.dtype.kind not in "iu" or (pi < 0).any() or (pi >= A).any():
        raise _framework.Rejected(Failure(f"integer actions in [0, {A}), shape {shape}",
                                          f"{fmt(pi)} (dtype {pi.dtype})", hint))
    return pi


def _check_bellman_greedy(ex, outs):
    _, _, g = returned(outs[0], ("Q", "V", "greedy"))
    Qs, S, A = ex.data["Q"], *ex.data["Q"].shape
    g = _actions(g, (S,), A, "use np.argmax(Q, axis=1)")
    if not np.allclose(Qs[np.arange(S), g], Qs.max(axis=1), atol=1e-10):
        return Failure(f"actions attaining max_a Q[s, a] = {fmt(Qs.max(axis=1))}",
                       f"{fmt(g)} with Q values {fmt(Qs[np.arange(S), g])}",
                       "take the argmax over the action axis (axis=1)")
    return None


_BELLMAN_PROPERTIES = (
    ("Q(s, a) = R(s, a) + sum_s' P(s'|s, a) V_next(s')", ("backup",), _check_bellman_q),
    ("V(s) = max_a Q(s, a)", ("backup",), _check_bellman_v),
    ("greedy[s] attains max_a Q(s, a)", ("backup",), _check_bellman_greedy),
)


# ---------------------------------------------------------------------------
# 2. backward induction
# ---------------------------------------------------------------------------

BI_STATEMENT = r"""
With horizon $H$ (stages $h = 0, \dots, H-1$, so $V_h$ has $H - h$ steps to go),
**backward induction** starts from $V_H \equiv 0$ and applies the Bellman
backup $H$ times:

$$
Q_h(s, a) = R(s, a) + \sum_{s'} P(s' \mid s, a)\, V_{h+1}(s'), \qquad
V_h(s) = \max_a Q_h(s, a), \qquad h = H-1, \dots, 0 .
$$

The greedy policy $\pi_h(s) \in \arg\max_a Q_h(s, a)$ is optimal, and since
$R \in [0, 1]$, $0 \le V_h \le H - h$ (in particular $V_{H-1}(s) = \max_a R(s, a)$).

Implement `backward_induction(P, R, H)` returning `(V, policy)`, both of shape
`(H, S)`: `V[h]` the optimal values at stage `h` (do **not** include
$V_H = 0$), `policy[h]` integer greedy actions.
"""

BI_STUB = r'''
import numpy as np


def backward_induction(P, R, H):
    """Optimal values and an optimal policy of a finite-horizon MDP.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
    R : ndarray, shape (S, A)
    H : int
        Horizon (number of stages).

    Returns
    -------
    V : ndarray, shape (H, S)
        V[h, s] is the optimal value with H - h steps to go.
    policy : ndarray of int, shape (H, S)
    """
    raise NotImplementedError
'''


def _bi_examples() -> dict[str, list[Example]]:
    from ..planning import backward_induction, evaluate_policy
    from ._strategies import episodic

    examples = []
    for P, R, H in _framework.draw_examples(episodic(), 25):
        sol = backward_induction(P, R, H)
        near = {k: backward_induction(P, R, k).V if k else np.zeros((1, P.shape[0]))
                for k in (H - 1, H + 1)}
        examples.append(Example((Call("backward_induction", (P, R, H)),),
                                {"V": sol.V, "P": P, "R": R, "H": H, "near": near,
                                 "evaluate": evaluate_policy}))
    return {"episodic": examples}


def _check_bi_last(ex, outs):
    V, _ = returned(outs[0], ("V", "policy"))
    V = np.asarray(V, dtype=float)
    want = ex.data["R"].max(axis=1)
    if V.ndim != 2 or V.shape[0] != ex.data["H"]:
        return Failure(f"V of shape {ex.data['V'].shape}", f"shape {V.shape}",
                       "return the H stages 0..H-1 only (leave out V_H = 0)")
    msg = compare(V[-1], want, "V[H-1]")
    if msg is None:
        return None
    if _close(V[0], want) and not _close(V[-1], 0 * want):
        hint = "V[H-1] is the LAST stage (one step to go): V[0] must be the first stage"
    elif _close(V[-1], 0 * want):
        hint = ("off-by-one: V[H-1] has one step to go; V_H = 0 is the terminal value, "
                "not a stage: return V_0, ..., V_{H-1}")
    else:
        hint = "with one step to go, V[H-1](s) = max_a R(s, a)"
    return Failure(fmt(want), f"{fmt(V[-1])}\n          ({msg})", hint)


def _check_bi_values(ex, outs):
    V, _ = returned(outs[0], ("V", "policy"))
    d = ex.data
    msg = compare(V, d["V"], "V")
    if msg is None:
        return None
    cands = [(d["V"][::-1], "time runs backwards: V[0] has H steps to go, V[H-1] one")]
    V = np.asarray(V, dtype=float)
    for k, Vk in d["near"].items():
        if V.ndim == 2 and V.shape[1] == Vk.shape[1] and V.shape[0] >= 1 \
                and _close(V[0], Vk[0]):
            cands.append((V, f"off-by-one horizon: your V[0] is the value of horizon {k}, "
                          f"not H = {d['H']}; run exactly H backups from V_H = 0"))
    return Failure(fmt(d["V"]), f"{fmt(V)}\n          ({msg})",
                   _first_hint(V, cands, "apply the backup for h = H-1 down to 0, "
                               "each from the stage after it"))


def _check_bi_policy(ex, outs):
    _, pi = returned(outs[0], ("V", "policy"))
    d = ex.data
    S, A = d["R"].shape
    pi = _actions(pi, (d["H"], S), A, "policy[h] = argmax_a Q_h")
    Vpi = d["evaluate"](d["P"], d["R"], pi.astype(np.int64))
    msg = compare(Vpi, d["V"], "value of your policy")
    if msg is None:
        return None
    return Failure(f"an optimal policy, value {fmt(d['V'])}",
                   f"{fmt(pi)} with value {fmt(Vpi)}",
                   "take the argmax of Q_h at each stage h with the values of stage h+1")


_BI_PROPERTIES = (
    ("last stage V[H-1](s) = max_a R(s, a)", ("episodic",), _check_bi_last),
    ("V equals the optimal values (backward induction)", ("episodic",), _check_bi_values),
    ("the returned policy is optimal", ("episodic",), _check_bi_policy),
)


# ---------------------------------------------------------------------------
# 3. exact policy evaluation
# ---------------------------------------------------------------------------

PE_STATEMENT = r"""
A stochastic Markov policy $\pi_h(a \mid s)$ is an array `pi` of shape `(H, S, A)`
whose rows are distributions. Its values satisfy $V^\pi_H \equiv 0$ and, for
$h = H-1, \dots, 0$,

$$
V^\pi_h(s) = \sum_a \pi_h(a \mid s) \Big[ R(s, a)
    + \sum_{s'} P(s' \mid s, a)\, V^\pi_{h+1}(s') \Big].
$$

This is *exact* policy evaluation: no sampling, no iteration to convergence.

Implement `evaluate_policy(P, R, pi)` returning `V` of shape `(H, S)`.
A deterministic policy is the special case of one-hot rows.
"""

PE_STUB = r'''
import numpy as np


def evaluate_policy(P, R, pi):
    """Exact values of a stochastic Markov policy.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
    R : ndarray, shape (S, A)
    pi : ndarray, shape (H, S, A)
        pi[h, s, a] is the probability of action a in state s at stage h.

    Returns
    -------
    V : ndarray, shape (H, S)
    """
    raise NotImplementedError
'''


def _pe_inputs(draw, onehot: bool):
    from hypothesis import strategies as st

    from ._strategies import distributions, episodic

    P, R, H = draw(episodic())
    S, A = R.shape
    if onehot:
        det = draw(st.lists(st.integers(0, A - 1), min_size=H * S, max_size=H * S))
        pi = np.eye(A)[np.array(det).reshape(H, S)]
    else:
        pi = draw(distributions((H, S, A)))
    return P, R, pi


def _pe_cases(onehot: bool, n: int) -> list[Example]:
    from ..planning import backward_induction, evaluate_policy

    out = []
    for P, R, pi in draws(_pe_inputs, n, onehot=onehot):
        H = pi.shape[0]
        out.append(Example((Call("evaluate_policy", (P, R, pi)),), {
            "V": evaluate_policy(P, R, pi), "star": backward_induction(P, R, H).V,
            "stage0": evaluate_policy(P, R, np.broadcast_to(pi[0], pi.shape).copy()),
            "rev": evaluate_policy(P, R, pi[::-1].copy()),
            "R": R, "pi": pi}))
    return out


def _pe_examples() -> dict[str, list[Example]]:
    return {"stochastic": _pe_cases(False, 25), "deterministic": _pe_cases(True, 15)}


def _check_pe(ex, outs):
    (V,) = returned(outs[0], ("V",))
    d = ex.data
    msg = compare(V, d["V"], "V")
    if msg is None:
        return None
    hint = _first_hint(V, [
        (d["star"], "you computed V* (a max over actions): average over actions with "
                    "the weights pi[h, s, a] instead"),
        (d["stage0"], "use the action distribution of stage h, pi[h], at every stage h"),
        (d["rev"], "pi[h] is the policy with H - h steps to go: index stages forwards"),
    ], "V[h, s] = sum_a pi[h, s, a] (R[s, a] + P[s, a] @ V[h + 1]) with V[H] = 0")
    return Failure(fmt(d["V"]), f"{fmt(V)}\n          ({msg})", hint)


def _check_pe_last(ex, outs):
    (V,) = returned(outs[0], ("V",))
    d = ex.data
    want = np.einsum("sa,sa->s", d["pi"][-1], d["R"])
    V = np.asarray(V, dtype=float)
    if V.ndim != 2 or V.shape != d["V"].shape:
        return Failure(f"shape {d['V'].shape}", f"shape {V.shape}",
                       "return the H stages 0..H-1 (leave out V_H = 0)")
    msg = compare(V[-1], want, "V[H-1]")
    return None if msg is None else Failure(
        fmt(want), f"{fmt(V[-1])}\n          ({msg})",
        "with one step to go, V[H-1, s] = sum_a pi[H-1, s, a] R[s, a]")


_PE_PROPERTIES = (
    ("last stage V[H-1](s) = sum_a pi(a|s) R(s, a)", ("stochastic",), _check_pe_last),
    ("V equals the exact value of stochastic policies", ("stochastic",), _check_pe),
    ("V equals the exact value of deterministic (one-hot) policies", ("deterministic",),
     _check_pe),
)


# ---------------------------------------------------------------------------
# 4. discounted value iteration and its contraction rate
# ---------------------------------------------------------------------------

VI_STATEMENT = r"""
In a discounted MDP with $\gamma \in [0, 1)$ the **Bellman optimality operator**

$$
(T V)(s) = \max_a \Big[ R(s, a) + \gamma \sum_{s'} P(s' \mid s, a)\, V(s') \Big]
$$

is a $\gamma$-contraction in the sup norm: $\|TU - TV\|_\infty \le \gamma \|U - V\|_\infty$.
Hence value iteration $V_{n+1} = T V_n$ converges to $V^*$ geometrically,
$\|V_n - V^*\|_\infty \le \gamma^n \|V_0 - V^*\|_\infty$, and from $V_0 = 0$ with
$R \in [0, r_{\max}]$, $\|V_n - V^*\|_\infty \le \gamma^n r_{\max} / (1 - \gamma)$.

A computable stopping rule: if $\|V_{n+1} - V_n\|_\infty < \varepsilon (1-\gamma)/(2\gamma)$
then $\|V_{n+1} - V^*\|_\infty < \varepsilon / 2$ and the greedy policy of $V_{n+1}$
is $\varepsilon$-optimal (Puterman 1994, Thm 6.3.1). Stopping when the change is
below $\varepsilon$ is *not* enough: the remaining error can be $\gamma/(1-\gamma)$
times the last change.

Implement

1. `bellman_operator(P, R, gamma, V)` returning $TV$, shape `(S,)`;
2. `value_iteration(P, R, gamma, epsilon)` returning `(V, policy)`: values within
   `epsilon` of $V^*$ in sup norm and an `epsilon`-optimal greedy policy (integers, `(S,)`);
3. `sweeps_bound(gamma, epsilon, rmax)`: the smallest integer $n \ge 0$ with
   $\gamma^n r_{\max} / (1 - \gamma) \le \varepsilon$.
"""

VI_STUB = r'''
import numpy as np


def bellman_operator(P, R, gamma, V):
    """(T V)(s) = max_a [R(s, a) + gamma * sum_s' P(s'|s, a) V(s')], shape (S,)."""
    raise NotImplementedError


def value_iteration(P, R, gamma, epsilon):
    """Return (V, policy): V within epsilon of V* (sup norm), policy (S,) greedy."""
    raise NotImplementedError


def sweeps_bound(gamma, epsilon, rmax):
    """Smallest integer n >= 0 with gamma**n * rmax / (1 - gamma) <= epsilon."""
    raise NotImplementedError
'''


_GAMMAS = (0.0, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99)


def _bellman_operator(P, R, g, V):
    return (R + g * (P @ np.asarray(V, dtype=float))).max(axis=1)


def _vi_operator_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import mdps, unit_floats

    P, R = draw(mdps())
    S = P.shape[0]
    U = draw(unit_floats((S,))) * 10
    W = draw(unit_floats((S,))) * 10
    return P, R, draw(st.sampled_from(list(_GAMMAS))), U, W


def _vi_operator_examples() -> dict[str, list[Example]]:
    op_ex, con_ex = [], []
    for P, R, g, U, W in draws(_vi_operator_inputs, 25):
        op_ex.append(Example((Call("bellman_operator", (P, R, g, U)),),
                             {"TV": _bellman_operator(P, R, g, U),
                              "undisc": _bellman_operator(P, R, 1.0, U)}))
        con_ex.append(Example((Call("bellman_operator", (P, R, g, U)),
                               Call("bellman_operator", (P, R, g, W))),
                              {"gamma": g, "dist": float(np.abs(U - W).max())}))
    return {"operator": op_ex, "contraction": con_ex}


def _vi_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import mdps

    P, R = draw(mdps())
    return P, R, draw(st.sampled_from([0.5, 0.9, 0.95, 0.99])), \
        draw(st.sampled_from([1e-1, 3e-2, 1e-2, 1e-3, 1e-6]))


def _slow_chain(S: int) -> tuple[np.ndarray, np.ndarray]:
    """The reward sits at the end of a line of states: slow for gamma near 1."""
    P = np.zeros((S, 2, S))
    for s in range(S):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, min(s + 1, S - 1)] = 0.3
        P[s, 1, s] = 0.7
    R = np.zeros((S, 2))
    R[S - 1, 1] = 1.0
    return P, R


def _vi_example(P, R, g, eps) -> Example:
    from ..planning import evaluate_policy_discounted, policy_iteration

    return Example((Call("value_iteration", (P, R, g, eps)),),
                   {"Vstar": policy_iteration(P, R, g).V, "eps": eps, "P": P, "R": R,
                    "gamma": g, "evaluate": evaluate_policy_discounted})


def _vi_examples() -> dict[str, list[Example]]:
    vi_ex = [_vi_example(P, R, g, eps) for P, R, g, eps in draws(_vi_inputs, 25)]
    for S in (4, 6):
        P, R = _slow_chain(S)
        vi_ex += [_vi_example(P, R, g, eps) for g, eps in ((0.99, 0.1), (0.95, 0.01))]
    return {"vi": vi_ex}


def _bound_inputs(draw):
    from hypothesis import strategies as st

    g = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999]))
    eps = draw(st.sampled_from([10.0, 1.0, 0.5, 1e-2, 1e-4, 1e-8]))
    rmax = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 100.0]))
    return g, eps, rmax


def _bound_examples() -> dict[str, list[Example]]:
    return {"bound": [Example((Call("sweeps_bound", (g, e, r)),), {"g": g, "e": e, "r": r})
                      for g, e, r in draws(_bound_inputs, 30)]}


def _check_vi_operator(ex, outs):
    (TV,) = returned(outs[0], ("TV",))
    msg = compare(TV, ex.data["TV"], "TV")
    if msg is None:
        return None
    hint = _first_hint(TV, [(ex.data["undisc"], "you forgot the discount gamma in front "
                             "of the expected next value")],
                       "TV[s] = max_a (R[s, a] + gamma * P[s, a] @ V)")
    return Failure(fmt(ex.data["TV"]), f"{fmt(TV)}\n          ({msg})", hint)


def _check_vi_contraction(ex, outs):
    (TU,) = returned(outs[0], ("TV",))
    (TW,) = returned(outs[1], ("TV",))
    lhs = float(np.abs(np.asarray(TU, float) - np.asarray(TW, float)).max())
    rhs = ex.data["gamma"] * ex.data["dist"]
    if lhs <= rhs + 1e-10 * (1 + rhs):
        return None
    return Failure(f"||TU - TW|| <= gamma ||U - W|| = {rhs:.6g}",
                   f"||TU - TW|| = {lhs:.6g}",
                   "only a discounted backup contracts: multiply the expected next "
                   "value by gamma, and take the max after adding the reward")


def _check_vi_values(ex, outs):
    V, _ = returned(outs[0], ("V", "policy"))
    d = ex.data
    V = np.asarray(V, dtype=float)
    if V.shape != d["Vstar"].shape:
        return Failure(f"V of shape {d['Vstar'].shape}", f"shape {V.shape}", "")
    err = float(np.abs(V - d["Vstar"]).max())
    if err <= d["eps"]:
        return None
    return Failure(f"||V - V*|| <= epsilon = {d['eps']:g}, V* = {fmt(d['Vstar'])}",
                   f"||V - V*|| = {err:.6g}, V = {fmt(V)}",
                   "stop when ||V_{n+1} - V_n|| < epsilon (1 - gamma) / (2 gamma), "
                   "not when it is < epsilon: the error left is up to gamma / (1 - gamma) "
                   "times the last change")


def _check_vi_policy(ex, outs):
    _, pi = returned(outs[0], ("V", "policy"))
    d = ex.data
    S, A = d["R"].shape
    pi = _actions(pi, (S,), A, "greedy: argmax_a Q(s, a)")
    Vpi = d["evaluate"](d["P"], d["R"], d["gamma"], pi.astype(np.int64))
    gap = float((d["Vstar"] - Vpi).max())
    if gap <= d["eps"] + 1e-9:
        return None
    return Failure(f"V^pi >= V* - epsilon = V* - {d['eps']:g}",
                   f"max_s V*(s) - V^pi(s) = {gap:.6g} for policy {fmt(pi)}",
                   "return the greedy policy of the final values, argmax_a "
                   "(R + gamma P V), with the same stopping rule")


def _tail_bound(g: float, r: float, k: int) -> float:
    """gamma^k rmax / (1 - gamma): the error left after k sweeps from V_0 = 0."""
    return g ** k * r / (1 - g)


def _check_vi_bound(ex, outs):
    (n,) = returned(outs[0], ("n",))
    g, e, r = ex.data["g"], ex.data["e"], ex.data["r"]
    n = np.asarray(n)
    if n.shape != () or n.dtype.kind not in "iuf" or float(n) != int(n) or int(n) < 0:
        return Failure("an integer n >= 0", fmt(n), "round up with math.ceil")
    n = int(n)
    if _tail_bound(g, r, n) <= e * (1 + 1e-9) and \
            (n == 0 or _tail_bound(g, r, n - 1) > e * (1 - 1e-9)):
        return None
    k = 0
    while _tail_bound(g, r, k) > e:
        k += 1
    hint = ("n must make gamma^n rmax / (1 - gamma) <= epsilon: n >= log(rmax / "
            "(epsilon (1 - gamma))) / log(1 / gamma); mind the sign of log(gamma) < 0 "
            "and return 0 when the bound already holds at n = 0")
    return Failure(f"n = {k}", f"n = {n}", hint)


_VI_PROPERTIES = (
    ("bellman_operator: TV = max_a [R + gamma P V]", ("operator",), _check_vi_operator),
    ("bellman_operator is a gamma-contraction in sup norm", ("contraction",),
     _check_vi_contraction),
    ("value_iteration: ||V - V*|| <= epsilon", ("vi",), _check_vi_values),
    ("value_iteration: the greedy policy is epsilon-optimal", ("vi",), _check_vi_policy),
    ("sweeps_bound: smallest n with gamma^n rmax / (1 - gamma) <= epsilon", ("bound",),
     _check_vi_bound),
)


# ---------------------------------------------------------------------------
# 5. gain and bias by relative value iteration
# ---------------------------------------------------------------------------

RVI_STATEMENT = r"""
In the **average-reward** criterion a policy earns the gain
$g = \lim_T \frac1T \mathbb{E}\sum_{t<T} R(s_t, a_t)$. When every transition
probability is positive (so every policy is unichain and aperiodic) the
optimal gain $g^*$ and a bias $h$ solve the **optimality equation**

$$
g^* + h(s) = \max_a \Big[ R(s, a) + \sum_{s'} P(s' \mid s, a)\, h(s') \Big],
$$

with $h$ unique up to an additive constant; fix it by $h(0) = 0$.
**Relative value iteration** iterates $w = T v$, $v \leftarrow w - w(0)$,
where $T v(s) = \max_a [R(s, a) + P(\cdot \mid s, a) \cdot v]$. Since
$\min_s (Tv - v)(s) \le g^* \le \max_s (Tv - v)(s)$ (Puterman 1994, Thm 8.5.5),
stop when $\operatorname{sp}(Tv - v) = \max(Tv - v) - \min(Tv - v) < \varepsilon$ and
return the midpoint as the gain.

Implement `relative_value_iteration(P, R, epsilon)` returning `(gain, bias)`: a
float and an array of shape `(S,)` with `bias[0] == 0`. The grader passes
`epsilon = 1e-10` and checks gain and bias to `1e-6`.
"""

RVI_STUB = r'''
import numpy as np


def relative_value_iteration(P, R, epsilon):
    """Optimal gain and bias (bias[0] = 0) of an MDP with positive transitions.

    Parameters
    ----------
    P : ndarray, shape (S, A, S), all entries > 0
    R : ndarray, shape (S, A)
    epsilon : float
        Stop when span(T v - v) < epsilon.

    Returns
    -------
    gain : float
    bias : ndarray, shape (S,)
    """
    raise NotImplementedError
'''


def _rvi_examples() -> dict[str, list[Example]]:
    from ..planning import relative_value_iteration
    from ._strategies import mdps

    examples = []
    for P, R in _framework.draw_examples(mdps(dense=True), 25):
        sol = relative_value_iteration(P, R, epsilon=1e-11)
        examples.append(Example((Call("relative_value_iteration", (P, R, 1e-10)),),
                                {"g": sol.gain, "h": sol.bias, "P": P, "R": R}))
    return {"dense": examples}


def _check_rvi_gain(ex, outs):
    g, _ = returned(outs[0], ("gain", "bias"))
    msg = compare(g, ex.data["g"], "gain", atol=1e-6, rtol=0)
    return None if msg is None else Failure(
        f"{ex.data['g']:.10g}", f"{fmt(g)} ({msg})",
        "the gain is the midpoint of min(Tv - v) and max(Tv - v) once their span is "
        "below epsilon; a discounted approximation (1 - gamma) V_gamma is not exact")


def _check_rvi_norm(ex, outs):
    _, h = returned(outs[0], ("gain", "bias"))
    h = np.asarray(h, dtype=float)
    if h.shape == ex.data["h"].shape and abs(h[0]) <= 1e-9:
        return None
    return Failure("bias[0] = 0 and shape " + str(ex.data["h"].shape), fmt(h),
                   "subtract w[0] after every sweep and return the normalised vector")


def _check_rvi_equation(ex, outs):
    g, h = returned(outs[0], ("gain", "bias"))
    d = ex.data
    h = np.asarray(h, dtype=float)
    g = float(np.asarray(g, dtype=float).ravel()[0])
    if h.shape != d["h"].shape:
        return Failure(f"bias of shape {d['h'].shape}", f"shape {h.shape}", "")
    res = g + h - (d["R"] + d["P"] @ h).max(axis=1)
    err = float(np.abs(res).max())
    if err <= 1e-6:
        return None
    return Failure("max_s |g + h(s) - max_a [R(s, a) + P h (s, a)]| <= 1e-6",
                   f"{err:.3g} (residuals {fmt(res)})",
                   "iterate until span(Tv - v) < epsilon; the bias is the final v "
                   "(shifted so that v[0] = 0), the gain the midpoint of Tv - v")


def _check_rvi_bias(ex, outs):
    _, h = returned(outs[0], ("gain", "bias"))
    msg = compare(h, ex.data["h"], "bias", atol=1e-6, rtol=0)
    return None if msg is None else Failure(
        fmt(ex.data["h"]), f"{fmt(h)}\n          ({msg})",
        "the bias is defined up to a constant: normalise it so that bias[0] = 0")


_RVI_PROPERTIES = (
    ("gain equals the optimal gain g*", ("dense",), _check_rvi_gain),
    ("bias is normalised, bias[0] = 0", ("dense",), _check_rvi_norm),
    ("(gain, bias) solve the average-reward optimality equation", ("dense",),
     _check_rvi_equation),
    ("bias equals the optimal bias", ("dense",), _check_rvi_bias),
)


EXERCISES = [
    Exercise("bellman_backup", "One Bellman optimality backup", BELLMAN_STATEMENT,
             BELLMAN_STUB, {"bellman_backup": ("P", "R", "V_next")},
             "theoryrl.planning.backward_induction(P, R, 1, terminal=V_next)",
             properties(_BELLMAN_PROPERTIES, _bellman_examples), "planning"),
    Exercise("backward_induction", "Backward induction", BI_STATEMENT, BI_STUB,
             {"backward_induction": ("P", "R", "H")},
             "theoryrl.planning.backward_induction and evaluate_policy",
             properties(_BI_PROPERTIES, _bi_examples),
             "planning"),
    Exercise("policy_evaluation", "Exact evaluation of a stochastic policy", PE_STATEMENT,
             PE_STUB, {"evaluate_policy": ("P", "R", "pi")},
             "theoryrl.planning.evaluate_policy",
             properties(_PE_PROPERTIES, _pe_examples), "planning"),
    Exercise("value_iteration", "Discounted value iteration and its contraction rate",
             VI_STATEMENT, VI_STUB,
             {"bellman_operator": ("P", "R", "gamma", "V"),
              "value_iteration": ("P", "R", "gamma", "epsilon"),
              "sweeps_bound": ("gamma", "epsilon", "rmax")},
             "theoryrl.planning.value_iteration / policy_iteration",
             properties(_VI_PROPERTIES, _vi_operator_examples, _vi_examples, _bound_examples),
             "planning"),
    Exercise("gain_bias", "Gain and bias by relative value iteration", RVI_STATEMENT,
             RVI_STUB, {"relative_value_iteration": ("P", "R", "epsilon")},
             "theoryrl.planning.relative_value_iteration",
             properties(_RVI_PROPERTIES, _rvi_examples), "planning"),
]
