"""KPIs on tiny hand-computed cases (every number below is worked out by hand)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.sparse as sp

from planner.errors import InputError
from planner.evaluate.kpi_types import ServiceStandards, weighted_quantile
from planner.evaluate.kpis import (
    baseline_kpis,
    compare_kpis,
    marginal_values,
    plan_kpis,
)
from planner.evaluate.tradeoff import stops_paying_p, tradeoff_curve
from planner.optimize.solution import Solution
from planner.present.labels import kpi_label

# 4 demand points x 3 sites, travel minutes. Distance is minutes x 400 m.
MINUTES = np.array(
    [
        [5.0, 20.0, 30.0],
        [10.0, 8.0, 40.0],
        [25.0, 12.0, 6.0],
        [50.0, 35.0, 14.0],
    ]
)
POP = np.array([100.0, 200.0, 300.0, 400.0])
POP65 = np.array([50.0, 20.0, 30.0, 0.0])
FAULTS = np.array([0.0, 4.0, 1.0, 5.0])
HOT = np.array([False, True, False, True])
ZONE = np.array(["urban", "urban", "rural", "remote"])
STANDARDS = ServiceStandards(
    service_minutes=(6.0, 10.0),
    service_distance_m=(3000.0,),
    zone_service_minutes={"urban": 8.0, "rural": 30.0, "remote": 12.0},
    response_minutes={"urban": 9.0, "rural": 30.0, "remote": 20.0},
)


def _solution(open_sites: list[int], assignment: list[int], status: str = "optimal") -> Solution:
    return Solution(
        open_sites=np.array(open_sites),
        assignment=np.array(assignment),
        objective=1.0,
        bound=1.0,
        gap=0.0,
        status=status,
        runtime_s=0.0,
        model="p_median",
        method="exact",
        solver="highs",
    )


def _kpis(plan: object = (0, 2), **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "minutes": MINUTES,
        "distance_m": MINUTES * 400.0,
        "population": POP,
        "pop_65plus": POP65,
        "fault_intensity": FAULTS,
        "is_hotspot": HOT,
        "zone": ZONE,
        "capacity": [500.0, 100.0, 800.0],
        "standards": STANDARDS,
        "site_labels": ["A", "B", "C"],
        "demand_ids": ["d0", "d1", "d2", "d3"],
    }
    args.update(kw)
    return plan_kpis(plan, **args)  # type: ignore[arg-type]


# --- weighted quantile ---------------------------------------------------------------


def test_weighted_quantile_uses_the_inverse_weighted_cdf() -> None:
    assert weighted_quantile([2.0, 4.0], [1.0, 1.0], 0.5) == 2.0
    assert weighted_quantile([2.0, 4.0], [1.0, 1.0], 0.51) == 4.0
    assert weighted_quantile([4.0, 2.0, 9.0], [1.0, 3.0, 0.0], 0.9) == 4.0  # zero weight ignored
    assert weighted_quantile([7.0], [2.0], 0.0) == 7.0
    assert math.isnan(weighted_quantile([1.0], [0.0], 0.5))


# --- travel statistics and coverage --------------------------------------------------


def test_travel_statistics_of_nearest_assignment() -> None:
    k = _kpis()
    # nearest open of {0, 2}: d0->0 (5), d1->0 (10), d2->2 (6), d3->2 (14)
    assert k.assignment.tolist() == [0, 0, 2, 2]
    assert k.travel_minutes.tolist() == [5.0, 10.0, 6.0, 14.0]
    assert k.minutes.mean == pytest.approx(9.9)  # (500 + 2000 + 1800 + 5600) / 1000
    assert k.minutes.median == 10.0  # cumulative 100, 400, 600 >= 500
    assert k.minutes.p90 == 14.0
    assert k.minutes.max == 14.0
    assert k.distance_m.mean == pytest.approx(3960.0)
    assert k.distance_m.median == 4000.0
    assert k.distance_m.max == 5600.0
    assert k.total_person_minutes == pytest.approx(9900.0)
    assert k.population_unserved == 0.0
    assert k.n_centres == 2


def test_shares_within_standards_count_equality_as_within() -> None:
    cov = _kpis().coverage.set_index(["kind", "threshold"])
    # within 6 min: d0 (5) and d2 (exactly 6) -> 400 of 1000; 65+: 80 of 100
    assert cov.loc[("minutes", 6.0), "share_population"] == pytest.approx(0.4)
    assert cov.loc[("minutes", 6.0), "share_65plus"] == pytest.approx(0.8)
    assert cov.loc[("minutes", 10.0), "share_population"] == pytest.approx(0.6)
    assert cov.loc[("minutes", 10.0), "share_65plus"] == pytest.approx(1.0)
    # within 3000 m: d0 (2000) and d2 (2400) -> 0.4
    assert cov.loc[("distance_m", 3000.0), "share_population"] == pytest.approx(0.4)


def test_zone_standards() -> None:
    k = _kpis()
    zone_row = k.coverage[k.coverage["kind"] == "zone"].iloc[0]
    # urban 8: d0 yes, d1 (10) no; rural 30: d2 yes; remote 12: d3 (14) no
    assert zone_row["share_population"] == pytest.approx(0.4)
    assert zone_row["share_65plus"] == pytest.approx(0.8)
    zones = k.zones.set_index("zone")
    assert zones.loc["urban", "share_within_service"] == pytest.approx(100.0 / 300.0)
    assert zones.loc["remote", "share_within_service"] == 0.0
    assert zones.loc["remote", "response_minutes"] == 20.0


def test_fault_response_shares_and_worst_hotspots() -> None:
    k = _kpis()
    # response: d1 urban 10 > 9 (out), d2 rural 6 <= 30, d3 remote 14 <= 20
    assert k.faults_within_response_share == pytest.approx(0.6)  # (1 + 5) / 10
    assert k.n_hotspots == 2
    assert k.n_hotspots_within_response == 1
    assert k.hotspots_within_response_share == pytest.approx(0.5)
    assert k.worst_hotspots["demand_id"].tolist() == ["d1", "d3"]
    assert k.worst_hotspots["excess_minutes"].tolist() == [1.0, -6.0]
    assert k.worst_hotspots["site_label"].tolist() == ["A", "C"]


def test_hotspots_default_to_points_with_faults() -> None:
    k = _kpis(is_hotspot=None)
    assert k.n_hotspots == 3  # d1, d2, d3 have faults
    assert k.n_hotspots_within_response == 2
    assert any("hotspot" in note for note in k.notes)


def test_per_centre_loads_capacity_and_marginal_values() -> None:
    per = _kpis().per_centre
    assert per.index.tolist() == [0, 2]
    assert per.loc[0, "label"] == "A"
    assert per.loc[0, "population"] == 300.0
    assert per.loc[2, "population"] == 700.0
    assert per.loc[0, "pop_65plus"] == 70.0
    assert per.loc[2, "fault_load"] == 6.0
    assert per.loc[2, "n_demand"] == 2
    assert per.loc[0, "mean_minutes"] == pytest.approx(2500.0 / 300.0)
    assert per.loc[0, "capacity_used_share"] == pytest.approx(300.0 / 500.0)
    assert per.loc[2, "capacity_used_share"] == pytest.approx(700.0 / 800.0)
    # closing A: d0 5->30 (x100), d1 10->40 (x200) = 2500 + 6000
    assert per.loc[0, "marginal_person_minutes"] == pytest.approx(8500.0)
    # closing C: d2 6->25 (x300), d3 14->50 (x400) = 5700 + 14400
    assert per.loc[2, "marginal_person_minutes"] == pytest.approx(20100.0)
    assert per.loc[2, "marginal_mean_minutes"] == pytest.approx(20.1)


def test_demand_weight_drives_capacity_use() -> None:
    per = _kpis(demand_weight=[1.0, 1.0, 1.0, 1.0]).per_centre
    assert per.loc[0, "capacity_used_share"] == pytest.approx(2.0 / 500.0)


def test_worst_served_lists_longest_travel_first() -> None:
    worst = _kpis().worst_served
    assert worst["demand_id"].tolist() == ["d3", "d1", "d2", "d0"]
    assert worst["travel_minutes"].tolist() == [14.0, 10.0, 6.0, 5.0]
    assert worst["site_label"].tolist() == ["C", "A", "C", "A"]
    short = _kpis(standards=ServiceStandards(n_worst=2)).worst_served
    assert len(short) == 2


def test_default_zone_is_noted() -> None:
    k = _kpis(zone=None, standards=ServiceStandards())
    assert any("urban" in note for note in k.notes)
    assert k.zones["zone"].tolist() == ["urban"]


# --- assignment from a solution -------------------------------------------------------


def test_solution_assignment_is_used_for_capacitated_plans() -> None:
    # d1 forced to site 2 (40 min) by capacity
    k = _kpis(_solution([0, 2], [0, 2, 2, 2]))
    assert k.travel_minutes.tolist() == [5.0, 40.0, 6.0, 14.0]
    assert k.minutes.mean == pytest.approx(15.9)
    assert k.per_centre.loc[2, "population"] == 900.0


def test_unassigned_points_of_a_solution_go_to_their_nearest_open_site() -> None:
    k = _kpis(_solution([0, 2], [0, -1, 2, -1]))
    assert k.assignment.tolist() == [0, 0, 2, 2]


def test_assignment_to_a_closed_site_is_rejected() -> None:
    with pytest.raises(InputError, match="site 1, which is not open"):
        _kpis(_solution([0, 2], [0, 1, 2, 2]))


def test_solution_without_plan_is_rejected() -> None:
    with pytest.raises(InputError, match="no plan"):
        _kpis(_solution([], [-1, -1, -1, -1], status="infeasible"))


# --- sparse matrices and unreachable points ---------------------------------------------


def _sparse_minutes() -> sp.csr_array:
    # d0 -> s0 is an explicit zero (a real zero cost); d3 reaches only s1.
    rows = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    cols = [0, 1, 2, 0, 1, 2, 0, 1, 2, 1]
    data = [0.0, 20.0, 30.0, 10.0, 8.0, 40.0, 25.0, 12.0, 6.0, 35.0]
    return sp.csr_array((data, (rows, cols)), shape=(4, 3))


def test_sparse_absent_pairs_are_unserved_and_explicit_zeros_are_real() -> None:
    t = _sparse_minutes()
    k = plan_kpis(
        [0, 2], minutes=t, distance_m=t * 400.0, population=POP, standards=ServiceStandards()
    )
    assert k.assignment.tolist() == [0, 0, 2, -1]
    assert k.travel_minutes[0] == 0.0
    assert math.isinf(k.travel_minutes[3])
    assert k.population_unserved == 400.0
    assert k.unserved_share == pytest.approx(0.4)
    assert k.minutes.mean == pytest.approx(3800.0 / 600.0)  # served people only
    cov = k.coverage.set_index("threshold")
    assert cov.loc[15.0, "share_population"] == pytest.approx(0.6)  # unserved never within
    worst = k.worst_served
    assert worst["demand"].iloc[0] == 3
    assert worst["site"].iloc[0] == -1
    json.dumps(k.to_dict(), allow_nan=False)


def test_dense_inf_means_unreachable() -> None:
    t = MINUTES.copy()
    t[3, 2] = np.inf
    t[3, 0] = np.inf
    k = plan_kpis([0, 2], minutes=t, distance_m=t * 400.0, population=POP)
    assert k.assignment.tolist() == [0, 0, 2, -1]


def test_mismatched_sparsity_of_distance_and_minutes_is_rejected() -> None:
    t = _sparse_minutes()
    d = sp.csr_array(MINUTES * 400.0)
    d[2, 2] = 0.0
    d.eliminate_zeros()
    with pytest.raises(InputError, match="disagree"):
        plan_kpis([0, 2], minutes=t, distance_m=d, population=POP)


# --- marginal values -------------------------------------------------------------------


def test_marginal_values_dense_sparse_and_single_site() -> None:
    assert marginal_values(MINUTES, POP, [2, 0]).tolist() == [8500.0, 20100.0]
    # sparse: d3 cannot be reached by the open sites, so it adds nothing; d0's cost is 0
    assert marginal_values(_sparse_minutes(), POP, [0, 2]).tolist() == [9000.0, 5700.0]
    assert marginal_values(MINUTES, POP, [1]).tolist() == [math.inf]
    # closing site 2 leaves d3 (only site 2 reachable) without service -> inf
    t = MINUTES.copy()
    t[3, 0] = np.inf
    assert marginal_values(t, POP, [0, 2]).tolist() == [8500.0, math.inf]


def test_marginal_value_of_tied_sites_is_zero() -> None:
    cost = np.array([[3.0, 3.0], [1.0, 5.0]])
    assert marginal_values(cost, [10.0, 1.0], [0, 1]).tolist() == [4.0, 0.0]


# --- baseline and comparison -------------------------------------------------------------


def test_baseline_and_comparison() -> None:
    plan = _kpis()
    base = baseline_kpis(
        [1],
        minutes=MINUTES,
        distance_m=MINUTES * 400.0,
        population=POP,
        pop_65plus=POP65,
        fault_intensity=FAULTS,
        is_hotspot=HOT,
        zone=ZONE,
        standards=STANDARDS,
    )
    # everybody to site 1: 20, 8, 12, 35 -> (2000 + 1600 + 3600 + 14000) / 1000
    assert base.minutes.mean == pytest.approx(21.2)
    cmp = compare_kpis(plan, base)
    assert cmp.loc["mean_minutes", "plan"] == pytest.approx(9.9)
    assert cmp.loc["mean_minutes", "baseline"] == pytest.approx(21.2)
    assert cmp.loc["mean_minutes", "change"] == pytest.approx(-11.3)
    assert cmp.loc["n_centres", "change"] == 1.0
    assert cmp.loc["mean_km", "plan"] == pytest.approx(3.96)
    # within 10 min today: d1 (8) only -> 0.2
    assert cmp.loc["within_10min_share", "baseline"] == pytest.approx(0.2)
    assert bool(cmp.loc["within_10min_share", "higher_is_better"])
    assert not bool(cmp.loc["mean_minutes", "higher_is_better"])
    for key in cmp.index:
        assert kpi_label(key, "en")
        assert kpi_label(key, "zh")


def test_baseline_needs_existing_centres() -> None:
    with pytest.raises(InputError, match="no existing centres"):
        baseline_kpis(np.zeros(3, dtype=bool), minutes=MINUTES, distance_m=MINUTES, population=POP)


def test_comparison_of_different_demand_is_rejected() -> None:
    other = plan_kpis([1], minutes=MINUTES, distance_m=MINUTES, population=POP * 2)
    with pytest.raises(InputError, match="different demand"):
        compare_kpis(_kpis(), other)


def test_kpi_labels() -> None:
    assert kpi_label("within_15min_share", "en") == "Population within 15 min"
    assert kpi_label("within_15min_share_65plus", "zh") == "15分钟内可达65岁以上人口比例"
    assert kpi_label("within_3000m_share", "en") == "Population within 3 km"
    with pytest.raises(KeyError):
        kpi_label("no_such_kpi", "en")


# --- trade-off curve -----------------------------------------------------------------------


def test_tradeoff_curve_from_solutions_and_from_a_callable() -> None:
    plans = {1: [1], 2: [0, 2], 3: [0, 1, 2]}
    sols = [_solution(plans[p], [-1] * 4) for p in (3, 1, 2)]
    curve = tradeoff_curve(sols, minutes=MINUTES, population=POP, standard_minutes=15.0)
    assert curve["p"].tolist() == [1, 2, 3]
    assert curve["mean_minutes"].tolist() == pytest.approx([21.2, 9.9, 9.5])
    assert curve["coverage_share"].tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert math.isnan(curve["improvement"].iloc[0])
    assert curve["improvement"].iloc[1:].tolist() == pytest.approx([11.3, 0.4])
    assert curve["improvement_share"].iloc[2] == pytest.approx(0.4 / 21.2)
    assert stops_paying_p(curve, min_improvement_share=0.05) == 2
    assert stops_paying_p(curve, min_improvement_share=0.01) is None

    called: list[int] = []

    def solve_for_p(p: int) -> Solution:
        called.append(p)
        return _solution(plans[p], [-1] * 4)

    again = tradeoff_curve(solve_for_p, minutes=MINUTES, population=POP, p_values=range(1, 4))
    assert called == [1, 2, 3]
    assert again["mean_minutes"].tolist() == pytest.approx([21.2, 9.9, 9.5])


def test_tradeoff_callable_needs_p_values() -> None:
    with pytest.raises(InputError, match="p_values"):
        tradeoff_curve(lambda p: _solution([0], [-1] * 4), minutes=MINUTES, population=POP)


# --- JSON and validation ---------------------------------------------------------------------


def test_to_dict_is_json_with_no_nan() -> None:
    k = _kpis()
    d = json.loads(json.dumps(k.to_dict(), allow_nan=False))
    assert d["minutes"]["mean"] == pytest.approx(9.9)
    assert d["per_centre"][0]["site"] == 0
    assert d["summary"]["within_6min_share"] == pytest.approx(0.4)
    assert d["hotspots_within_response_share"] == pytest.approx(0.5)
    assert d["standards"]["response_minutes"]["urban"] == 9.0
    # without 65+ data the 65+ shares are absent (None), not zero
    d2 = plan_kpis([0], minutes=MINUTES, distance_m=MINUTES, population=POP).to_dict()
    assert d2["summary"]["within_15min_share_65plus"] is None
    assert d2["faults_within_response_share"] is None


def test_kpis_are_immutable() -> None:
    k = _kpis()
    with pytest.raises(ValueError, match="read-only"):
        k.travel_minutes[0] = 1.0
    with pytest.raises(AttributeError):
        k.n_hotspots = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"population": [1.0, 2.0]}, "one value per demand point"),
        ({"population": [1.0, -2.0, 3.0, 4.0]}, ">= 0"),
        ({"zone": ["urban", "urban", "city", "remote"]}, "city"),
        ({"minutes": np.full((4, 3), np.nan)}, "NaN"),
        ({"distance_m": np.ones((4, 2))}, "same shape"),
        ({"site_labels": ["A"]}, "one label per site"),
        ({"capacity": [1.0]}, "capacity"),
    ],
)
def test_bad_input_is_named(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        _kpis(**kwargs)


@pytest.mark.parametrize("plan", [[], [5], [0.5]])
def test_bad_open_sites(plan: list[float]) -> None:
    with pytest.raises(InputError, match="open_sites"):
        _kpis(plan)


def test_bad_standards() -> None:
    with pytest.raises(InputError, match="service_minutes"):
        ServiceStandards(service_minutes=(0.0,))
    with pytest.raises(InputError, match="response_minutes"):
        ServiceStandards(response_minutes={"urban": -1.0})
    with pytest.raises(InputError, match="default_zone"):
        ServiceStandards(default_zone="suburb")
