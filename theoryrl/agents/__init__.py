"""Algorithms, one module per paper, plus the baselines they compare against."""

from .base import Agent, Mixture, Trajectory
from .ucbvi import UCBVI, UCBVIBernstein, UCBVIHoeffding

__all__ = ["Agent", "Mixture", "Trajectory", "UCBVI", "UCBVIBernstein", "UCBVIHoeffding"]
from .reward_free import HFUCRLRFEpp  # noqa: E402
from .rf_baselines import RFUCRL, UCRLRFE, RFExpress  # noqa: E402

__all__ += ["HFUCRLRFEpp", "RFExpress", "RFUCRL", "UCRLRFE"]
from .conservative import CUCBVI, BaselineOnly, BudgetConservative, DOPESwitch  # noqa: E402
from .dope import DOPE  # noqa: E402
from .stepmix import EpsMix, StepMix  # noqa: E402

__all__ += ["BaselineOnly", "BudgetConservative", "CUCBVI", "DOPESwitch", "EpsMix", "StepMix"]
__all__ += ["DOPE"]
from .average import AverageAgent, Segment, StepPlan, StopRule  # noqa: E402
from .loop import LOOP  # noqa: E402
from .ucrl2 import UCRL2, UCRL2B  # noqa: E402

__all__ += ["AverageAgent", "LOOP", "Segment", "StepPlan", "StopRule", "UCRL2", "UCRL2B"]
from .ucrl2_vtr import UCRL2VTR  # noqa: E402

__all__ += ["UCRL2VTR"]
from .optimistic_q import OptimisticQ  # noqa: E402

__all__ += ["OptimisticQ"]
