"""Exact (population) sufficient statistics from Gaussian moments (private).

For Gaussian models (OU, Brownian motion) and polynomial features
:math:`\\phi_l(t,x)=f_l(t)x^{p_l}`, every expectation in the estimating
equations is a sum of bivariate Gaussian moments
:math:`E[X_{t_i}^a X_{t_j}^b]` (the reason benchmark B1 is Gaussian).
The O(K^2) trace and return-to-go double sums are vectorised over (i, k) grids.
"""

from __future__ import annotations

from math import comb, factorial

import numpy as np


def _dfact(n: int) -> int:
    """(n)!! with (-1)!! = 1."""
    out = 1
    while n > 1:
        out *= n
        n -= 2
    return out


def _central(i: int, j: int, vx, vy, cxy):
    """E[U^i V^j] for a centred bivariate normal (Isserlis)."""
    if (i + j) % 2:
        return 0.0 * cxy
    out = 0.0 * cxy
    for k in range(i % 2, min(i, j) + 1, 2):
        cnt = comb(i, k) * comb(j, k) * factorial(k) * _dfact(i - k - 1) * _dfact(j - k - 1)
        out = out + cnt * cxy ** k * vx ** ((i - k) // 2) * vy ** ((j - k) // 2)
    return out


def bivariate_moment(a: int, b: int, mx, my, vx, vy, cxy):
    """E[X^a Y^b] for (X, Y) Gaussian with means mx, my, variances vx, vy, covariance cxy."""
    out = 0.0 * (mx + my + vx + vy + cxy)
    for i in range(a + 1):
        for j in range(b + 1):
            if (i + j) % 2:
                continue
            out = out + (comb(a, i) * comb(b, j) * mx ** (a - i) * my ** (b - j)
                         * _central(i, j, vx, vy, cxy))
    return out


class _Moments:
    """E[X_i^a X_j^b] on the grid t_0..t_K, cached by (a, b)."""

    def __init__(self, model, t):
        self.m, self.v = model.moments(t)
        ti, tj = np.meshgrid(t, t, indexing="ij")
        self.cov = model.covariance(ti, tj)
        self._cache: dict = {}

    def __call__(self, a: int, b: int) -> np.ndarray:
        key = (a, b)
        if key not in self._cache:
            m, v = self.m, self.v
            self._cache[key] = bivariate_moment(a, b, m[:, None], m[None, :], v[:, None],
                                                v[None, :], self.cov)
        return self._cache[key]


def _poly(terms, K1):
    """(F (R, K+1), powers) of constant-coefficient terms (power, coef)."""
    if not terms:
        return np.zeros((1, K1)), (0,)
    return (np.stack([np.full(K1, c) for _, c in terms]), tuple(p for p, _ in terms))


def _pair(mom, Fu, Pu, Fv, Pv):
    """E[u_a(t_i, X_i) v_b(t_j, X_j)] as an array (K+1, K+1, A, B)."""
    out = np.empty((Fu.shape[1], Fv.shape[1], len(Pu), len(Pv)))
    for a, pa in enumerate(Pu):
        for b_, pb in enumerate(Pv):
            out[:, :, a, b_] = Fu[a][:, None] * Fv[b_][None, :] * mom(pa, pb)
    return out


def population_sums(model, features, test_features, K: int, dt: float, a_next: float,
                    a_cur: float, disc_g: float, mlw, omega, decays) -> dict:
    """Expected per-path values of the sums accumulated by ``_td_statistics``.

    Terminal substitution is assumed (finite horizon).
    """
    t = np.arange(K + 1) * dt
    mom = _Moments(model, t)
    F, P = features.time_factors(t), features.powers
    Ft, Pt = test_features.time_factors(t), test_features.powers
    Fr, Pr = _poly(model.reward_terms, K + 1)
    Fh, Ph = _poly(model.terminal_terms, K + 1)
    L, M = len(P), len(Pt)
    ks = np.arange(K)
    # E[phi_i phi_j^T], E[psi_i phi_j^T], E[phi_i r_j], E[psi_i r_j], E[. h_K]
    PP = _pair(mom, F, P, F, P)
    QP = _pair(mom, Ft, Pt, F, P)
    PR = _pair(mom, F, P, Fr, Pr).sum(axis=3)          # (K+1, K+1, L)
    QR = _pair(mom, Ft, Pt, Fr, Pr).sum(axis=3)        # (K+1, K+1, M)
    PH = _pair(mom, F, P, Fh, Ph).sum(axis=3)[:, K]    # (K+1, L)
    QH = _pair(mom, Ft, Pt, Fh, Ph).sum(axis=3)[:, K]  # (K+1, M)
    RR = _pair(mom, Fr, Pr, Fr, Pr).sum(axis=(2, 3))   # (K+1, K+1)
    RH = _pair(mom, Fr, Pr, Fh, Ph).sum(axis=(2, 3))[:, K]
    HH = _pair(mom, Fh, Ph, Fh, Ph).sum(axis=(2, 3))[K, K]
    nxt = np.where(ks < K - 1, a_next, 0.0)              # multiplies phi_{k+1}
    kp1 = np.minimum(ks + 1, K)
    # E[u_i c_k^T] for test inputs u = psi at i (K, K, M, L): [i, k]
    QC = nxt[None, :, None, None] * QP[:K][:, kp1] - a_cur * QP[:K, :K]
    lastd = np.zeros(K)
    lastd[K - 1] = a_next
    QD = dt * QR[:K, :K] + lastd[None, :, None] * QH[:K, None, :]      # (K, K, M)
    # ML
    w = np.asarray(mlw)
    Gm = np.einsum("k,kab->ab", w, PP[ks, ks])
    jj, kk = np.meshgrid(ks, ks, indexing="ij")                         # [j, k]
    ahead = np.where(jj >= kk, disc_g ** np.maximum(jj - kk, 0), 0.0) * dt
    EphiG = np.einsum("jk,kjl->kl", ahead, PR[:K, :K]) + (disc_g ** (K - ks))[:, None] * PH[:K]
    gm = w @ EphiG
    EG2 = _expected_G2(RR, RH, HH, K, dt, disc_g)
    # MSTDE: c_k c_k^T and c_k d_k
    PPk = PP[ks, ks]
    PPn = PP[kp1, kp1]
    PPx = PP[ks, kp1]                                                   # E[phi_k phi_{k+1}^T]
    C = (np.einsum("k,kab->ab", nxt ** 2, PPn) + a_cur ** 2 * PPk.sum(axis=0)
         - a_cur * np.einsum("k,kab->ab", nxt, PPx + np.transpose(PPx, (0, 2, 1))))
    EcR = nxt[:, None] * PR[kp1, ks] - a_cur * PR[ks, ks]                # E[c_k r_k] (K, L)
    cd = dt * EcR.sum(axis=0) - a_cur * a_next * PH[K - 1]
    Ed2 = (dt ** 2 * RR[ks, ks].sum() + 2 * dt * a_next * RH[K - 1] + a_next ** 2 * HH)
    # traces
    ii, kk2 = np.meshgrid(ks, ks, indexing="ij")                        # [i, k]
    A = np.empty((len(decays), M, L))
    b = np.empty((len(decays), M))
    S = np.empty((len(decays), M, M))
    QQ = _pair(mom, Ft, Pt, Ft, Pt)[:K, :K]
    om = np.asarray(omega)
    for j, dec in enumerate(decays):
        wts = np.where(ii <= kk2, float(dec) ** np.maximum(kk2 - ii, 0), 0.0)
        wts = wts * (om * dt)[:, None]
        A[j] = np.einsum("ik,ikab->ab", wts, QC)
        b[j] = np.einsum("ik,ika->a", wts, QD)
        # S = dt * sum_k E[xi_k xi_k^T]; weight of (i, i'): sum_{k >= max} dec^(2k-i-i')
        mx = np.maximum(ii, kk2)
        gap = np.abs(ii - kk2)
        d2 = float(dec) ** 2
        if d2 == 1.0:
            geo = (K - mx).astype(float)
        else:
            geo = (1.0 - d2 ** (K - mx)) / (1.0 - d2)
        ws = float(dec) ** gap * geo * np.outer(om * dt, om * dt) * dt
        S[j] = np.einsum("ik,ikab->ab", ws, QQ)
    return {"A": A, "b": b, "S": S, "Gm": Gm, "gm": gm, "C": C, "cd": cd,
            "scal": np.array([float(w @ EG2), float(Ed2)])}


def _expected_G2(RR, RH, HH, K, dt, disc_g):
    """E[G_k^2] for k < K."""
    ks = np.arange(K)
    out = np.empty(K)
    for k in range(K):
        j = ks[k:]
        dk = disc_g ** (j - k) * dt
        out[k] = (dk @ RR[np.ix_(j, j)] @ dk + 2 * disc_g ** (K - k) * (dk @ RH[j])
                  + disc_g ** (2 * (K - k)) * HH)
    return out
