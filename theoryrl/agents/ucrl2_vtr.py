r"""UCRL2-VTR (Wu, Zhou, Gu, AISTATS 2022) as a configuration of LOOP's code path.

Linear mixture AMDP, known rewards; epochs by determinant doubling
:math:`\det\Lambda_t > 2\det\Lambda_{\tau_k}`; confidence ellipsoid around the
value-targeted ridge estimate with the Hoeffding radius
:math:`\sqrt{\beta_t} = \tfrac D2\sqrt{2\ln(1/\delta) + \ln(\det\Lambda_t/\lambda^d)}
+ \sqrt\lambda C_\theta`
(LOOP-LM with det switching, no span truncation and a
diameter-based radius [V abstract + public code; radius form D]); EVI
without truncation; targets :math:`w_k = u - (\max u + \min u)/2`.
Regret :math:`\tilde O(dD\sqrt T)` [R]. The equivalence with an independent
plain-numpy implementation is tested (check C10, ``tests/test_loop_vtr.py``).
"""

from __future__ import annotations

import math

from .loop import LOOP

__all__ = ["UCRL2VTR", "regret_bound"]


def regret_bound(d: int, D: float, T: int, delta: float, c: float = 1.0) -> float:
    r"""Wu, Zhou, Gu (2022), Hoeffding version: :math:`\mathrm{Reg}(T) = \tilde O(d D \sqrt T)`,
    returned as :math:`c\, d D \sqrt{T}\ln(T/\delta)` with the constant ``c`` unknown here [R]."""
    return c * d * D * math.sqrt(T) * math.log(T / delta)


class UCRL2VTR(LOOP):
    """UCRL2-VTR as a LOOP configuration.

    ``LOOP(model="linear_mixture", switching="det", span_truncation=False,
    radius="diameter")``.

    Parameters
    ----------
    spec : MDPSpec
        Average-reward spec (known rewards).
    features : numpy.ndarray, shape (S, A, S, d)
        Feature map :math:`\\phi` of the linear mixture.
    diameter : float
        Diameter :math:`D` (or an upper bound) of the true model.
    theta_norm : float
        :math:`C_\\theta \\ge \\|\\theta^*\\|_2`.
    delta : float
        Confidence in (0, 1).
    lam : float
        Ridge :math:`\\lambda > 0`.
    evi_max_iter : int
        Sweep cap of extended value iteration.
    """

    name = "UCRL2-VTR"

    def __init__(self, spec, features, diameter: float, theta_norm: float,
                 delta: float = 0.05, lam: float = 1.0, evi_max_iter: int = 100_000) -> None:
        super().__init__(spec, model="linear_mixture", span_bound=diameter, delta=delta,
                         lam=lam, switching="det", span_truncation=False, features=features,
                         theta_norm=theta_norm, radius="diameter", diameter=diameter,
                         evi_max_iter=evi_max_iter)
