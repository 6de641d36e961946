"""The workbench a planner presents from (issue 20): plain-function checks of ``planner.app``
and AppTest walks of the page (the tiny synthetic demo of ``scenario_fixtures``)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from scenario_fixtures import plain_table, write_tiny_scenario
from streamlit.testing.v1 import AppTest

from planner.app import state as app_state
from planner.present import charts

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scenario = write_tiny_scenario(tmp_path / "demo")
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(scenario))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "library"))
    monkeypatch.delenv("PLANNER_MAX_UPLOAD_MB", raising=False)
    return tmp_path


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def go(at: AppTest, step: str) -> AppTest:
    at.radio(key="step").set_value(step).run()
    ok(at)
    return at


def run(at: AppTest) -> AppTest:
    at.button(key="run_button").click().run()
    ok(at)
    return at


def sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


# --------------------------------------------------------------------------------------
# plain functions


@pytest.mark.parametrize(
    "method",
    ["exact", "heuristic", "lagrangian+milp", "lagrangian+branch_and_bound",
     "lagrangian+branch-and-bound", "lagrangian_curve", "set_cover_reduction+binary_search"],
)  # fmt: skip
def test_every_solution_method_is_said_in_chinese(method: str) -> None:
    """The status line's method in the page's words ('拉格朗日下界 + milp' showed the code)."""
    from planner.app.run import method_text

    zh = method_text(method, "zh")
    assert not any(c.isascii() and c.isalpha() for c in zh), zh
    assert "_" not in method_text(method, "en")


def test_a_second_click_on_a_site_brings_it_back() -> None:
    once = app_state.toggled(["A"], "B")
    assert once == ["A", "B"]
    assert app_state.toggled(once, "B") == ["A"]
    assert app_state.toggled(app_state.toggled([], "C"), "C") == []


def test_tradeoff_spec_marks_the_plan_and_leaves_out_points_without_one() -> None:
    curve = pd.DataFrame(
        {
            "p": [2, 3, 4, 5],
            "status": ["optimal", "optimal", "infeasible", "optimal"],
            "mean_minutes": [20.0, 15.5, float("nan"), 10.25],
            "coverage_share": [0.5, 0.75, float("nan"), 0.9],
        }
    )
    spec = charts.tradeoff_spec(curve, chosen_p=3, standard_minutes=15.0, lang="en")
    rows = spec["data"]["values"]
    assert [r["p"] for r in rows] == [2, 3, 5]
    assert [r["share"] for r in rows] == [50.0, 75.0, 90.0]  # percent, not a fraction
    assert [r["value"] for r in rows] == [20.0, 15.5, 10.25]
    assert [r["p"] for r in rows if r["chosen"]] == [3]
    titles = [panel["layer"][0]["encoding"]["y"]["title"] for panel in spec["vconcat"]]
    assert titles == ["Mean travel (min)", "Population within 15 min (%)"]
    zh = charts.tradeoff_spec(curve, chosen_p=3, standard_minutes=15.0, lang="zh")
    assert "分钟" in zh["vconcat"][1]["layer"][0]["encoding"]["y"]["title"]


def test_tradeoff_axis_says_a_flat_100_percent_as_100() -> None:
    """Everyone within the standard at every p: the share axis reads '100', not the raw
    '100.000000' Vega writes for a flat line; the report's fixed-width chart keeps its size."""
    curve = [(p, 10.0 - 0.3 * p, 1.0) for p in range(6, 17)]
    svg = charts.chart_svg(
        charts.tradeoff_spec(curve, chosen_p=6, standard_minutes=15.0, lang="en", width=300)
    )
    assert "100.000000" not in svg
    assert ">100<" in svg
    app = charts.tradeoff_spec(curve, chosen_p=6, standard_minutes=15.0, lang="en")
    assert app["autosize"] == {"type": "fit-x", "contains": "padding"}  # fits the page's column
    assert "autosize" not in charts.tradeoff_spec(
        curve, chosen_p=6, standard_minutes=15.0, lang="en", width=300
    )


# --------------------------------------------------------------------------------------
# the page


