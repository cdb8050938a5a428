r"""Exercise on POMDPs: the Bayes filter (belief update) and the probability of an
observation sequence under an action sequence.

The grader compares with :meth:`theoryrl.models.pomdp.POMDP.belief_update`,
:meth:`~theoryrl.models.pomdp.POMDP.initial_belief` and the exact trajectory
tensor :meth:`~theoryrl.models.pomdp.POMDP.traj_probs` (observation-first
convention of ``umt_psr.md``: at step :math:`h` the agent sees :math:`o_h`, then plays
:math:`a_h`).
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _framework
from ._framework import Call, Example, Exercise, Failure, compare, draws, fmt, properties, returned

__all__ = ["EXERCISES"]


def _close(a, b) -> bool:
    return _framework.close(a, b, atol=1e-9)


POMDP_STATEMENT = r"""
A tabular **POMDP** has hidden states $s$, actions $a$ and observations $o$, with
transitions $T[a, s, s'] = P(s_{h+1} = s' \mid s_h = s, a_h = a)$ (shape `(A, S, S)`),
emissions $E[s, o] = P(o_h = o \mid s_h = s)$ (shape `(S, O)`) and an initial law
$\mu$ of $s_1$. At each step $h = 1, \dots, H$ the agent first **sees** $o_h$, then **plays** $a_h$.

The **belief** $b_h(s) = P(s_h = s \mid o_1, a_1, \dots, o_h)$ is a sufficient
statistic of the history. The Bayes filter, after playing $a_h = a$ and then seeing
$o_{h+1} = o$, is

