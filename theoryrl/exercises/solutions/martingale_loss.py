"""Reference solution: martingale loss and mean-square TD error on Brownian motion."""

import numpy as np


def _features(X, T):
    K = X.shape[1] - 1
    t = np.arange(K + 1) * (T / K)
    return np.stack([X ** 2, np.broadcast_to(T - t, X.shape)], axis=-1)  # (N, K+1, 2)


def ml_fit(X, T):
    phi = _features(X, T)[:, :-1].reshape(-1, 2)  # k = 0..K-1
    K = X.shape[1] - 1
    G = np.repeat(X[:, -1] ** 2, K)  # return-to-go: the terminal payoff
    return np.linalg.solve(phi.T @ phi, phi.T @ G)


def mstde_fit(X, T):
    phi = _features(X, T)
    c = phi[:, 1:] - phi[:, :-1]  # delta_k = c_k . theta + d_k
    c[:, -1] = -phi[:, -2]  # terminal substitution at k = K-1
    d = np.zeros(c.shape[:2])
    d[:, -1] = X[:, -1] ** 2
    C, D = c.reshape(-1, 2), d.ravel()
    return -np.linalg.solve(C.T @ C, C.T @ D)