def test_sidebar_status_is_about_the_run_just_made(env: Path) -> None:
    at = go(new_app(), "model")
    at.checkbox(key="enforce_hotspots").check().run()
    for zone in ("urban", "rural", "remote"):
        at.number_input(key=f"response_{zone}").set_value(1.0).run()
    run(at)
    assert "no feasible plan" in sidebar_text(at)
    go(at, "model")
    at.checkbox(key="enforce_hotspots").uncheck().run()
    assert "Settings changed" in sidebar_text(at)
    run(at)
    text = sidebar_text(at)
    assert "proven optimal" in text, text
    assert "no feasible plan" not in text
    assert "Settings changed" not in text


def test_model_fields_are_checked_beside_them_before_run(env: Path) -> None:
    at = go(new_app(), "model")
    notes = " ".join(c.value for c in at.caption)
    assert "p counts every centre of the plan, the 2 of today's centres that are kept" in notes
    at.number_input(key="p").set_value(1).run()
    ok(at)
    (box,) = [e.value for e in at.main.error]
    assert "p = 1 is fewer than the 2 of today's centres that must stay open" in box
    assert "model.p" not in box  # the planner's words, not the scenario file's
    assert at.sidebar.button(key="run_button").disabled
    at.number_input(key="p").set_value(99).run()
    assert any("more than the 14 sites" in e.value for e in at.main.error)
    at.number_input(key="p").set_value(4).run()
    assert not at.main.error
    assert not at.sidebar.button(key="run_button").disabled
    # capacity: in demand-weight units, beside the total demand it must carry
    at.selectbox(key="model_name").set_value("capacitated_p_median").run()
    at.number_input(key="capacity").set_value(1.0).run()
    assert any("Total demand" in c.value for c in at.caption)
    (short,) = [e.value for e in at.main.error if "less than the total demand" in e.value]
    # by how much capacity falls short, said as a number (total demand - 4 x 1)
    room, total = re.search(r"= ([\d,]+), less than the total demand ([\d,]+)", short).groups()
    gap = int(total.replace(",", "")) - int(room.replace(",", ""))
    assert f"short by {gap:,}" in short
    # facility location: the cost and budget say their unit
    at.selectbox(key="model_name").set_value("facility_location").run()
    labels = {n.key: n.label for n in at.number_input}
    assert "demand weight × min" in labels["opening_cost"]
    assert "demand weight × min" in labels["budget"]


def test_headline_names_closures_and_p_center_its_longest_trip(env: Path) -> None:
    at = go(new_app(), "sites")
    at.radio(key="existing_policy").set_value("may_close").run()
    go(at, "model")
    at.selectbox(key="model_name").set_value("p_center").run()
    at.number_input(key="p").set_value(2).run()
    run(at)
    labels = [m.label for m in at.metric]
    assert "Longest travel (min)" in labels, labels
    line = [c.value for c in at.caption if "new," in c.value]
    assert line, [c.value for c in at.caption]
    assert "closed (of today's 2)" in line[0]


def test_saved_and_compared_runs_are_formatted(env: Path) -> None:
    at = run(new_app())
    go(at, "scenarios")
    at.text_input(key="save_name").input("a").run()
    at.button(key="save_button").click().run()
    go(at, "model")
    at.number_input(key="p").set_value(6).run()
    run(at)
    go(at, "scenarios")
    at.text_input(key="save_name").input("b").run()
    at.button(key="save_button").click().run()
    listed = plain_table(at.table[0])
    text = listed.to_string()
    assert "None" not in text
    assert "p_median" not in text
    assert "p-median (least total travel)" in text
    assert listed.iloc[0, 1].count(":") == 1  # 2026-12-04 20:31, no seconds or offset
    assert all(str(v).endswith("%") for v in listed.iloc[:, -1])
    at.multiselect(key="compare_names").set_value(["a", "b"]).run()
    kpis = plain_table(at.table[-2])
    assert "b vs a" in kpis.columns
    centres = kpis.loc[kpis.index.str.contains("centres")].iloc[0]
    assert centres["b vs a"] == "+2"
    objective = kpis.loc[kpis.index.str.contains("Objective")].iloc[0]
    assert objective["b vs a"] not in ("–", "not comparable")  # same model: a difference
    # another model's objective is another quantity: no difference is shown
    go(at, "model")
    at.selectbox(key="model_name").set_value("p_center").run()
    run(at)
    go(at, "scenarios")
    at.text_input(key="save_name").input("c").run()
    at.button(key="save_button").click().run()
    at.multiselect(key="compare_names").set_value(["a", "c"]).run()
    kpis = plain_table(at.table[-2])
    objective = kpis.loc[kpis.index.str.contains("Objective")].iloc[0]
    assert objective["c vs a"] == "other model: not comparable"
    centres = kpis.loc[kpis.index.str.contains("centres")].iloc[0]
    assert centres["c vs a"] != "other model: not comparable"


