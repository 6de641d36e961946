"""One run in the app: :class:`AppRun`, solving it, its trade-off curve, its status in plain words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from planner.app.state import P_MODELS
from planner.present.i18n import check_language, t
from planner.present.labels import quality_label
from planner.runs.config import ScenarioConfig

if TYPE_CHECKING:
    from planner.optimize import Solution
    from planner.optimize.timing import StopToken
    from planner.runs.results import PlanInputs, RunResult


# --------------------------------------------------------------------------------------
# running


@dataclass(frozen=True, eq=False)
class AppRun:
    """One solved run in the app.

    Attributes
    ----------
    key
        :func:`run_key` of the run (cache key of its maps and downloads).
    result
        The :class:`~planner.runs.pipeline.RunResult` (config, inputs, problem, solution, KPIs).
    curve
        The trade-off over ``p`` (``p``, ``status``, ``objective``, ``mean_minutes``,
        ``coverage_share``), when a sweep over ``p`` was asked for.
    timings
        Seconds per stage (``inputs``, ``solve``, ``sweep``).
    """

    key: str
    result: RunResult
    curve: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def config(self) -> ScenarioConfig:
        """The scenario of the run."""
        return self.result.config

    @property
    def solution(self) -> Solution:
        """The solver's answer."""
        return self.result.solution


def solve_run(
    inputs: PlanInputs,
    config: ScenarioConfig,
    *,
    key: str,
    progress: Callable[[str, str, float], None] | None = None,
    stop: StopToken | None = None,
) -> AppRun:
    """Solve a scenario on loaded inputs (re-blended to its demand weights) and measure the plan.

    Parameters
    ----------
    inputs
        Inputs from :func:`planner.runs.pipeline.load_inputs` with the same :func:`inputs_key`.
    config
        The scenario.
    key
        Its :func:`run_key`.
    progress
        ``progress(stage, message, share_done)`` at each stage (``solve``, ``kpis``).
    stop
        Stop token (the Stop button's event): the run raises
        :class:`~planner.errors.RunStoppedError` at its next check once it is set.
    """
    import time

    from planner.runs.pipeline import run_scenario
    from planner.runs.reblend import inputs_for

    t0 = time.perf_counter()
    result = run_scenario(config, inputs=inputs_for(inputs, config), progress=progress, stop=stop)
    return AppRun(key=key, result=result, timings={"solve": time.perf_counter() - t0})


def sweep_curve(
    run: AppRun,
    sweep_p: tuple[int, int],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame | None:
    """The trade-off over ``p`` in ``sweep_p``: :func:`planner.runs.outputs.tradeoff`, the output files' curve.

    Parameters
    ----------
    run
        The run (its plan is the curve's point at its own ``p``).
    sweep_p
        ``(low, high)``, clipped to the kept centres and the number of sites.
    progress
        ``progress(done, total)``: after each point, or (for a plain p-median, solved as
        one warm-started curve) once before and once after.

    Returns
    -------
    pandas.DataFrame or None
        ``p``, ``status``, ``objective``, ``mean_minutes`` (population-weighted),
        ``coverage_share`` (within the first service standard), ``improvement`` (the
        columns :func:`planner.present.charts.tradeoff_spec` draws); None for models
        without ``p`` or without a plan.
    """
    from planner.runs.outputs import tradeoff

    result = run.result
    if result.config.model.name not in P_MODELS or not result.solution.has_plan:
        return None
    return tradeoff(result, p_range=(int(sweep_p[0]), int(sweep_p[1])), progress=progress)


# --------------------------------------------------------------------------------------
# the solver's status in plain words


def quality_text(solution: Solution, lang: str) -> str:
    """How good the plan is, in plain words: "proven optimal", "within 0.40 % of optimal (certified)"."""
    check_language(lang)
    return quality_label(solution.status.value, solution.gap, lang)


def method_text(method: str, lang: str) -> str:
    """How a plan was found (``Solution.method``, e.g. ``"lagrangian+branch_and_bound"``) in
    ``lang``; parts without a label stay as they are."""
    from planner.present.i18n import LABELS

    check_language(lang)
    parts = [
        t(f"method_part_{key}", lang) if f"method_part_{key}" in LABELS else part
        for part in method.split("+")
        for key in [part.strip().replace("-", "_")]
    ]
    return " + ".join(parts)


def infeasible_text(run: AppRun, lang: str) -> str:
    """Why there is no plan, in plain words and ``lang`` (the optimiser's diagnosis, with
    the demand points' ids), and the remedies that apply to its causes (:func:`remedies`)."""
    check_language(lang)
    solution = run.solution
    why = run.result.why_no_plan(lang)
    if solution.status.value == "infeasible":
        lead = t("app_infeasible_lead", lang)
    else:
        lead = t("app_no_solution_lead", lang)
    text = f"{lead} {why}" if why else lead
    tips = remedies(run)
    if not tips:
        return text
    sep = "；" if lang == "zh" else "; "
    end = "。" if lang == "zh" else "."
    return f"{text} {t('app_try', lang)}{sep.join(t(f'app_fix_{k}', lang) for k in tips)}{end}"


def remedies(run: AppRun) -> list[str]:
    """The remedies (keys of ``app_fix_<key>`` labels) that apply to why a run has no plan.

    Only what can change the cause is named: more centres only for models with ``p``, a
    longer time limit only when the solver stopped without proving anything, letting
    today's centres close only when they are kept and some may not close.
    """
    from planner.optimize.diagnose import findings_of

    sol = run.solution
    if sol.has_plan:
        return []
    cfg = run.config
    model = cfg.model.name
    has_p = model in P_MODELS
    proven = sol.status.value == "infeasible"
    codes = [str(f.get("code")) for f in findings_of(sol.details)]
    out: list[str] = []

    def add(*keys: str) -> None:
        out.extend(k for k in keys if k not in out)

    for code in codes:
        if code == "no_candidate":
            add("more_sites", "longer_cutoff" if cfg.travel.method == "network" else "")
        elif code == "outside_radius":
            add("wider_radius" if model in ("mclp", "lscp") else "longer_cutoff", "more_sites")
        elif code == "hotspots_out_of_reach":
            add("looser_response", "no_enforce" if cfg.model.enforce_hotspot_response else "")
            add("more_sites")
        elif code == "standard_unreachable":  # the percentile standard, not the response one
            add("looser_percentile", "more_sites")
        elif code == "standard_needs_sites":  # every site could, p of them cannot
            add("more_p" if has_p else "", "looser_percentile")
        elif code in ("capacity_short", "oversized_demand", "capacity_packing"):
            add("more_capacity", "more_p" if has_p and code != "oversized_demand" else "")
        elif code in ("budget_short", "budget_below_cheapest"):
            add("more_budget")
        elif code in ("too_few_sites", "limits_unsettled"):
            add("more_p" if has_p else "", "more_sites")
            if model in ("mclp", "lscp"):
                add("wider_radius")
        elif code in ("cutoff", "stopped"):
            add("longer_time")
    if not proven:
        add("longer_time")
    ex = cfg.data.existing
    if proven and ex is not None and ex.policy == "keep" and not codes:
        add("let_close")
    return [k for k in out if k]
