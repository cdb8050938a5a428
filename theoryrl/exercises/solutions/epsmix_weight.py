"""Reference solution: the EpsMix mixing weight."""


def mixing_weight(L, V_b, alpha):
    threshold = (1 - alpha) * V_b
    if L >= threshold:  # also covers V_b = 0
        return 1.0
    return min(1.0, alpha * V_b / (V_b - L))
