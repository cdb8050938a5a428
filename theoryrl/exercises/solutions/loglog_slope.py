"""Reference solution: log-log slope with a Student-t confidence interval."""

import numpy as np
from scipy.special import stdtrit  # stdtrit(dof, q) = scipy.stats.t.ppf(q, dof)


def fit_slope(x, y, level):
    y = np.atleast_2d(y)
    u = np.tile(np.log(x), y.shape[0])
    v = np.log(y).ravel()
    uc = u - u.mean()
    slope = uc @ (v - v.mean()) / (uc @ uc)
    resid = v - v.mean() - slope * uc
    dof = u.size - 2
    se = np.sqrt(resid @ resid / dof / (uc @ uc))
    t = stdtrit(dof, 0.5 + level / 2)
    return float(slope), float(slope - t * se), float(slope + t * se)
