"""Algorithms, one module per paper, plus the baselines they compare against.

Every agent follows one contract (:mod:`theoryrl.agents.base`): ``reset(rng)``,
``policy()``, ``update(data)``, ``info()``; the average-reward agents
(:mod:`theoryrl.agents.average`) and the multi-task POMDP agents
(:mod:`theoryrl.agents.umt_psr`) are its documented variants.
:func:`check_agent` checks an agent against it.
"""

from .average import AverageAgent, Segment, StepSim
from .base import Agent, CompiledRun, Mixture, TaskBatch, TaskPlays, Trajectory
from .check import AgentCheckError, check_agent
from .conservative import CUCBVI, BaselineOnly, BudgetConservative, DOPESwitch
from .dope import DOPE
from .fisher_pg import PGRun, run_pg
from .iwocs import IWOCSResult, iwocs
from .loop import LOOP
from .mdpo import MirrorDescentResult, policy_mirror_descent
from .mean_variance import emv_wang_zhou, pg_offline_ac
from .optimistic_q import OptimisticQ
from .reward_free import HFUCRLRFEpp
from .rf_baselines import RFUCRL, UCRLRFE, RFExpress
from .stepmix import EpsMix, StepMix
from .ucbvi import UCBVI, UCBVIBernstein, UCBVIHoeffding
from .ucrl2 import UCRL2, UCRL2B
from .ucrl2_vtr import UCRL2VTR
from .umt_psr import UMTPSR, DownstreamOMLE, IndependentPSR, MultiTaskAgent

__all__ = [
    "Agent", "AverageAgent", "CompiledRun", "MultiTaskAgent", "Mixture", "Segment", "StepSim",
    "TaskBatch", "TaskPlays", "Trajectory", "AgentCheckError", "check_agent",
    "BaselineOnly", "BudgetConservative", "CUCBVI", "DOPE", "DOPESwitch", "DownstreamOMLE",
    "EpsMix",
    "HFUCRLRFEpp", "IndependentPSR", "LOOP", "OptimisticQ", "RFExpress", "RFUCRL", "StepMix",
    "UCBVI", "UCBVIBernstein", "UCBVIHoeffding", "UCRL2", "UCRL2B", "UCRL2VTR", "UCRLRFE",
    "UMTPSR", "emv_wang_zhou", "pg_offline_ac",
    # exact-model algorithms (functions): robust MDPs, mirror descent, momentum PG
    "IWOCSResult", "MirrorDescentResult", "PGRun", "iwocs", "policy_mirror_descent", "run_pg",
]
