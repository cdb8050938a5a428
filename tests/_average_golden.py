"""Configurations whose average-reward runs must stay bit-identical.

``python -m tests._average_golden`` (re)records ``tests/data/average_golden.npz``
with the current code; ``tests/test_average_golden.py`` compares every run with
the record. Re-record only for an intended change of the numbers, and say so in
the commit message.
"""

from __future__ import annotations

import pathlib

import numpy as np

from theoryrl.agents import LOOP, UCRL2, UCRL2B, UCRL2VTR, OptimisticQ
from theoryrl.envs.average import riverswim_average, two_state_gadget, wzg_hard_linear_mixture
from theoryrl.experiment.average import run_one

PATH = pathlib.Path(__file__).parent / "data" / "average_golden.npz"
SEEDS = (0, 1, 2)
KEYS = ("regret", "raw_regret", "switches", "policy_changes", "plan_starts", "reasons",
        "states", "actions")


class _RawSwitch(LOOP):
    """The raw-residual switching ablation (broken variant of the switching check)."""

    switching_kinds = ("loop", "det", "count", "raw")

    def __init__(self, spec, **kw):
        super().__init__(spec, switching="raw", c_sw=4.0, **kw)


class _Frozen(LOOP):
    """Ridge statistics stop taking data after step 2^8 (frozen confidence sets)."""

    def __init__(self, spec, **kw):
        super().__init__(spec, **kw)
        self.learn_until = 2 ** 8


def _lm():
    return wzg_hard_linear_mixture(d=3, delta_s=0.2, Delta=0.05, seed=0)


def configs():
    """name -> (make_env, make_agent, steps, monitor)."""
    two, river = two_state_gadget, lambda: riverswim_average(6)
    return {
        "ucrl2_river": (river, lambda e: UCRL2(e.spec), 2 ** 11, False),
        "ucrl2_learned": (two, lambda e: UCRL2(e.spec, reward="learned"), 2 ** 11, False),
        "ucrl2b_river": (river, lambda e: UCRL2B(e.spec), 2 ** 10, False),
        "loop_two": (two, lambda e: LOOP(e.spec, span_bound=2.5), 2 ** 11, True),
        "loop_river": (river, lambda e: LOOP(e.spec, span_bound=7.0), 2 ** 10, True),
        "loop_det": (two, lambda e: LOOP(e.spec, span_bound=2.5, switching="det"), 2 ** 11,
                     True),
        "loop_count_l1": (two, lambda e: LOOP(e.spec, span_bound=2.5, confidence="l1",
                                              switching="count", reward="learned"),
                          2 ** 11, False),
        "loop_raw": (two, lambda e: _RawSwitch(e.spec, span_bound=2.5), 2 ** 11, True),
        "loop_frozen": (two, lambda e: _Frozen(e.spec, span_bound=2.5, switching="count"),
                        2 ** 11, True),
        "loop_lm": (_lm, lambda e: LOOP(e.spec, model="linear_mixture", span_bound=3.0,
                                        features=e.phi,
                                        theta_norm=float(np.linalg.norm(e.theta)) + 1e-9),
                    2 ** 10, True),
        "ucrl2vtr": (_lm, lambda e: UCRL2VTR(e.spec, e.phi, diameter=6.0,
                                             theta_norm=float(np.linalg.norm(e.theta)) + 1e-9),
                     2 ** 10, False),
        "optq_river": (river, lambda e: OptimisticQ(e.spec, steps=2 ** 12), 2 ** 12, False),
    }


def measure(name: str, seed: int) -> dict[str, np.ndarray]:
    make_env, make_agent, T, monitor = configs()[name]
    env = make_env()
    r = run_one(make_agent(env), env, T, np.random.SeedSequence(seed), monitor=monitor)
    out = {k: np.asarray(r[k]) for k in KEYS}
    if monitor:
        out["first_violation"] = np.asarray(r["first_violation"])
        out["monitor_max"] = np.asarray(np.nan if r["monitor_max"] is None else r["monitor_max"])
    return out


def record() -> None:
    data = {}
    for name in configs():
        for seed in SEEDS:
            for k, v in measure(name, seed).items():
                data[f"{name}/{seed}/{k}"] = v
    PATH.parent.mkdir(exist_ok=True)
    np.savez_compressed(PATH, **data)


if __name__ == "__main__":
    record()
