"""Import hygiene: ``import theoryrl`` loads only numpy, scipy and numba; kernels stay compiled."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "cvxpy", "typer", "rich", "joblib", "gymnasium", "dask")
SUBPACKAGES = ("models", "planning", "envs", "agents", "experiment", "claims")


def test_import_loads_no_heavy_dependency():
    code = (
        "import sys, json, theoryrl\n"
        f"for m in {SUBPACKAGES!r}: getattr(theoryrl, m)\n"
        "import theoryrl.envs.gym_adapter, theoryrl.envs.mdptoolbox, theoryrl.envs.hard\n"
        "import theoryrl.envs.gridworld\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"import theoryrl loaded {loaded}"


@pytest.mark.parametrize("module", ["theoryrl.planning._kernels", "theoryrl.experiment._kernels",
                                    "theoryrl.agents._ucbvi_kernels"])
def test_core_kernels_are_numba_compiled(module):
    from numba.core.extending import _Intrinsic  # LLVM IR inlined into compiled callers
    from numba.core.registry import CPUDispatcher

    mod = importlib.import_module(module)
    funcs = {name: obj for name, obj in vars(mod).items()
             if callable(obj) and not inspect.isclass(obj)
             and getattr(obj, "__module__", module) == module and name not in ("njit",)}
    assert funcs, module
    not_jitted = [n for n, f in funcs.items() if not isinstance(f, (CPUDispatcher, _Intrinsic))]
    assert not_jitted == [], f"{module}: {not_jitted} lost their @njit"
