"""Array-API twin of ``_td_statistics`` (private).

Written against the array-API standard only, vectorised over paths and looping
over the K time steps, so CuPy (through array-api-compat) runs a whole chunk of
paths per array operation on a GPU, and ``array_api_strict`` proves nothing
outside the standard is used. It doubles as the plain-array reference the
compiled kernel is tested against.
"""

from __future__ import annotations

from types import ModuleType


def td_statistics_xp(phi, psi, r, h, dt: float, a_next: float, a_cur: float,
                     disc_g: float, terminal: bool, mlw, omega, decays, *,
                     xp: ModuleType) -> dict:
    """Same sums as ``_td_statistics`` (see there); returns a dict of ``xp`` arrays.

    phi (n, K+1, L), psi (n, K+1, M), r (n, K), h (n,), mlw (K,), omega (K,)
    and decays (m,) are Python floats or host sequences of floats.
    """
    n, K1, L = phi.shape
    M = psi.shape[2]
    K = K1 - 1
    m = len(decays)
    f64 = xp.float64
    # backward return-to-go, kept per step (n,) only
    Gs = [None] * K
    G = h
    for k in range(K - 1, -1, -1):
        G = r[:, k] * dt + disc_g * G
        Gs[k] = G
    A = [xp.zeros((M, L), dtype=f64) for _ in range(m)]
    b = [xp.zeros((M,), dtype=f64) for _ in range(m)]
    S = [xp.zeros((M, M), dtype=f64) for _ in range(m)]
    xi = [xp.zeros((n, M), dtype=f64) for _ in range(m)]
    Gm = xp.zeros((L, L), dtype=f64)
    gm = xp.zeros((L,), dtype=f64)
    C = xp.zeros((L, L), dtype=f64)
    cd = xp.zeros((L,), dtype=f64)
    sg = xp.zeros((), dtype=f64)
    sd = xp.zeros((), dtype=f64)
    for k in range(K):
        last = k == K - 1
        pk = phi[:, k, :]
        if last and terminal:
            c = -a_cur * pk
            d = r[:, k] * dt + a_next * h
        else:
            c = a_next * phi[:, k + 1, :] - a_cur * pk
            d = r[:, k] * dt
        w = float(mlw[k])
        Gk = Gs[k]
        Gm = Gm + w * (xp.matrix_transpose(pk) @ pk)
        gm = gm + w * xp.sum(pk * Gk[:, None], axis=0)
        C = C + xp.matrix_transpose(c) @ c
        cd = cd + xp.sum(c * d[:, None], axis=0)
        sg = sg + w * xp.sum(Gk * Gk)
        sd = sd + xp.sum(d * d)
        inc = float(omega[k]) * dt
        qk = psi[:, k, :]
        for j in range(m):
            xi[j] = float(decays[j]) * xi[j] + inc * qk
            xt = xp.matrix_transpose(xi[j])
            A[j] = A[j] + xt @ c
            b[j] = b[j] + xp.sum(xi[j] * d[:, None], axis=0)
            S[j] = S[j] + dt * (xt @ xi[j])
    return {"A": xp.stack(A), "b": xp.stack(b), "S": xp.stack(S), "Gm": Gm, "gm": gm,
            "C": C, "cd": cd, "scal": xp.stack([sg, sd])}