$$
b_{h+1}(s') = \frac{E[s', o] \sum_s b_h(s)\, T[a, s, s']}
                   {\sum_{s''} E[s'', o] \sum_s b_h(s)\, T[a, s, s'']},
$$

predict with $T$, correct with $E$, normalise. The normaliser is
$P(o_{h+1} = o \mid \text{history}, a_h = a)$, so the probability of a whole
observation sequence given the actions is the product of the normalisers, i.e.
the forward recursion

$$
\alpha_1(s) = \mu(s) E[s, o_1], \qquad
\alpha_{h+1}(s') = E[s', o_{h+1}] \sum_s \alpha_h(s)\, T[a_h, s, s'], \qquad
P(o_{1:H} \mid a_{1:H-1}) = \sum_s \alpha_H(s).
$$

Implement

1. `belief_update(T, E, b, a, o)`: the new belief, shape `(S,)` (the grader only
   asks for observations of positive probability);
2. `trajectory_probability(T, E, mu, observations, actions)`: $P(o_{1:H} \mid a_{1:H-1})$
   for `observations` of length $H$ and `actions` of length $H - 1$ (the last
   action does not affect the observations).
"""

POMDP_STUB = r'''
import numpy as np


def belief_update(T, E, b, a, o):
    """Bayes filter: belief over s_{h+1} after playing a and then observing o.

    T : (A, S, S), E : (S, O), b : (S,) belief over s_h; a, o : int.
    """
    raise NotImplementedError


def trajectory_probability(T, E, mu, observations, actions):
    """P(o_1, ..., o_H | a_1, ..., a_{H-1}), a float.

    mu : (S,) law of s_1; observations : int array (H,); actions : int array (H - 1,).
    """
    raise NotImplementedError
'''


def _belief_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import distributions, pomdps

    T, E, mu = draw(pomdps())
    A, S = T.shape[0], T.shape[1]
    b = draw(distributions((S,)))
    a = draw(st.integers(0, A - 1))
    pred = (b @ T[a]) @ E
    ok = np.flatnonzero(pred > 1e-12)
    o = int(ok[draw(st.integers(0, 100)) % ok.size])
    return T, E, mu, b, a, o


def _traj_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import pomdps

    T, E, mu = draw(pomdps())
    A, O = T.shape[0], E.shape[1]
    H = draw(st.integers(1, 4))
    obs = draw(st.lists(st.integers(0, O - 1), min_size=H, max_size=H))
    act = draw(st.lists(st.integers(0, A - 1), min_size=H - 1, max_size=H - 1))
    return T, E, mu, np.array(obs, dtype=np.int64), np.array(act, dtype=np.int64)


def _sum_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import pomdps

    T, E, mu = draw(pomdps(max_S=3, max_O=2, max_A=2))
    A = T.shape[0]
    H = draw(st.integers(1, 3))
    act = draw(st.lists(st.integers(0, A - 1), min_size=H - 1, max_size=H - 1))
    return T, E, mu, H, np.array(act, dtype=np.int64)


def _traj_prob(m, obs, act) -> float:
    """P(obs | act) read from the exact trajectory law of the POMDP ``m``."""
    idx = []
    for h in range(m.H):
        idx += [int(obs[h]), int(act[h]) if h < m.H - 1 else 0]
    return float(m.traj_probs()[tuple(idx)])


def _pomdp_examples() -> dict[str, list[Example]]:
    from ..models.pomdp import POMDP

    bel_ex = [Example((Call("belief_update", (T, E, b, a, o)),),
                      {"want": POMDP(T, E, horizon=2, mu=mu).belief_update(b, a, o, 1),
                       "T": T, "E": E, "b": b, "a": a, "o": o})
              for T, E, mu, b, a, o in draws(_belief_inputs, 30)]
    traj_ex = [Example((Call("trajectory_probability", (T, E, mu, obs, act)),),
                       {"want": _traj_prob(POMDP(T, E, horizon=obs.size, mu=mu), obs, act),
                        "T": T, "E": E, "mu": mu, "obs": obs, "act": act})
               for T, E, mu, obs, act in draws(_traj_inputs, 30)]
    sum_ex = []
    for T, E, mu, H, act in draws(_sum_inputs, 12):
        O = E.shape[1]
        seqs = [np.array(s, dtype=np.int64) for s in itertools.product(range(O), repeat=H)]
        sum_ex.append(Example(tuple(Call("trajectory_probability", (T, E, mu, s, act))
                                    for s in seqs), {"n": len(seqs)}))
    return {"belief": bel_ex, "trajectory": traj_ex, "sum": sum_ex}


def _belief_mistakes(T, E, b, a, o) -> list[tuple[np.ndarray | None, str]]:
    wrong_order = (b * E[:, o]) @ T[a]
    return [((b @ T[a]) * E[:, o], "normalise the belief so that it sums to 1"),
            ((T[a] @ b) * E[:, o] / ((T[a] @ b) * E[:, o]).sum(),
             "T[a, s, s'] is indexed from s to s': predict with b @ T[a], not T[a] @ b"),
            (wrong_order / wrong_order.sum() if wrong_order.sum() > 0 else None,
             "predict first (b @ T[a]), then weight by the emission of the NEW state")]


def _check_belief(ex, outs):
    (b2,) = returned(outs[0], ("belief",))
    d = ex.data
    msg = compare(b2, d["want"], "belief", atol=1e-9)
    if msg is None:
        return None
    hint = "b'(s') is proportional to E[s', o] * (b @ T[a])[s']; then normalise"
    for value, h in _belief_mistakes(d["T"], d["E"], d["b"], d["a"], d["o"]):
        if value is not None and _close(b2, value):
            hint = h
            break
    return Failure(fmt(d["want"]), f"{fmt(b2)}\n          ({msg})", hint)


def _traj_hint(p: float, d: dict) -> str:
    T, E, mu, obs, act = d["T"], d["E"], d["mu"], d["obs"], d["act"]
    alpha = mu.copy()
    for h in range(1, obs.size):
        alpha = (alpha @ T[act[h - 1]]) * E[:, obs[h]]
    if obs.size and abs(p - alpha.sum()) <= 1e-10:
        return "you forgot the emission of the first observation, E[s, o_1]"
    if abs(p - 1.0) <= 1e-10 and d["want"] < 1 - 1e-10:
        return ("do not normalise alpha: the probability is the product of the "
                "normalisers of the Bayes filter")
    return "alpha_1 = mu * E[:, o_1]; alpha_{h+1} = (alpha_h @ T[a_h]) * E[:, o_{h+1}]"


def _check_traj(ex, outs):
    (p,) = returned(outs[0], ("probability",))
    d = ex.data
    p = np.asarray(p, dtype=float)
    if p.size != 1:
        return Failure("a float", f"an array of shape {p.shape}", "")
    p = float(p.ravel()[0])
    if abs(p - d["want"]) <= 1e-10 + 1e-8 * d["want"]:
        return None
    return Failure(f"{d['want']:.12g}", f"{p:.12g}", _traj_hint(p, d))


def _check_traj_sum(ex, outs):
    vals = []
    for o in outs:
        (p,) = returned(o, ("probability",))
        vals.append(float(np.asarray(p, dtype=float).ravel()[0]))
    tot = sum(vals)
    if abs(tot - 1) <= 1e-9 and min(vals) >= -1e-15:
        return None
    return Failure("probabilities >= 0 summing to 1 over all observation sequences",
                   f"sum {tot:.12g} over {ex.data['n']} sequences (min {min(vals):.3g})",
                   "P(o_{1:H} | a_{1:H-1}) is a distribution over observation sequences")


_POMDP_PROPERTIES = (
    ("belief_update equals the Bayes filter (POMDP.belief_update)", ("belief",),
     _check_belief),
    ("trajectory_probability equals the exact trajectory law (POMDP.traj_probs)",
     ("trajectory",), _check_traj),
    ("trajectory probabilities sum to 1 over observation sequences", ("sum",),
     _check_traj_sum),
)


EXERCISES = [
    Exercise("pomdp_belief", "A POMDP belief update and a trajectory probability",
             POMDP_STATEMENT, POMDP_STUB,
             {"belief_update": ("T", "E", "b", "a", "o"),
              "trajectory_probability": ("T", "E", "mu", "observations", "actions")},
             "theoryrl.models.pomdp.POMDP.belief_update and POMDP.traj_probs",
             properties(_POMDP_PROPERTIES, _pomdp_examples), "POMDP"),
]
