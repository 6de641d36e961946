"""The ``planner`` command line: thin, every step is a call into the library.

Exit codes: 0 success, 2 bad input (file, column, setting: the message says
which and how to fix it), 3 no plan (the model is infeasible, or the solver
stopped before finding one: the message says why, diagnosis.json has the
numbers), 1 an internal error. ``--json`` prints one JSON
document on standard output (also on failure: ``{"ok": false, "error": ...}``);
``--quiet`` prints nothing but errors. Progress bars go to standard error and
only when it is a terminal.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from planner.cli_bench import bench
from planner.cli_output import (
    NO_PLAN_EXIT,
    ForceOption,
    JsonOption,
    OutOption,
    QuietOption,
    ScenarioArg,
    SchedulerOption,
    SerialOption,
    StageTimer,
    WorkersOption,
    echo,
    echo_json,
    exit_no_plan,
    fmt_value,
    print_result,
    progress_display,
)
from planner.errors import InputError, PlannerError, RunStoppedError

if TYPE_CHECKING:
    from planner.runs.results import RunResult

app = typer.Typer(
    name="planner",
    help=(
        "Service-Centre Planner: where should a power utility open customer service centres?\n\n"
        "Start with `planner demo` (the Wuhan demo), then `planner run SCENARIO.toml --out DIR`. "
        "Check a scenario file with `planner validate`, explore settings with `planner sweep`, "
        "test a plan against data errors with `planner robustness`, and set finished runs side "
        "by side with `planner compare`.\n\n"
        "Exit codes: 0 done, 2 bad input (the message names the file, setting or column and the "
        "fix), 3 no plan (infeasible, or the solver stopped before finding one: the message says "
        "why), 1 internal error."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _check_out(out: Path, force: bool, config: Any) -> None:
    """Every `--out` problem, before the (possibly long) load and solve."""
    from planner.runs.outdir import check_out_dir, input_paths

    check_out_dir(out, force=force, protect=input_paths(config))


def demo_scenario_path() -> Path:
    """The demo scenario shipped with the project (``scenarios/wuhan_demo.toml``)."""
    from planner.runs.config import demo_scenario_path as find

    return find(
        hint="run `planner demo` from the project folder (installed with `pip install -e .`)"
    )


def _run_file(
    scenario: Path,
    out: Path,
    *,
    force: bool,
    quiet: bool,
    as_json: bool,
    timings: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
) -> RunResult:
    from planner.runs.grid import load_sweep_scenario
    from planner.runs.pipeline import run_scenario
    from planner.runs.province import cluster

    config, _ = load_sweep_scenario(scenario)  # a [sweep] table is for `planner sweep`
    _check_out(out, force, config)
    on_cluster = scheduler is not None or workers is not None
    if on_cluster and config.travel.method != "network":
        raise InputError(
            "--scheduler/--workers compute road-network travel costs on a Dask cluster, but "
            f"{scenario} uses travel.method = {config.travel.method!r}; leave them out "
            "(straight-line costs are computed here, in blocks)."
        )
    timer = StageTimer(echo=not as_json) if timings else None
    with (
        progress_display(quiet=quiet, as_json=as_json) as progress,
        ctrl_c_stops() as stop,
        cluster(parallel=on_cluster, scheduler=scheduler, n_workers=workers) as where,
    ):
        if on_cluster and not (quiet or as_json):
            info = where.info
            echo(f"road-network travel on {info.scheduler} ({info.n_workers} workers)", err=True)

        def report(stage: str, message: str, share: float) -> None:
            progress.pipeline(stage, message, share)
            if timer is not None:
                timer(stage, message, share)

        result = run_scenario(
            config,
            out_dir=out,
            force=force,
            progress=report,
            stop=stop,
            executor=where.executor(),
        )
    if timer is not None:
        timer.finish()
    return result


# --------------------------------------------------------------------------------------
# commands


@app.command()
def run(
    scenario: ScenarioArg,
    out: OutOption,
    force: ForceOption = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    timings: Annotated[
        bool,
        typer.Option(
            "--timings",
            help="Print wall time, CPU time and peak memory of each stage (reading, "
            "aggregation, travel, solve, kpis, outputs) to standard error.",
        ),
    ] = False,
    scheduler: Annotated[
        Optional[str],  # noqa: UP045 - typer reads the annotation at runtime
        typer.Option(
            "--scheduler",
            help="Compute road-network travel costs on the Dask scheduler at this address "
            "(tcp://host:8786), one task per block of nearby sites carrying only the roads "
            "they can reach. Workers need the planner installed, not the data.",
        ),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--workers",
            min=1,
            help="Compute road-network travel costs on a local Dask cluster of this many "
            "worker processes (without --scheduler).",
        ),
    ] = None,
) -> None:
    """Run a scenario file and write its outputs to --out.

    The folder gets map.html, report.html, the GeoPackage, kpis.json,
    assignment.csv and scenario.lock.toml (settings, input hashes, versions,
    solver status). It is written all at once: an interrupted run leaves nothing.
    With --scheduler or --workers, road-network travel costs (the part of a province
    run that grows with its roads) are computed on a Dask cluster; the result is the same.
    """
    result = _run_file(
        scenario,
        out,
        force=force,
        quiet=quiet,
        as_json=as_json,
        timings=timings,
        scheduler=scheduler,
        workers=workers,
    )
    print_result(result, as_json=as_json, quiet=quiet)


@app.command()
def demo(
    out: OutOption = Path("out/demo"),
    force: Annotated[
        bool, typer.Option("--force/--no-force", help="Replace the output folder if it exists.")
    ] = True,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run the Wuhan demo (real WorldPop population, simulated faults) into out/demo."""
    result = _run_file(demo_scenario_path(), out, force=force, quiet=quiet, as_json=as_json)
    print_result(result, as_json=as_json, quiet=quiet)


