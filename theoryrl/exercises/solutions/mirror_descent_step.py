"""Reference solution: one mirror-descent (KL-proximal) policy step in log space."""

import numpy as np


def mirror_descent_step(logpi, Q, t):
    logits = logpi + t * Q
    m = logits.max(axis=1, keepdims=True)  # shift before exponentiating
    return logits - (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))
