r"""Proof checks for UMT-PSR (Huang, Cheng, Yang, Tan, Liang, ICLR 2024), on the harness.

Each check is data (:class:`~proofs_checks._harness.Check`): ``measure_*``
functions run the algorithms and return raw per-seed arrays, ``judge_*``
functions compute the statistics the registered rule reads
(``proofs_checks/registry.toml``). Every check fails on a broken variant: a
subclass of the algorithm (or of the model class) below, placed in the setting
(``joint``, ``independent``, ``agent``, ``model_cls``, ``planner``,
``radius_scale``); ``tests/test_umt_psr.py`` runs them.

Seeds: seed ``i`` of a setting uses ``SeedSequence(base, spawn_key=(i,))`` with
``base = setting["seed"] + base_seed`` (the harness's base seed, 0 by default),
spawned into an *instance* stream (truth and rewards: common to the compared
arms) and a *sampling* stream (spawned once more per arm: independent).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from theoryrl.agents.umt_psr import (
    UMTPSR,
    ContainsTruth,
    DownstreamOMLE,
    IndependentPSR,
    benefit_ratio,
    beta_finite,
)
from theoryrl.claims import (
    AllOf,
    AtLeast,
    AtMost,
    Binomial,
    CIWithin,
    PValueBelow,
    binomial_at_least,
    clopper_pearson,
    paired_ratio_ci,
)
from theoryrl.envs.pomdp_families import (
    E_EASY,
    SharedSpecificClass,
    control_family,
    random_task_rewards,
    sample_truth,
    shared_transition_family,
    two_state_grid,
)
from theoryrl.experiment.pomdp_driver import run_pomdp
from theoryrl.experiment.seeding import seed_sequences
from theoryrl.models.pomdp import POMDP, maxsum, policy_tensor, reward_tensor

from ._harness import Check, Measured

PAPER = "umt_psr"

SWEEP: dict[str, dict] = {
    "model_exact": dict(n_models=60, tol=1e-12, seed=11),
    "planning_exact": dict(n_instances=8, tol=1e-12, seed=12),
    "ville": dict(deltas=(0.1, 0.2, 0.4), seeds=4000, shift=0.1, kl_multiple=20,
                  level=0.01, seed=13),
    "upstream": dict(N=(1, 2, 4, 8, 16), H=3, eps=0.05, delta=0.1, seeds=100, seed=14,
                     band=(0.6, 1.6), slack=0.1, max_censored=0.05),
    "control": dict(N=4, H=3, eps=0.05, delta=0.1, seeds=100, seed=15, band_high=1.6),
    "eps_optimal": dict(N=4, H=3, eps=0.003, delta=0.1, seeds=100, seed=16, delta_e=0.1,
                        T_values=(0.1, 0.9)),
    "beta_linear": dict(sizes=(2, 8, 32, 128), eps=0.02, delta=0.1, seeds=60, seed=17,
                        min_r2=0.9),
    "downstream": dict(N=4, H=3, eps_up=0.05, eps=0.02, delta=0.1, seeds=100, seed=18),
    "ucb_tv_bound": dict(N=2, H=2, t_index=(0, 3, 12, 15), m_E=2, eps=0.3, delta=0.1,
                         seeds=40, seed=19, max_censored=0.05),
}
QUICK: dict[str, dict] = {
    "model_exact": dict(SWEEP["model_exact"], n_models=15),
    "planning_exact": dict(SWEEP["planning_exact"], n_instances=3),
    "ville": dict(SWEEP["ville"], seeds=1000),
    "upstream": dict(SWEEP["upstream"], N=(1, 2, 4, 8), seeds=20),
    "control": dict(SWEEP["control"], seeds=10),
    "eps_optimal": dict(SWEEP["eps_optimal"], seeds=12),
    "beta_linear": dict(SWEEP["beta_linear"], seeds=8),
    "downstream": dict(SWEEP["downstream"], seeds=10),
    "ucb_tv_bound": dict(SWEEP["ucb_tv_bound"], eps=0.6, seeds=6),
}



def gap_family(N: int, H: int, delta_e: float, T_values) -> SharedSpecificClass:
    """Shared transitions from the grid ``T_values^4`` (actions move the latent state
    strongly for (0.1, 0.9)) and every easy emission with a near-duplicate that moves
    ``delta_e`` of each row's largest entry to the next one: the instance of the
    eps-optimality check, on which the output after one iteration is about 1.5 eps
    from optimal at eps = 0.003 [D]."""
    Es = []
    for E in E_EASY:
        E2 = E.copy()
        for s in range(E.shape[0]):
            j = int(np.argmax(E[s]))
            E2[s, j] -= delta_e
            E2[s, (j + 1) % E.shape[1]] += delta_e
        Es += [E, E2]
    return shared_transition_family(N, H, T_grid=two_state_grid(list(T_values)),
                                    emissions=np.array(Es), name="gap_family")


# ------------------------------------------------------------ broken variants
class TransposedPOMDP(POMDP):
    """Broken (model_exact): the forward pass runs on T transposed (an indexing bug)."""

    def __init__(self, T, E, **kw):
        super().__init__(_row_normalised_transpose(T), E, **kw)


def swapped_maxsum(g, O, A, H):
    """Broken (planning_exact): max before sum at each step (the action sees the next
    observation); returns (planned value, value of its policy) = the same leaked number."""
    v = float(g.sum(-2).max(-1).sum(-2).max(-1).sum())
    return v, v


class ZeroRadiusUMTPSR(UMTPSR):
    """Broken (coverage_joint, control_no_benefit): radius 0, the joint confidence set is
    the MLE, so the learner stops as soon as the MLE looks certified."""

    def __init__(self, *a, **k):
        k["beta"] = 0.0
        super().__init__(*a, **k)


class ZeroRadiusIndependent(IndependentPSR):
    """Broken (coverage_independent): radius 0 for every independent learner."""

    def __init__(self, *a, **k):
        k["beta"] = 0.0
        super().__init__(*a, **k)


class OneIterationUMTPSR(UMTPSR):
    """Broken (eps_optimal_average): cut after one iteration, output used as certified."""

    def __init__(self, *a, **k):
        k["K_max"] = 1
        super().__init__(*a, **k)


class SizeBlindPSR(IndependentPSR):
    """Broken (samples_linear_in_beta): the radius ignores the class size (log(2/delta))."""

    def __init__(self, *a, **k):
        k["beta"] = beta_finite(math.log(2), k.get("delta", 0.1))
        super().__init__(*a, **k)


class NoTransferUMTPSR(UMTPSR):
    """Broken (downstream_benefit): hands over every transition, not its confidence set's."""

    def confidence_projection_T(self):
        return np.arange(self.cls.m_T)