def datum_warnings(config: Any, inputs: Any) -> list[str]:
    """Warnings for point layers in China with no ``datum`` whose points fit where people
    live clearly better read as GCJ-02 or BD-09 (web-map POIs are usually shifted)."""

    from planner.inputs.datums import datum_fit, datum_warning, out_of_china

    demand = inputs.demand
    ref = demand.geometry
    out: list[str] = []
    for section, existing in (("candidates", False), ("existing", True)):
        src = getattr(config.data, section)
        if src is None or src.datum is not None:
            continue
        if src.crs is not None and str(src.crs).lower() not in ("wgs84", "epsg:4326"):
            continue
        pts = inputs.sites[inputs.sites["existing"].to_numpy(dtype=bool) == existing]
        if len(pts) < 5:
            continue
        lon, lat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        if out_of_china(lon, lat).mean() > 0.5:
            continue
        fit = datum_fit(lon, lat, ref.x.to_numpy(), ref.y.to_numpy(), demand["population"])
        note = datum_warning(f"data.{section}", len(pts), fit)
        if note is not None:
            out.append(note)
    return out


@app.command()
def validate(
    scenario: ScenarioArg,
    param: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--param", "-p", help="Also check a sweep parameter, e.g. model.p=3:32."),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check a scenario file, its files, columns and sweep grid, without solving."""
    from planner.runs.grid import load_sweep_scenario, sweep_grid
    from planner.runs.options import solve_options
    from planner.runs.pipeline import build_problem, load_inputs
    from planner.runs.sweep import normalise_params, prepare_points

    config, file_params = load_sweep_scenario(scenario)
    grid_params = normalise_params(param) if param else file_params
    points = sweep_grid(grid_params) if grid_params else []
    with progress_display(quiet=quiet, as_json=as_json) as progress:
        progress.stage("Reading layers, building demand, computing travel times")
        inputs = load_inputs(config)
        build_problem(inputs, config)
        solve_options(inputs, config)
        if points:
            progress.stage(f"Checking {len(points)} sweep points")
            try:
                prepare_points(config, points, inputs=inputs)
            except InputError as exc:
                raise type(exc)(f"{scenario}: {exc}") from None
    datum_notes = datum_warnings(config, inputs)
    for note in datum_notes:
        if not as_json:
            echo(f"warning: {note}", err=True)
    info = {
        "ok": True,
        "scenario": config.name,
        "valid": True,
        "warnings": datum_notes,
        "demand_points": len(inputs.demand),
        "sites": len(inputs.sites),
        "existing_centres": int(inputs.sites["existing"].sum()),
        "population": float(inputs.demand["population"].sum()),
        "fault_records": 0 if inputs.faults is None else len(inputs.faults),
        "travel": inputs.travel.note,
        "sweep_points": len(points),
    }
    if as_json:
        echo_json(info)
    elif not quiet:
        sweep_note = f"; sweep grid of {len(points)} points" if points else ""
        echo(
            f"{scenario}: valid — {info['demand_points']} demand points, {info['sites']} sites, "
            f"{info['population']:,.0f} adults; {info['travel']}{sweep_note}"
        )


@app.command()
def sweep(
    scenario: ScenarioArg,
    out: OutOption,
    param: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--param",
            "-p",
            help="SETTING=VALUES to sweep: a range model.p=3:32 (ends included; start:stop:step), "
            "a list demand.faults=0,0.2,0.4, or a TOML array. Repeat for a grid. Default: the "
            "scenario's \\[sweep] table.",
        ),
    ] = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    serial: SerialOption = False,
    runs: Annotated[
        bool,
        typer.Option("--runs/--no-runs", help="Write each scenario's run folder under --out/runs."),
    ] = True,
    force: ForceOption = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Solve a scenario over a grid of settings, in parallel on Dask.

    Writes sweep.csv, sweep.parquet (one row per scenario: settings, solver
    status, objective, KPIs, chosen sites), tradeoff.svg and runs/<run>/.
    Layers and travel times are loaded once and shared by every scenario.

    Example: planner sweep scenarios/wuhan_demo.toml --out out/sweep --param model.p=3:32
    """
    from planner.runs.sweep import sweep as run_sweep

    if serial and (scheduler or workers):
        raise InputError("--serial runs without Dask; leave out --scheduler and --workers.")
    with progress_display(quiet=quiet, as_json=as_json) as progress:
        result = run_sweep(
            scenario,
            param or None,
            out_dir=out,
            force=force,
            parallel=not serial,
            scheduler=scheduler,
            n_workers=workers,
            run_folders=runs,
            progress=progress.advance,
            on_stage=lambda text: progress.stage(text, total=None),
        )
    if as_json:
        echo_json({"ok": True, **result.to_dict()})
        return
    if quiet:
        return
    table = result.table
    keys = list(result.params)
    shown = [c for c in ("status", "objective", "mean_minutes") if c in table]
    cov = [
        c for c in table.columns if str(c).startswith("within_") and str(c).endswith("min_share")
    ]
    shown += cov[:1]
    header = ["run", *keys, *shown]
    lines = [header] + [
        [str(row["run"]), *(str(row[k]) for k in keys), *(fmt_value(c, row[c]) for c in shown)]
        for _, row in table.iterrows()
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        echo("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(line)))
    where = (
        "serial"
        if result.scheduler == "serial"
        else f"{result.scheduler}, {result.n_workers} workers"
    )
    start = "" if result.scheduler == "serial" else f"cluster start {result.startup_s:.1f} s, "
    echo(
        f"{len(table)} scenarios ({where}): inputs loaded {result.n_input_loads}x in "
        f"{result.load_s:.1f} s, {start}solving {result.solve_wall_s:.1f} s, "
        f"total {result.wall_s:.1f} s"
    )
    echo(
        f"Outputs in {result.out_dir}: sweep.csv, sweep.parquet, tradeoff.svg"
        + (", runs/" if runs else "")
    )


def _parse_errors(items: list[str] | None) -> dict[str, float] | float | None:
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0]:
        try:
            return float(items[0])
        except ValueError:
            pass
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(
                f"--error {item!r}: write COMPONENT=RELATIVE_ERROR, e.g. --error population=0.2 "
                "(components: population, residential, faults), or one number for all."
            )
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError(
                f"--error {item!r}: {value!r} is not a number; write e.g. {key.strip()}=0.2 (20 %)."
            ) from None
    return out


@app.command()
def robustness(
    scenario: ScenarioArg,
    out: OutOption,
    draws: Annotated[
        int, typer.Option("--draws", "-n", min=1, help="Perturbed draws (solves).")
    ] = 50,
    error: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--error",
            "-e",
            help="Relative error of a demand component, e.g. population=0.2 (20 %); repeat for "
            "residential and faults; a component left out is not perturbed. One number sets all "
            "three. Default: 0.2 each.",
        ),
    ] = None,
    distribution: Annotated[
        str, typer.Option("--distribution", help="Noise: lognormal (default) or uniform.")
    ] = "lognormal",
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the random draws.")] = 0,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    serial: SerialOption = False,
    force: ForceOption = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """How robust is the plan? Re-solve under perturbed population, residential and fault data.

    Writes the plan's run folder (map, report, ...) plus robustness_sites.csv
    (how often each site is chosen), robustness_kpis.csv (5th/50th/95th
    percentiles of each KPI), robustness_draws.csv, robustness.json and
    site_frequency.geojson.
    """
    import dataclasses

    from planner.runs.grid import load_sweep_scenario
    from planner.runs.outdir import claim_out_dir, input_paths
    from planner.runs.outputs import write_outputs
    from planner.runs.pipeline import load_inputs, run_scenario
    from planner.runs.robustness import robustness as run_robustness
    from planner.runs.robustness import write_robustness

    if serial and (scheduler or workers):
        raise InputError("--serial runs without Dask; leave out --scheduler and --workers.")
    if distribution not in ("lognormal", "uniform"):
        raise InputError(f"--distribution {distribution!r}: use lognormal or uniform.")
    errors = _parse_errors(error)
    config, _ = load_sweep_scenario(scenario)
    with (
        claim_out_dir(out, force=force, protect=input_paths(config)) as claim,
        progress_display(quiet=quiet, as_json=as_json) as progress,
    ):
        progress.stage("Reading layers, building demand, computing travel times")
        inputs = load_inputs(config)
        progress.stage("Solving the unperturbed plan")
        base = run_scenario(config, inputs=inputs)
        if not base.solution.has_plan:  # nothing to test: say why, write nothing
            why = f"no plan to test: {base.why_no_plan('en')}"
            exit_no_plan({"ok": False, "error": why, "exit_code": NO_PLAN_EXIT}, as_json=as_json)
        progress.stage(f"Solving {draws} perturbed draws", total=draws)
        result = run_robustness(
            inputs,
            config,
            relative_error=errors,
            draws=draws,
            seed=seed,
            distribution=distribution,  # type: ignore[arg-type]  # checked above
            parallel=not serial,
            scheduler=scheduler,
            n_workers=workers,
            progress=progress.advance,
            base_solution=base.solution,
        )
        progress.stage("Writing outputs")
        base = dataclasses.replace(base, robustness=result)
        with claim.writing() as tmp:
            written = write_outputs(base, tmp)
            written.update(write_robustness(result, tmp))
            outputs = {k: out / Path(v).relative_to(tmp) for k, v in written.items()}
    if as_json:
        echo_json({"ok": True, **result.to_dict(), "outputs": outputs})
        return
    if quiet:
        return
    f = result.site_frequency
    echo(
        f"{result.n_with_plan} of {result.n_draws} draws solved ({result.distribution} noise, "
        f"relative error {result.relative_error}, seed {result.seed}):"
    )
    shown = f[(f["times_chosen"] > 0) | f["in_base_plan"]].sort_values(
        ["frequency", "site_index"], ascending=[False, True]
    )
    for _, row in shown.iterrows():
        mark = "plan" if row["in_base_plan"] else "    "
        echo(
            f"  {row['site_id']:>6}  {mark}  chosen {100 * row['frequency']:5.1f} %  "
            f"{row['name_zh']}  {row['name_en']}"
        )
    spread = result.kpi_spread
    for key in [k for k in ("mean_minutes", "p90_minutes") if k in spread.index] + [
        k for k in spread.index if str(k).endswith("min_share")
    ][:1]:
        stats = spread.loc[key, ["base", "p5", "p50", "p95"]].astype(float).to_dict()
        echo(
            f"  {key}: plan {fmt_value(key, stats['base'])}, draws p5 "
            f"{fmt_value(key, stats['p5'])} / p50 {fmt_value(key, stats['p50'])} / p95 "
            f"{fmt_value(key, stats['p95'])}"
        )
    echo(f"Outputs in {out}")


@app.command()
def compare(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="Two or more run folders; the first is the reference.")
    ],
    lang: Annotated[str, typer.Option("--lang", help="KPI labels: en or zh.")] = "en",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Set finished runs side by side: KPIs, sites added/dropped/kept, settings that differ."""
    from planner.evaluate.compare import compare_runs
    from planner.present.labels import comparison_text

    if lang not in ("en", "zh"):
        raise InputError(f"--lang {lang!r}: use en or zh.")
    comparison = compare_runs(run_dirs)
    if as_json:
        echo_json({"ok": True, **comparison.to_dict()})
    elif not quiet:
        echo(comparison_text(comparison, language=lang))