UPLOADS = Path(__file__).resolve().parent / "data" / "uploads"


def upload(at: AppTest, slot: str, name: str) -> AppTest:
    n = (
        at.session_state.get(f"{slot}_uploader_n", 0)
        if f"{slot}_uploader_n" in at.session_state
        else 0
    )
    content = (UPLOADS / name).read_bytes()
    at.file_uploader(key=f"up_{slot}_{n}").set_value((name, content, "application/octet-stream"))
    at.run()
    ok(at)
    return at


@pytest.mark.slow  # over 10 s on a loaded 2-core machine
def test_a_run_saved_from_uploads_reopens_its_own_layers(env: Path) -> None:
    import gc

    at = new_app()
    at.radio(key="data_source").set_value("upload").run()
    upload(at, "population", "population_cells.geojson")
    upload(at, "candidates", "candidates_gcj02.csv")
    at.selectbox(key="candidates_crs").set_value("gcj02").run()
    at.selectbox(key="candidates_id_col").set_value("编号").run()
    go(at, "model")
    at.number_input(key="p").set_value(3).run()
    run(at)
    first = at.session_state["run"]
    assert first.solution.has_plan
    go(at, "scenarios")
    at.text_input(key="save_name").input("own layers").run()
    at.button(key="save_button").click().run()
    ok(at)
    session = Path(at.session_state["session_folder"].path)
    kept = list((env / "library" / "layers").rglob("*.*"))
    assert {p.name for p in kept} == {"population.geojson", "candidates.csv"}
    del at
    gc.collect()  # the session is gone, and its private upload folder with it
    assert not session.exists()

    at = go(new_app(), "scenarios")  # a restart on the demo data
    at.selectbox(key="open_name").set_value("own layers").run()
    at.button(key="apply_button").click().run()
    ok(at)
    assert at.session_state["data_source"] == "upload"
    assert Path(at.session_state["upload_population"]["path"]).parent.parent == (
        env / "library" / "layers"
    )
    run(at)
    again = at.session_state["run"]
    assert again.solution.has_plan
    assert list(again.result.chosen_sites["site_id"]) == list(first.result.chosen_sites["site_id"])
    assert again.solution.objective == pytest.approx(first.solution.objective)


def test_a_run_whose_layers_are_gone_is_not_applied(env: Path) -> None:
    from planner.runs.library import ScenarioLibrary

    lib = ScenarioLibrary(env / "library")
    toml = (env / "demo" / "tiny.toml").read_text(encoding="utf-8")
    gone = toml.replace('path = "', f'path = "{env}/vanished/')
    lib.save("old", scenario_toml=gone, lock_toml="", kpis={}, open_site_ids=[])
    at = go(new_app(), "scenarios")
    at.selectbox(key="open_name").set_value("old").run()
    before = at.session_state["p"]
    at.button(key="apply_button").click().run()
    ok(at)
    (box,) = [e.value for e in at.error]
    assert "no longer on disk" in box
    assert "not applied" in box
    assert at.session_state["data_source"] == "demo"
    assert at.session_state["p"] == before


