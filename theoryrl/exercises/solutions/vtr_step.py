"""Reference solution: phi_V and one weighted value-targeted regression step."""

import numpy as np


def phi_V(phi, V):
    return np.einsum("satd,t->sad", phi, V)  # sum over the next state


def vtr_step(Sigma_inv, b, x, y, sigma2):
    u = Sigma_inv @ x
    Sigma_inv_new = Sigma_inv - np.outer(u, u) / (sigma2 + x @ u)
    b_new = b + x * y / sigma2
    return Sigma_inv_new, b_new, Sigma_inv_new @ b_new
