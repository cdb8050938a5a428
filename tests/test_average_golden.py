"""Average-reward runs stay bit-identical to the recorded ones (UCRL2, UCRL2B, LOOP in
every switching mode, the raw-residual ablation, the frozen-set variant, linear-mixture
LOOP, UCRL2-VTR and Optimistic Q-learning), confidence monitor included."""

import numpy as np
import pytest
from _average_golden import PATH, SEEDS, configs, measure


@pytest.fixture(scope="module")
def golden():
    with np.load(PATH) as f:
        return dict(f)


@pytest.mark.parametrize("name", sorted(configs()))
def test_runs_are_bit_identical_to_the_record(name, golden):
    for seed in SEEDS:
        got = measure(name, seed)
        want = {k.rsplit("/", 1)[1]: v for k, v in golden.items()
                if k.startswith(f"{name}/{seed}/")}
        assert set(got) == set(want)
        for k, v in want.items():
            np.testing.assert_array_equal(got[k], v, err_msg=f"{name} seed {seed}: {k}")