@app.command()
def cells(
    raster: Annotated[Path, typer.Argument(help="Population GeoTIFF (people per pixel, any CRS).")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="GeoParquet file to write (cell squares in WGS 84)."),
    ],
    cell_size: Annotated[
        float, typer.Option("--cell-size", help="Cell side in metres (local UTM zone).")
    ] = 100.0,
    block: Annotated[
        int, typer.Option("--block", min=16, help="Window side in pixels: one task each.")
    ] = 2048,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    serial: Annotated[
        bool, typer.Option("--serial", help="Sum the windows one after another here, no Dask.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Sum a province's population raster into square cells, one Dask task per window.

    Writes a GeoParquet layer (cell_id, pop_20plus, square polygons in WGS 84) that a
    scenario reads as its population layer. Each task reads only its window of the
    raster, so workers need the raster at the same path (a shared disk).
    """
    import os

    from planner.runs.province import aggregate_population

    if serial and (scheduler or workers):
        raise InputError("--serial runs without Dask; leave out --scheduler and --workers.")
    if out.suffix.lower() not in (".parquet", ".geoparquet"):
        raise InputError(f"--out {out}: write cells to a .parquet file.")
    if out.exists() and not force:
        raise InputError(f"--out {out} already exists; choose another file or add --force.")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: folder {out.parent} does not exist.")
    start = time.perf_counter()
    result = aggregate_population(
        raster, cell_size_m=cell_size, parallel=not serial, scheduler=scheduler,
        n_workers=workers, block_pixels=block,
    )  # fmt: skip
    frame = result.cells.to_frame()
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        frame.to_parquet(tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    if not quiet:
        where = result.execution
        peaks = ", ".join(f"{p:.0f}" for p in result.worker_peak_mb)
        echo(
            f"{out}: {len(frame):,} cells of {cell_size:g} m, {frame['pop_20plus'].sum():,.0f} "
            f"people, in {time.perf_counter() - start:.1f} s on "
            + ("this process" if where.scheduler == "serial" else
               f"{where.scheduler} ({where.n_workers} workers, peak {peaks} MB each)")
        )  # fmt: skip


@app.command()
def passwd(
    user: Annotated[str, typer.Argument(help="The user name to log in with.")],
) -> None:
    """Print a line for the app's password file (PLANNER_PASSWORD_FILE) for USER.

    Asks for the password twice (hidden) and prints USER:scrypt$... (a salted
    scrypt hash; the password itself is stored nowhere). Append it to the file:
    planner passwd ann >> /etc/planner/users.txt
    """
    from planner.runs.access import hash_password

    name = user.strip()
    if not name or any(ch in name for ch in ":\n\r#") or name != user:
        raise InputError(
            f"user name {user!r}: use a name without ':', '#', line breaks or surrounding spaces."
        )
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    echo(f"{name}:{hash_password(password)}")


def _version(value: bool) -> None:
    if value:
        from planner import __version__

        echo(f"planner {__version__}")
        raise typer.Exit()


app.command()(bench)


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", hidden=True, help="Show the traceback of internal errors.")
    ] = False,
) -> None:
    """Service-Centre Planner."""


# --------------------------------------------------------------------------------------
# entry point


def _report_error(message: str, code: int, argv: list[str]) -> int:
    from planner.sanitize import terminal_text

    echo(f"error: {terminal_text(message)}", err=True)
    if "--json" in argv:
        echo_json({"ok": False, "error": message, "exit_code": code})
    return code


def _framework_errors() -> tuple[tuple[type[BaseException], ...], ...]:
    """``(exit, usage, abort)`` exception types of typer (which vendors click from 0.22 on)."""
    exits: list[type[BaseException]] = [typer.Exit]
    usage: list[type[BaseException]] = [typer.TyperException]
    aborts: list[type[BaseException]] = [typer.Abort]
    try:
        import click

        exits.append(click.exceptions.Exit)
        usage.append(click.ClickException)
        aborts.append(click.exceptions.Abort)
    except ImportError:  # pragma: no cover - depends on the typer version
        pass
    return tuple(exits), tuple(usage), tuple(aborts)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings (points not routable, records outside the cells) as one plain line on stderr."""
    from planner.sanitize import terminal_text

    echo(f"warning: {terminal_text(message)}", err=True)


@contextmanager
def ctrl_c_stops() -> Iterator[threading.Event]:
    """A stop token that the first Ctrl-C (SIGINT) sets: the run ends at its next check
    (:class:`~planner.errors.RunStoppedError`, exit 130, no output). A second Ctrl-C
    raises :class:`KeyboardInterrupt` at once (also exit 130, no output). Outside the
    main thread (signals cannot be caught there) the token is never set."""
    import signal

    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        echo("stopping at the next check (Ctrl-C again to abort at once) ...", err=True)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread: temporary output folders are removed on the way out."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planner`` command; returns the exit code."""
    import signal
    import threading

    args = list(sys.argv[1:] if argv is None else argv)
    if argv is None:  # the console command, not a call from Python code or tests
        warnings.showwarning = _show_warning
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(args)
    except _Terminated:
        echo("terminated; no output was written", err=True)
        return 128 + signal.SIGTERM
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(args: list[str]) -> int:
    exits, usage, aborts = _framework_errors()
    try:
        # Outside standalone mode click returns a command's typer.Exit code instead of raising.
        code = app(args=args, standalone_mode=False, prog_name="planner")
    except InputError as exc:
        return _report_error(str(exc), 2, args)
    except exits as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except usage as exc:  # a usage error: unknown option, missing argument, bad value
        code = int(getattr(exc, "exit_code", 2) or 2)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:  # pragma: no cover
            echo(f"error: {exc}", err=True)
        if "--json" in args:
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            echo_json({"ok": False, "error": message, "exit_code": code})
        return code
    except aborts:
        echo("aborted", err=True)
        return 1
    except RunStoppedError as exc:  # Ctrl-C (ctrl_c_stops): a clean stop, not a failure
        echo(str(exc), err=True)
        if "--json" in args:
            echo_json({"ok": False, "stopped": True, "stage": exc.stage, "exit_code": 130})
        return 130
    except PlannerError as exc:
        return _report_error(str(exc), 1, args)
    except KeyboardInterrupt:
        echo("interrupted; no output was written", err=True)
        return 130
    except Exception as exc:  # an internal error: say so plainly, keep the traceback out of the way
        if "--debug" in args:
            raise
        return _report_error(
            f"internal error ({type(exc).__name__}: {exc}); please report it with the scenario "
            "file (add --debug for the traceback).",
            1,
            args,
        )
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
