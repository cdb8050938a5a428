"""Named instances, each a function returning a seeded exact model."""

from .classic import chain, random_mdp, riverswim

__all__ = ["chain", "random_mdp", "riverswim"]
from .conservative import (  # noqa: E402
    baseline_value,
    collect_dataset,
    conservative_random_mdp,
    conservative_random_mdp_baseline,
    conservative_trap,
    conservative_trap_baseline,
    riverswim_safe,
    riverswim_safe_baseline,
)

__all__ += ["baseline_value", "collect_dataset", "conservative_random_mdp",
            "conservative_random_mdp_baseline", "conservative_trap", "conservative_trap_baseline",
            "riverswim_safe", "riverswim_safe_baseline"]
from .linear_mixture import (  # noqa: E402
    LinearMixtureInstance,
    hard_linear_mixture,
    random_linear_mixture,
    tabular_as_linear_mixture,
)

__all__ += ["LinearMixtureInstance", "hard_linear_mixture", "random_linear_mixture",
            "tabular_as_linear_mixture"]
from .average import (  # noqa: E402
    facts,
    random_communicating,
    random_linear_mixture_amdp,
    riverswim_average,
    two_state_gadget,
    wzg_hard_linear_mixture,
)

__all__ += ["facts", "random_communicating", "random_linear_mixture_amdp", "riverswim_average",
            "two_state_gadget", "wzg_hard_linear_mixture"]
from .gridworld import GRID_ACTIONS, grid_cells, gridworld  # noqa: E402
from .gym_adapter import from_gymnasium, register_gymnasium, to_gymnasium  # noqa: E402
from .hard import HardMDP, hard_instance  # noqa: E402
from .mdptoolbox import from_mdptoolbox, to_mdptoolbox  # noqa: E402
from .quantecon import from_quantecon, to_quantecon  # noqa: E402

__all__ += ["GRID_ACTIONS", "HardMDP", "from_gymnasium", "from_mdptoolbox", "grid_cells",
            "gridworld", "hard_instance", "register_gymnasium", "to_gymnasium", "to_mdptoolbox",
            "from_quantecon", "to_quantecon"]
from .robust import RobustInstance, random_finite_set, windy_walk  # noqa: E402

__all__ += ["RobustInstance", "random_finite_set", "windy_walk"]