class ScaledAlphaUMTPSR(UMTPSR):
    """Broken (ucb_tv_bound): the UCB-on-TV bonus scale alpha multiplied by 0.01."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.alpha = 0.01 * self.alpha


def _streams(base: int, i: int) -> tuple[np.random.Generator, np.random.SeedSequence]:
    inst, samp = seed_sequences([i], base)[0].spawn(2)
    return np.random.default_rng(inst), samp


def _random_pomdp(rng: np.random.Generator, S: int, O: int, A: int, H: int) -> POMDP:
    T = rng.dirichlet(np.ones(S), size=(H - 1, A, S)) if H > 1 else np.zeros((0, A, S, S))
    E = rng.dirichlet(np.ones(O), size=(H, S))
    return POMDP(T, E, horizon=H, mu=rng.dirichlet(np.ones(S)))


# =========================================================== C1 model exact
def measure_model_exact(setting: dict, base_seed: int | None = None, n_jobs: int = 1) -> dict:
    """Max deviations forward vs brute force vs PSR product, and of the per-action-sequence sums.

    The forward pass runs on ``setting["model_cls"]`` (default :class:`POMDP`;
    broken variant :class:`TransposedPOMDP`). Deterministic (fixed generator seed).
    """
    rng = np.random.default_rng(setting["seed"])
    model_cls = setting.get("model_cls", POMDP)
    errs, sums = [], []
    for _ in range(setting["n_models"]):
        S, O, A, H = (int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                      int(rng.integers(1, 3)), int(rng.integers(1, 5)))
        O = max(O, S)  # revealing draw for the PSR product (full column rank a.s.)
        m = _random_pomdp(rng, S, O, A, H)
        fwd = model_cls(m.T, m.E, horizon=H, mu=m.mu)
        P = fwd.traj_probs()
        ref = m.brute_force_traj_probs()
        e = float(np.abs(P - ref).max())
        if m.is_revealing():
            e = max(e, float(np.abs(m.psr_traj_probs() - ref).max()))
        errs.append(e)
        s = P.sum(axis=tuple(range(0, 2 * H, 2)))
        sums.append(float(np.abs(s - 1).max()))
    return dict(errors=np.array(errs), sum_errors=np.array(sums))


def _row_normalised_transpose(T) -> np.ndarray:
    Tt = np.swapaxes(np.asarray(T), -1, -2)
    return Tt / Tt.sum(-1, keepdims=True)


# ======================================================== C2 planning exact
def measure_planning_exact(setting: dict, base_seed: int | None = None,
                           n_jobs: int = 1) -> dict:
    """Max-sum value vs the best of all 1024 deterministic policies at H=2, O=A=2.

    ``setting["planner"]`` (broken variant :func:`swapped_maxsum`) replaces the
    max-sum planner; it returns (planned value, value of its policy).
    Deterministic (fixed generator seed).
    """
    rng = np.random.default_rng(setting["seed"])
    planner = setting.get("planner")
    O = A = H = 2
    devs = []
    for _ in range(setting["n_instances"]):
        m = _random_pomdp(rng, 2, O, A, H)
        R = reward_tensor(rng.random((H, O, A)), O, A, H)
        g = m.traj_probs() * R
        if planner is not None:
            plan_val, pol_val = planner(g, O, A, H)
        else:
            plan = maxsum(g, O, A, H)
            plan_val = float(plan.value)
            pol_val = m.value(plan.tensor(), R)
        best = -np.inf
        for a1 in itertools.product(range(A), repeat=O):
            for a2 in itertools.product(range(A), repeat=O * A * O):
                tabs = [np.array(a1), np.array(a2).reshape(O, A, O)]
                best = max(best, m.value(policy_tensor(tabs, O, A), R))
        devs.append(max(abs(plan_val - best), abs(pol_val - best)))
    return dict(deviations=np.array(devs))


# ============================================================== C3 Ville
def ville_models(shift: float = 0.1) -> tuple[POMDP, POMDP]:
    """The C3 two-model class: truth and its alternative (first row of T[0] moved by ``shift``)."""
    T = np.array([[[.8, .2], [.3, .7]], [[.6, .4], [.2, .8]]])
    T2 = T.copy()
    T2[0, 0] = [.8 - shift, .2 + shift]
    mu = np.array([.8, .2])
    return (POMDP(T, E_EASY[0], horizon=3, mu=mu), POMDP(T2, E_EASY[0], horizon=3, mu=mu))


def measure_ville(setting: dict, base_seed: int = 0, n_jobs: int = 1) -> dict:
    r"""Failure rates :math:`P(\exists k: L_k(\theta') - L_k(\theta^*) \ge \beta)`.

    Uniform exploration, ``K = kl_multiple / KL`` episodes per seed.

    ``beta = log(1/delta)`` times ``setting.get("radius_scale", 1)`` (the broken
    variant uses 1/2), and ``beta/2`` for the power arm.
    """
    truth, alt = ville_models(setting["shift"])
    P, Q = truth.traj_probs().ravel(), alt.traj_probs().ravel()
    nu = np.full(P.size, 0.5 ** truth.H)
    w = P * nu
    kl = float(np.sum(w * np.log(P / Q)))
    K = int(math.ceil(setting["kl_multiple"] / kl))
    rng = np.random.default_rng(setting["seed"] + base_seed)
    n = setting["seeds"]
    cdf = np.cumsum(w)
    inc = np.log(Q) - np.log(P)
    run_max = np.full(n, -np.inf)
    cum = np.zeros(n)
    for start in range(0, K, 512):
        k = min(512, K - start)
        idx = np.minimum(np.searchsorted(cdf, rng.random((n, k)) * cdf[-1], side="right"),
                         P.size - 1)
        c = cum[:, None] + np.cumsum(inc[idx], axis=1)
        run_max = np.maximum(run_max, c.max(axis=1))
        cum = c[:, -1]
    scale = setting.get("radius_scale", 1.0)
    deltas = np.array(setting["deltas"])
    betas = np.log(1 / deltas)
    fail = np.array([(run_max >= scale * b).sum() for b in betas])
    power = np.array([(run_max >= 0.5 * b).sum() for b in betas])
    return dict(deltas=deltas, failures=fail, power_failures=power, n=n, episodes=K, kl=kl)


# ====================================================== upstream runs (C4/C5)
def _run_family(cls: SharedSpecificClass, i: int, base: int, eps: float, delta: float,
                arms: tuple[str, ...], setting: dict) -> dict:
    rng_inst, samp = _streams(base, i)
    t, e = sample_truth(cls, rng_inst)
    R = random_task_rewards(cls.N, cls.O, cls.A, cls.H, rng_inst)
    P = cls.P[t, e]
    out = {}
    for arm, ss in zip(arms, samp.spawn(len(arms))):
        agent = setting.get(arm, UMTPSR if arm == "joint" else IndependentPSR)
        ag = agent(cls, R, eps=eps, delta=delta)
        run = run_pomdp(ag, P, R, np.random.default_rng(ss), truth=ContainsTruth(t, e),
                        record_values=False)
        D = cls.dmax()
        m_true = t * cls.m_E + e
        out[arm] = dict(samples=float(run.samples_per_task.mean()), covered=run.covered,
                        stopped=run.stopped, avg_gap=float(run.gaps.mean()),
                        max_gap=float(run.gaps.max()),
                        tv_sum=float(D[run.output_models, m_true].sum()))
    return out


def measure_upstream(setting: dict, base_seed: int = 0, n_jobs: int = 1) -> dict:
    """Per-seed per-task samples, coverage and gaps of UMT-PSR and independent learners
    on ``setting["family"]`` (``"shared_hard"`` or ``"specific_hard"``); the arms'
    classes are ``setting["joint"]`` and ``setting["independent"]``."""
    n = setting["seeds"]
    base_cls = (shared_transition_family(1, setting["H"])
                if setting.get("family", "shared_hard") == "shared_hard"
                else control_family(1, setting["H"]))
    base_cls.dmax()
    Ns = setting["N"] if isinstance(setting["N"], tuple) else (setting["N"],)
    res: dict = {}
    for N in Ns:
        cls = base_cls.with_tasks(N)
        rows = [_run_family(cls, i, setting["seed"] * 1000 + N + base_seed, setting["eps"],
                            setting["delta"], ("joint", "independent"), setting)
                for i in range(n)]
        res[N] = {arm: {k: np.array([r[arm][k] for r in rows]) for k in rows[0][arm]}
                  for arm in ("joint", "independent")}
        res[N]["log_joint"] = cls.log_bracketing_number()
        res[N]["log_single"] = math.log(cls.M)
    return res


# ============================================================ C7 eps-optimal
def measure_eps_optimal(setting: dict, base_seed: int = 0, n_jobs: int = 1) -> dict:
    """Certificate sum_n maxTV(theta_bar_n, theta*_n) and true average gap at stopping of
    ``setting["agent"]`` (default UMT-PSR), and the average gap of the output after one
    iteration (the reference that shows the claim has work to do)."""
    n = setting["seeds"]
    agent = setting.get("agent", UMTPSR)
    cls = gap_family(setting["N"], setting["H"], setting["delta_e"], setting["T_values"])
    cls.dmax()
    rows = []
    for i in range(n):
        rng_inst, samp = _streams(setting["seed"] + base_seed, i)
        t, e = sample_truth(cls, rng_inst)
        R = random_task_rewards(cls.N, cls.O, cls.A, cls.H, rng_inst)
        s_run, s_ref = samp.spawn(2)
        ag = agent(cls, R, eps=setting["eps"], delta=setting["delta"])
        run = run_pomdp(ag, cls.P[t, e], R, np.random.default_rng(s_run), record_values=False)
        ref = run_pomdp(OneIterationUMTPSR(cls, R, eps=setting["eps"], delta=setting["delta"]),
                        cls.P[t, e], R, np.random.default_rng(s_ref), record_values=False)
        D = cls.dmax()
        rows.append((float(D[run.output_models, t * cls.m_E + e].sum()),
                     float(run.gaps.mean()), float(run.gaps.max()),
                     float(run.samples_per_task.mean()), float(ref.gaps.mean())))
    a = np.array(rows)
    return dict(tv_sum=a[:, 0], avg_gap=a[:, 1], max_gap=a[:, 2], samples=a[:, 3],
                initial_gap=a[:, 4])


# ============================================================ C8 beta linear
def beta_class(size: int, H: int = 3, seed: int = 0) -> SharedSpecificClass:
    """Truth (index 0), one hard alternative (index 1) and ``size - 2`` random far models."""
    truth, alt = ville_models(0.1)
    rng = np.random.default_rng(seed)
    P = [truth.traj_probs().ravel(), alt.traj_probs().ravel()]
    while len(P) < size:
        m = _random_pomdp(rng, 2, 3, 2, H)
        P.append(m.traj_probs().ravel())
    return SharedSpecificClass(np.array(P)[None], 1, 3, 2, H, name=f"beta_{size}")


def measure_beta_linear(setting: dict, base_seed: int = 0, n_jobs: int = 1) -> dict:
    """Single-task samples to certified stop of ``setting["agent"]`` (default the
    independent learner) against beta = log(|Theta|/delta)."""
    n = setting["seeds"]
    agent = setting.get("agent", IndependentPSR)
    sizes = setting["sizes"]
    out = np.zeros((n, len(sizes)))
    betas = []
    for j, size in enumerate(sizes):
        cls = beta_class(size, seed=setting["seed"])
        beta = beta_finite(math.log(size), setting["delta"])
        betas.append(beta)
        for i in range(n):
            rng_inst, samp = _streams(setting["seed"] + base_seed, i)
            R = random_task_rewards(1, 3, 2, 3, rng_inst)
            ag = agent(cls, R, eps=setting["eps"], delta=setting["delta"], beta=beta)
            run = run_pomdp(ag, cls.P[0, [0]], R, np.random.default_rng(samp),
                            record_values=False)
            out[i, j] = run.samples_per_task[0]
    return dict(beta=np.array(betas), samples=out)


# ============================================================= C9 downstream
def measure_downstream(setting: dict, base_seed: int = 0, n_jobs: int = 1) -> dict:
    """Downstream OMLE episodes on the upstream-restricted class vs from scratch.

    Upstream: UMT-PSR on ``N`` shared-transition tasks; target: a new task with
    the same ``t*``, a fresh emission ``e0`` and reward. Restricted class:
    ``{(t, e) : t in proj_T(B_final), e}`` (confidence-set based);
    scratch: all ``m_T m_E`` models. The upstream learner is ``setting["agent"]``
    (default UMT-PSR).
    """
    n = setting["seeds"]
    agent = setting.get("agent", UMTPSR)
    base = shared_transition_family(1, setting["H"])
    base.dmax()
    cls = base.with_tasks(setting["N"])
    rows = []
    for i in range(n):
        rng_inst, samp = _streams(setting["seed"] + base_seed, i)
        t, e = sample_truth(cls, rng_inst)
        R = random_task_rewards(cls.N, cls.O, cls.A, cls.H, rng_inst)
        e0 = int(rng_inst.integers(cls.m_E))
        R0 = random_task_rewards(1, cls.O, cls.A, cls.H, rng_inst)[0]
        s_up, s_a, s_b = samp.spawn(3)
        up = agent(cls, R, eps=setting["eps_up"], delta=setting["delta"])
        run_pomdp(up, cls.P[t, e], R, np.random.default_rng(s_up), record_values=False)
        ts = up.confidence_projection_T()
        Pr = cls.P[ts].reshape(-1, cls.F)
        Ps = cls.P.reshape(-1, cls.F)
        P0 = cls.P[t, e0][None]
        res = []
        for Pc, ss in ((Pr, s_a), (Ps, s_b)):
            ag = DownstreamOMLE(Pc, R0, cls.O, cls.A, cls.H, eps=setting["eps"],
                                delta=setting["delta"])
            run = run_pomdp(ag, P0, R0[None], np.random.default_rng(ss), record_values=False)
            res += [run.samples_per_task[0], run.gaps[0], float(run.stopped)]
        rows.append(res + [len(Pr), float(t in ts)])
    a = np.array(rows)
    return dict(restricted=a[:, 0], gap_restricted=a[:, 1], stop_restricted=a[:, 2],
                scratch=a[:, 3], gap_scratch=a[:, 4], stop_scratch=a[:, 5],
                class_size=a[:, 6], t_in_class=a[:, 7])


# ===================================================== C11 UCB-on-TV bound
def ucb_tv_class(setting: dict) -> SharedSpecificClass:
    """The small class of check C11: transitions ``t_index`` of a grid x ``m_E`` emissions.

    Default: 4 transitions (``p, q`` of each action in {0.2, 0.35}) x the first
    two easy emissions, ``N = 2`` tasks, ``H = 2`` (``F = 36``), so that the
    conservative bonus can reach the stopping threshold in a few thousand
    rounds [D].
    """
    grid = two_state_grid([0.2, 0.35])[list(setting["t_index"])]
    return shared_transition_family(setting["N"], setting["H"], T_grid=grid,
                                    emissions=E_EASY[: setting["m_E"]], name="ucb_tv_small")


def measure_ucb_tv_bound(setting: dict, base_seed: int = 0, n_jobs: int = 1) -> dict:
    r"""Bonus values and exact :math:`\max_\pi\mathrm{TV}^\pi(\hat\theta^k_n,\theta^*_n)` per round.

    Runs ``UMTPSR(planner="ucb_tv")`` with its default constants
    (:math:`\alpha` = :func:`~theoryrl.agents.umt_psr.ucb_tv_alpha`,
    :math:`\lambda = 1`, :math:`p_{\min} = \delta/(K_{\max} H F)`) to its
    certified stop. After every plan (round ``k = 0, 1, ...``: the driver's
    per-iteration hook, which here only records and always answers True) it
    stores the per-task bonus values :math:`V_n` and the stable MLE; the
    exact TV comes from the class's max-sum table ``dmax``. The pairwise
    planner runs on the same instance (independent sampling stream) for a
    sample-count comparison.

    The learner is ``setting["agent"]`` (default UMT-PSR; broken variant
    :class:`ScaledAlphaUMTPSR`, :math:`\alpha` multiplied by 0.01).
    """
    n = setting["seeds"]
    agent = setting.get("agent", UMTPSR)
    cls = ucb_tv_class(setting)
    D = cls.dmax()
    N, eps, delta = setting["N"], setting["eps"], setting["delta"]
    rows, hits, totals = [], [], []
    alpha = None
    for i in range(n):
        rng_inst, samp = _streams(setting["seed"] + base_seed, i)
        t, e = sample_truth(cls, rng_inst)
        R = random_task_rewards(cls.N, cls.O, cls.A, cls.H, rng_inst)
        s_ucb, s_pair = samp.spawn(2)
        ag = agent(cls, R, eps=eps, delta=delta, planner="ucb_tv")
        alpha = ag.alpha
        bon: list[np.ndarray] = []
        mod: list[np.ndarray] = []

        def record(a, bon=bon, mod=mod) -> bool:
            bon.append(a.bonus_values.copy())
            mod.append(a.output_models())
            return True

        run = run_pomdp(ag, cls.P[t, e], R, np.random.default_rng(s_ucb), truth=record,
                        record_values=False)
        b = np.array(bon)  # (rounds, N)
        tv = D[np.array(mod), (t * cls.m_E + e)[None, :]]
        ok_round = (b >= tv - 1e-12).all(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(tv > 0, tv / b, 0.0)
        wrong = tv > 0
        pair = run_pomdp(UMTPSR(cls, R, eps=eps, delta=delta), cls.P[t, e], R,
                         np.random.default_rng(s_pair), record_values=False)
        hits.append(int(ok_round.sum()))
        totals.append(ok_round.size)
        rows.append((float(ok_round.all()), float(ok_round.mean()), float(ratio.max()),
                     float(b[wrong].min()) if wrong.any() else np.nan, float(run.stopped),
                     float(run.gaps.mean()), float(run.gaps.max()), float(tv[-1].sum()),
                     float(b[-1].sum()), float(run.samples_per_task.mean()),
                     float(pair.samples_per_task.mean()), float(run.iterations)))
    a = np.array(rows)
    return dict(holds_all=a[:, 0].astype(bool), frac_rounds=a[:, 1], max_ratio=a[:, 2],
                min_bonus_wrong=a[:, 3], stopped=a[:, 4].astype(bool), avg_gap=a[:, 5],
                max_gap=a[:, 6], tv_stop=a[:, 7], bonus_stop=a[:, 8], samples=a[:, 9],
                samples_pairwise=a[:, 10], rounds=a[:, 11], round_hits=np.array(hits),
                round_totals=np.array(totals), alpha=alpha, N=N)


# ================================================================== entry


# ================================================================== judges
def judge_model_exact(data: dict, setting: dict) -> Measured:
    """Largest deviation between the three computations (and of the sums from 1)."""
    worst = float(max(data["errors"].max(), data["sum_errors"].max()))
    return Measured(worst, (worst, worst), {"max_deviation": worst},
                    {"n_models": len(data["errors"]), "tol": setting["tol"]})


def judge_planning_exact(data: dict, setting: dict) -> Measured:
    """Largest deviation of the planner's value (and its policy's) from brute force."""
    worst = float(data["deviations"].max())
    return Measured(worst, (worst, worst), {"max_deviation": worst},
                    {"n_instances": len(data["deviations"]), "tol": setting["tol"]})


def _key(d: float) -> str:
    return "ok_delta_" + f"{d:g}".replace(".", "p")


def judge_ville(data: dict, setting: dict) -> Measured:
    """Per delta: seeds whose truth never left the set (binomial against 1 - delta); the
    largest p-value of the power arm (beta/2 must fail); bite: the smallest
    (power-arm failure rate / delta): the radius is tight on this class."""
    from scipy import stats

    n = data["n"]
    st: dict = {}
    pw, tight = [], []
    for d, f, fp in zip(data["deltas"], data["failures"], data["power_failures"]):
        st[_key(float(d))] = (int(n - f), int(n))
        pw.append(float(stats.binom.sf(fp - 1, n, d)))
        tight.append(float(fp / n / d))
    st["p_power_max"] = max(pw)
    st["tightness"] = min(tight)
    ratio = data["failures"] / (n * data["deltas"])
    i = int(np.argmax(ratio))
    ci = clopper_pearson(int(data["failures"][i]), n)
    return Measured(float(ratio[i]), (ci.low / data["deltas"][i], ci.high / data["deltas"][i]),
                    st, {"deltas": data["deltas"], "failure_rate": data["failures"] / n,
                         "power_rate": data["power_failures"] / n, "p_power": pw,
                         "episodes": data["episodes"], "kl_per_episode": data["kl"]})


def _coverage(data: dict, setting: dict, arm: str) -> Measured:
    cov = np.concatenate([data[N][arm]["covered"] for N in data if isinstance(N, int)])
    samples = np.concatenate([data[N][arm]["samples"] for N in data if isinstance(N, int)])
    k, n = int(cov.sum()), cov.size
    v = binomial_at_least(k, n, 1 - setting["delta"], significance=0.05)
    return Measured(k / n, tuple(v.ci), {"covered": (k, n),
                                         "mean_samples": float(samples.mean())},
                    {"p0": 1 - setting["delta"]})


def judge_coverage_joint(data: dict, setting: dict) -> Measured:
    """C4: runs whose joint confidence set kept the truth at every iteration; bite: mean
    samples per task (the set was updated and tested many times)."""
    return _coverage(data, setting, "joint")


def judge_coverage_independent(data: dict, setting: dict) -> Measured:
    """C4 for the independent learners (each task's own set)."""
    return _coverage(data, setting, "independent")


def judge_benefit(data: dict, setting: dict) -> Measured:
    r"""C5: per-task sample ratio rho_N (multi-task / independent) with paired bootstrap CI,
    against the bracketing prediction rho*_N; bite: 1 - rho*_N at the largest N."""
    Ns = sorted(N for N in data if isinstance(N, int))
    rhos, cis, preds, cens = {}, {}, {}, {}
    mono, prev = -np.inf, None
    for N in Ns:
        j, s = data[N]["joint"], data[N]["independent"]
        r, ci = paired_ratio_ci(j["samples"], s["samples"], seed=N)
        pred = benefit_ratio(data[N]["log_joint"], data[N]["log_single"], N, setting["delta"])
        rhos[N], cis[N], preds[N] = r, ci, pred
        cens[N] = 1 - min(j["stopped"].mean(), s["stopped"].mean())
        if prev is not None:
            mono = max(mono, r - prev - setting["slack"])
        prev = r
    Nmax = Ns[-1]
    band = [rhos[N] / preds[N] for N in Ns]
    return Measured(rhos[Nmax], tuple(cis[Nmax]),
                    {"ci_high_max": max(cis[N].high for N in Ns if N >= 2),
                     "monotone_excess": float(mono if np.isfinite(mono) else -1.0),
                     "band_min": float(min(band)), "band_max": float(max(band)),
                     "censored_max": float(max(cens.values())),
                     "predicted_saving": float(1 - preds[Nmax])},
                    {"N": Ns, "rho": [rhos[N] for N in Ns],
                     "rho_ci": [tuple(cis[N]) for N in Ns], "rho_pred": [preds[N] for N in Ns],
                     "censored": [cens[N] for N in Ns]})


def judge_control(data: dict, setting: dict) -> Measured:
    """C6: rho on the task-specific-hard family, its CI's upper end, rho / rho*; bite:
    the saving the bound predicts (1 - rho*), which must not show up."""
    N = setting["N"]
    j, s = data[N]["joint"], data[N]["independent"]
    r, ci = paired_ratio_ci(j["samples"], s["samples"], seed=N)
    pred = benefit_ratio(data[N]["log_joint"], data[N]["log_single"], N, setting["delta"])
    return Measured(r, tuple(ci), {"ci_high": float(ci.high), "rho_over_pred": float(r / pred),
                                   "predicted_saving": float(1 - pred)},
                    {"rho_pred": pred, "samples_joint": float(j["samples"].mean()),
                     "samples_independent": float(s["samples"].mean())})


def judge_eps_optimal(data: dict, setting: dict) -> Measured:
    """C7: runs whose certificate <= N eps/2 and average true gap <= eps at the stop;
    bite: mean average gap of the output after one iteration over eps (the learner
    starts far from eps-optimal, so the certified stop has work to do)."""
    N, eps = setting["N"], setting["eps"]
    good = (data["tv_sum"] <= N * eps / 2 + 1e-12) & (data["avg_gap"] <= eps + 1e-12)
    k, n = int(good.sum()), good.size
    v = binomial_at_least(k, n, 1 - setting["delta"], significance=0.05)
    return Measured(k / n, tuple(v.ci),
                    {"good": (k, n), "initial_gap_over_eps": float(data["initial_gap"].mean()
                                                                   / eps)},
                    {"mean_avg_gap": float(data["avg_gap"].mean()),
                     "max_avg_gap": float(data["avg_gap"].max()),
                     "max_task_gap": float(data["max_gap"].max()),
                     "mean_tv_sum": float(data["tv_sum"].mean()),
                     "max_tv_sum": float(data["tv_sum"].max()),
                     "mean_samples": float(data["samples"].mean())})


def judge_beta_linear(data: dict, setting: dict) -> Measured:
    """C8: least-squares slope of samples on beta with a t interval, and R^2 of the means;
    bite: ratio of the mean samples at the largest and the smallest class."""
    from scipy import stats

    y = data["samples"]
    x = np.tile(data["beta"], y.shape[0])
    fit = stats.linregress(x, y.ravel())
    t = stats.t.ppf(0.975, x.size - 2)
    ci = (float(fit.slope - t * fit.stderr), float(fit.slope + t * fit.stderr))
    means = y.mean(axis=0)
    r2 = float(np.corrcoef(data["beta"], means)[0, 1] ** 2) if means.std() > 0 else 0.0
    return Measured(float(fit.slope), ci,
                    {"slope_ci": ci, "r2": r2, "samples_spread": float(means.max() / means.min())},
                    {"beta": data["beta"], "mean_samples": means})


def judge_downstream(data: dict, setting: dict) -> Measured:
    """C9: paired ratio restricted/scratch episodes; both arms eps-optimal (binomial);
    bite: 1 - mean restricted class size / full class size."""
    r, ci = paired_ratio_ci(data["restricted"], data["scratch"], seed=9)
    eps = setting["eps"]
    ka = int((data["gap_restricted"] <= eps + 1e-12).sum())
    kb = int((data["gap_scratch"] <= eps + 1e-12).sum())
    n = data["restricted"].size
    full = shared_transition_family(1, setting["H"])
    return Measured(r, tuple(ci), {"ratio_ci_high": float(ci.high), "gap_ok_restricted": (ka, n),
                                   "gap_ok_scratch": (kb, n),
                                   "class_reduction": float(1 - data["class_size"].mean()
                                                            / (full.m_T * full.m_E))},
                    {"mean_restricted": float(data["restricted"].mean()),
                     "mean_scratch": float(data["scratch"].mean()),
                     "t_in_class": float(data["t_in_class"].mean())})


def judge_ucb_tv_bound(data: dict, setting: dict) -> Measured:
    r"""C11: seeds where the UCB-on-TV bonus value is >= max_pi TV at every round, seeds
    eps-optimal at the stop (certificate <= N eps/2 and average gap <= eps), censored
    runs."""
    N, eps = setting["N"], setting["eps"]
    holds = data["holds_all"]
    good = (data["stopped"] & (data["tv_stop"] <= N * eps / 2 + 1e-12)
            & (data["avg_gap"] <= eps + 1e-12))
    n = holds.size
    v = binomial_at_least(int(holds.sum()), n, 1 - setting["delta"], significance=0.05)
    wrong = data["min_bonus_wrong"][np.isfinite(data["min_bonus_wrong"])]
    return Measured(float(holds.mean()), tuple(v.ci),
                    {"holds": (int(holds.sum()), n), "eps_ok": (int(good.sum()), n),
                     "censored": 1.0 - float(data["stopped"].mean())},
                    {"max_tv_over_bonus": float(data["max_ratio"].max()),
                     "min_bonus_when_model_wrong": float(wrong.min()) if wrong.size else None,
                     "pooled_round_fraction": float(data["round_hits"].sum()
                                                    / data["round_totals"].sum()),
                     "mean_avg_gap": float(data["avg_gap"].mean()), "alpha": data["alpha"],
                     "mean_samples_per_task": float(data["samples"].mean()),
                     "mean_samples_pairwise": float(data["samples_pairwise"].mean())})


# ================================================================== the checks as data
def _t(key: str, **extra) -> dict:
    return {"quick": dict(QUICK[key], **extra), "full": dict(SWEEP[key], **extra)}


_F = "family"
CHECKS = [
    Check("model_exact",
          "forward trajectory tensor = latent-path enumeration = PSR operator product; sums "
          "over observations are 1 [D]", "random POMDPs S, O <= 3, A <= 2, H <= 4",
          _t("model_exact"), measure_model_exact, judge_model_exact,
          AtMost("max_deviation", 1e-12), base_seed=None),
    Check("planning_exact",
          "max-sum value = value of its policy = max over all 1024 deterministic history "
          "policies [D]", "random POMDPs H=2, O=A=2", _t("planning_exact"),
          measure_planning_exact, judge_planning_exact, AtMost("max_deviation", 1e-12),
          base_seed=None),
    Check("ville_tight",
          "P(truth ever leaves the beta = log(1/delta) set) <= delta, and beta/2 fails "
          "(Ville's inequality; radius tight) [D]", "two-model class, H=3",
          _t("ville"), measure_ville, judge_ville,
          AllOf((Binomial("ok_delta_0p1", 0.9, _F), Binomial("ok_delta_0p2", 0.8, _F),
                 Binomial("ok_delta_0p4", 0.6, _F), PValueBelow("p_power_max", 0.01))),
          base_seed=0),
    Check("coverage_joint",
          "Theorem 1 [V/R]: the true joint model stays in UMT-PSR's confidence set "
          "(beta = log(|Theta_u|/delta)) at every iteration w.p. >= 1-delta",
          "shared-transition family, N in {1, 2, 4, 8(, 16)}", _t("upstream"),
          measure_upstream, judge_coverage_joint, Binomial("covered", 0.9, _F), base_seed=0),
    Check("coverage_independent",
          "each independent learner's set (beta = log(N|Theta_s|/delta)) keeps its task's "
          "model at every iteration w.p. >= 1-delta",
          "shared-transition family, N in {1, 2, 4, 8(, 16)}", _t("upstream"),
          measure_upstream, judge_coverage_independent, Binomial("covered", 0.9, _F),
          base_seed=0),
    Check("benefit_tracks_bracketing",
          "Theorem 1 vs single task [V qualitative / R / D]: per-task samples of UMT-PSR over "
          "independent learners rho_N < 1, decreasing in N, within [0.6, 1.6] rho*_N",
          "shared-transition family", _t("upstream"), measure_upstream, judge_benefit,
          AllOf((AtMost("ci_high_max", 0.999999), AtMost("monotone_excess", 0.0),
                 AtLeast("band_min", 0.6), AtMost("band_max", 1.6),
                 AtMost("censored_max", 0.05))), base_seed=0),
    Check("control_no_benefit",
          "when only task-specific parts are hard, sharing brings no saving (CI of rho "
          "reaches 1, rho far above the bound's rho*) [D]", "task-specific-hard family, N=4",
          _t("control", family="specific_hard"), measure_upstream, judge_control,
          AllOf((AtLeast("ci_high", 1.0), AtLeast("rho_over_pred", 1.6))), base_seed=0),
    Check("eps_optimal_average",
          "Theorem 1 goal [V], certificate [D]: at the certified stop the output policies are "
          "eps-optimal on average, with sum_n maxTV <= N eps/2, w.p. >= 1-delta",
          "gap family (T grid {0.1, 0.9}^4, near-duplicate emissions, delta_e = 0.1), N=4, "
          "H=3, eps = 0.003", _t("eps_optimal"), measure_eps_optimal,
          judge_eps_optimal, Binomial("good", 0.9, _F), base_seed=0),
    Check("samples_linear_in_beta",
          "samples to the certified stop grow linearly in beta = log(|Theta|/delta) "
          "(log-bracketing dependence of Theorem 1) [V/R/D]", "classes of 2..128 models",
          _t("beta_linear"), measure_beta_linear, judge_beta_linear,
          AllOf((CIWithin("slope_ci", low=1e-12), AtLeast("r2", 0.9))), base_seed=0),
    Check("downstream_benefit",
          "Theorem 2 [V/R]: downstream OMLE on the upstream-restricted class needs fewer "
          "episodes than from scratch, both eps-optimal w.p. >= 1-delta",
          "shared-transition family, N=4, new task", _t("downstream"), measure_downstream,
          judge_downstream,
          AllOf((AtMost("ratio_ci_high", 0.999999), Binomial("gap_ok_restricted", 0.9, _F),
                 Binomial("gap_ok_scratch", 0.9, _F))), base_seed=0),
    Check("ucb_tv_bound",
          "UCB-on-TV bonus >= max_pi TV(theta_hat_n, theta*_n) at every round w.p. >= 1-delta, "
          "and the certified stop is eps-optimal (an invariant: the bonus is at least 0.66 "
          "whenever the model is wrong)", "4 transitions x 2 emissions, N=2, H=2",
          _t("ucb_tv_bound"), measure_ucb_tv_bound, judge_ucb_tv_bound,
          AllOf((Binomial("holds", 0.9, 0.05), Binomial("eps_ok", 0.9, 0.05),
                 AtMost("censored", 0.05))), base_seed=0),
]