def test_language_step_and_library_survive_reloads_and_restarts(env: Path) -> None:
    at = new_app()
    at.sidebar.radio(key="lang").set_value("zh").run()
    go(at, "model")
    assert at.query_params["lang"] == "zh"
    assert at.query_params["step"] == "model"
    # a reload: a new session on the same address
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params.update({"lang": "zh", "step": "model", "lib": "main"})
    again.run()
    ok(again)
    assert again.session_state["lang"] == "zh"
    assert again.session_state["step"] == "model"
    # a restart: no address, the settings file
    fresh = new_app()
    assert fresh.session_state["lang"] == "zh"
    assert fresh.session_state["step"] == "model"
    # a bad address is ignored, never an error
    odd = AppTest.from_file(APP, default_timeout=60)
    odd.query_params.update({"lang": "fr", "step": "../../etc", "lib": "a/b"})
    odd.run()
    ok(odd)
    assert odd.session_state["lang"] == "zh"  # from the file


def test_a_long_run_shows_its_stage_and_time_and_offers_stop(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from planner.app import run as app_run

    solve = app_run.solve_run
    seen: list[str] = []

    def slow(*args: object, **kwargs: object) -> object:
        time.sleep(1.5)  # a solve that takes a while (the clock redraws every 0.5 s)
        return solve(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app_run, "solve_run", slow)
    at = new_app()
    at.button(key="run_button").click()
    at.run()
    ok(at)
    assert at.session_state["run"].solution.has_plan
    assert at.button(key="stop_button")  # offered while it ran
    seen = [c.value for c in at.caption]
    assert not any("so far" in c for c in seen)  # the clock is gone once done
    # a Stop click after the run had ended keeps that run and says so
    previous = at.session_state["run"]
    at.button(key="stop_button").click().run()
    ok(at)
    assert any("had finished before Stop" in i.value for i in at.info)
    assert at.session_state["run"] is previous
    # Run again with the same settings: the kept run, said done at once
    at.button(key="run_button").click()
    at.run()
    ok(at)
    assert at.session_state["run"] is previous
    assert any(s.label.startswith("Done: proven optimal") for s in at.status), [
        s.label for s in at.status
    ]


def _run_of(at: AppTest) -> object:
    return at.session_state.get("run", None)


def test_stop_ends_the_solve_keeps_the_previous_run_and_the_next_run_works(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Stop button's token reaches the solving thread: the run ends at its next check
    (here the token is set as the solve starts, as a click during the solve would), nothing
    of it is kept, the page says so after the click's rerun, and the next Run works."""
    from planner.app import run as app_run

    real = app_run.solve_run
    tokens: list[object] = []

    def clicked_during_the_solve(*args: object, **kwargs: object) -> object:
        stop = kwargs["stop"]
        tokens.append(stop)
        stop.set()  # type: ignore[attr-defined]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app_run, "solve_run", clicked_during_the_solve)
    at = new_app()
    at.button(key="run_button").click()
    at.run()
    ok(at)
    assert len(tokens) == 1
    assert _run_of(at) is None
    # the click's rerun: the thread has ended; the page says the run was stopped
    at.button(key="stop_button").click().run()
    ok(at)
    assert any("Run stopped by you" in w.value for w in at.warning)
    assert _run_of(at) is None
    # the next run works
    monkeypatch.setattr(app_run, "solve_run", real)
    at.button(key="run_button").click()
    at.run()
    ok(at)
    assert at.session_state["run"].solution.has_plan
    assert "stopped_by_user" not in at.session_state["run"].solution.details


def test_library_names_in_messages_become_the_apps_words() -> None:
    text = app_state.in_planner_words(
        "None of the 64 points in `demand_lonlat` lies within max_snap_m=500 m of a road"
    )
    assert "demand_lonlat" not in text
    assert "the demand points (step 1, population layer)" in text
    assert "the snapping distance (travel.max_snap_m) = 500 m" in text


def test_a_stopped_reading_ends_at_its_next_check_and_keeps_nothing(tmp_path: Path) -> None:
    """The app's reading job stops at the pipeline's next progress step once its token is set
    (here at the first stage after reading starts, as a Stop click would), raising
    RunStoppedError and storing nothing; a reading error is stored for the page to say."""
    import threading

    from planner.app import jobs
    from planner.errors import RunStoppedError
    from planner.runs.config import load_scenario

    config = load_scenario(write_tiny_scenario(tmp_path))
    store: dict[str, object] = {}
    entered = threading.Event()
    work = jobs.load_work(config, "k", store)

    def stopped_while_reading(job: jobs.Job) -> object:
        real = job.progress

        def progress(stage: str, message: str, share: float) -> None:
            if stage == "aggregation":  # the Stop click lands while the layers are read
                job.stop.set()
                entered.set()
            real(stage, message, share)

        job.progress = progress  # type: ignore[method-assign]
        return work(job)

    job = jobs.start("load", "k", stopped_while_reading, inputs_key="k")
    with pytest.raises(RunStoppedError):
        job.future.result(timeout=120)
    assert entered.is_set()
    assert job.stopped()
    assert job.stage == "aggregation"
    assert store == {}

    # finished: the inputs are stored by key
    job = jobs.start("load", "k", jobs.load_work(config, "k", store), inputs_key="k")
    inputs = job.future.result(timeout=120)
    assert store["k"] is inputs
    assert not job.stopped()

    # a layer that cannot be read: the error is stored (the page says it), not raised again
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    bad = config.model_copy(
        update={
            "data": config.data.model_copy(
                update={
                    "population": config.data.population.model_copy(
                        update={"path": tmp_path / "bad.csv"}
                    )
                }
            )
        }
    )
    job = jobs.start("load", "bad", jobs.load_work(bad, "bad", store), inputs_key="bad")
    assert job.future.result(timeout=120) is None
    assert isinstance(store["bad"], Exception)


def test_the_curve_range_follows_the_plans_p(env: Path) -> None:
    """The curve's 'p from/to' sits around the p of the plan just made (it said 8 to 16, the
    demo's range, beside a plan of 6 on own data); a range typed for the same p is kept."""
    at = go(new_app(), "model")
    at.number_input(key="p").set_value(3).run()
    run(at)
    assert (at.number_input(key="sweep_from").value, at.number_input(key="sweep_to").value) == (
        1,
        7,
    )
    at.number_input(key="sweep_to").set_value(5).run()
    run(go(at, "model"))  # the same p: the typed range stays
    go(at, "results")
    assert at.number_input(key="sweep_to").value == 5
    go(at, "model").number_input(key="p").set_value(6).run()
    run(at)
    assert (at.number_input(key="sweep_from").value, at.number_input(key="sweep_to").value) == (
        2,
        10,
    )


@pytest.mark.parametrize(("lang", "word"), [("zh", "现有营业厅"), ("en", "Existing centre")])
def test_kept_halls_without_a_category_say_existing_centre(env: Path, lang: str, word: str) -> None:
    """Today's halls from a layer without a category column: the site table says so in the
    page's language (it showed the code 'existing' on the Chinese page)."""
    from planner.app import tables

    at = new_app()
    at.radio(key="lang").set_value(lang).run()
    run(at)
    table = tables.site_table(at.session_state["run"], lang)
    kept = table[table.iloc[:, 4] == ("保留" if lang == "zh" else "kept")]
    assert len(kept) == 2
    assert set(kept.iloc[:, 3]) == {word}
    assert "existing" not in set(table.iloc[:, 3])


def test_an_unreachable_percentile_standard_is_said_beside_it_and_names_its_own_fix(
    env: Path,
) -> None:
    """A percentile standard that no plan can meet: said beside the field before Run, with the
    share every site together reaches; and a run without a plan for it names the percentile
    standard as the fix, not the repair-response standards (which it said before)."""
    from planner.app import run as app_run
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import load_inputs

    at = go(new_app(), "model")
    at.radio(key="lang").set_value("en").run()
    at.number_input(key="percentile_minutes").set_value(0.5).run()
    at.number_input(key="percentile_share").set_value(99.0).run()
    ok(at)
    shown = " ".join(str(e.value) for e in at.main.error)
    assert "Even with every site open only" in shown
    assert "short of 99 %" in shown
    assert at.sidebar.button(key="run_button").disabled
    at.number_input(key="percentile_share").set_value(0.0).run()
    assert not at.main.error
    assert not at.sidebar.button(key="run_button").disabled

    base = load_scenario(env / "demo" / "tiny.toml")
    config = base.model_copy(
        update={"model": base.model.model_copy(update={"percentile_standards": [(0.5, 0.99)]})}
    )
    solved = app_run.solve_run(load_inputs(config), config, key=app_state.run_key(config))
    assert not solved.solution.has_plan
    assert app_run.remedies(solved) == ["looser_percentile", "more_sites"]
    text = app_run.infeasible_text(solved, "en")
    assert "percentile standard (Model step)" in text
    assert "response standards" not in text


def test_a_percentile_standard_p_centres_cannot_meet_names_p_and_by_how_much(env: Path) -> None:
    """Every site together meets the standard, today's centres alone cannot: the run says how
    much p centres can reach, how many the standard needs, and offers more p first (it said
    'p, capacities, budget, ... conflict', naming settings the scenario did not have)."""
    from planner.app import run as app_run
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import load_inputs

    base = load_scenario(env / "demo" / "tiny.toml")
    inputs = load_inputs(base)
    minutes = inputs.travel.minutes
    kept = int(inputs.sites["keep"].sum())
    reach = float(minutes.min(axis=1).max())  # every site open: every point within this
    today = minutes[:, inputs.sites["keep"].to_numpy(dtype=bool)].min(axis=1)
    assert (today > reach).any()  # today's centres alone leave some point out
    model = base.model.model_copy(update={"p": kept, "percentile_standards": [(reach, 1.0)]})
    config = base.model_copy(update={"model": model})
    solved = app_run.solve_run(inputs, config, key=app_state.run_key(config))
    assert not solved.solution.has_plan
    assert app_run.remedies(solved) == ["more_p", "looser_percentile"]
    text = app_run.infeasible_text(solved, "en")
    assert f"with p = {kept} centres at most" in text
    assert "capacities" not in text
    assert "budget" not in text


def test_facility_location_headline_says_what_its_total_cost_is_made_of(env: Path) -> None:
    """Facility location trades opening costs for travel: under the headline, the new centres'
    opening costs plus the weighted travel (recomputed here from the assignment) make the
    total, in demand weight x minutes; no p anywhere."""
    import re

    import numpy as np

    at = go(new_app(), "model")
    at.radio(key="lang").set_value("en").run()
    at.selectbox(key="model_name").set_value("facility_location").run()
    at.number_input(key="opening_cost").set_value(5000.0).run()
    run(at)
    solved = at.session_state["run"]
    assert solved.solution.has_plan
    assert solved.config.model.p is None
    (line,) = [c.value for c in at.main.caption if "Opening costs" in c.value]
    numbers = re.search(
        r"Opening costs ([\d,]+) \((\d+) × ([\d,]+)\) \+ weighted travel ([\d,]+) = total "
        r"cost ([\d,]+) \(demand weight × min\)",
        line,
    )
    assert numbers is not None, line
    opening, new, cost, travel, total = (float(g.replace(",", "")) for g in numbers.groups())
    sites = solved.result.inputs.sites
    opened = np.asarray(solved.solution.open_sites)
    assert new == int((~sites["existing"].to_numpy(dtype=bool)[opened]).sum())
    assert cost == 5000.0
    assert opening == new * cost
    minutes = np.asarray(solved.result.inputs.travel.minutes)
    a = np.asarray(solved.solution.assignment)
    weight = solved.result.inputs.demand["weight"].to_numpy()
    assert abs(travel - float((weight * minutes[np.arange(a.size), a]).sum())) <= 1.0
    assert abs(total - (opening + travel)) <= 1.0


def test_a_saved_map_opens_in_the_language_of_the_page(env: Path) -> None:
    from planner.present.i18n import t
    from planner.runs.library import ScenarioLibrary

    at = run(new_app())
    go(at, "scenarios")
    at.text_input(key="save_name").input("with map").run()
    at.checkbox(key="save_with_map").check().run()
    at.button(key="save_button").click().run()
    ok(at)
    saved = ScenarioLibrary(env / "library").load("with map")
    assert set(saved.maps) == {"zh", "en"}
    for lang, other in (("zh", "en"), ("en", "zh")):
        page = saved.map_in(lang)
        assert page is not None
        assert t("legend_new_centre", lang) in page
        assert t("legend_new_centre", other) not in page
