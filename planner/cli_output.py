"""Output of the ``planner`` command line: the options every command shares, the
summary it prints, JSON documents, progress bars and ``--timings`` rows.

Every line goes through :func:`echo`, which escapes control characters of user
text so that a name holding terminal escape sequences is shown, never obeyed.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

if TYPE_CHECKING:
    from planner.runs.results import RunResult

#: Exit code of a run that ends without a plan (infeasible, or stopped before one).
NO_PLAN_EXIT = 3


OutOption = Annotated[
    Path,
    typer.Option(
        "--out", "-o", help="Output folder (map.html, report.html, plan.gpkg, kpis.json, ...)."
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the output folder if it exists.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one machine-readable JSON document (for scripts).")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario file (TOML); paths inside are relative to it.")
]
SchedulerOption = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at runtime
    typer.Option(
        "--scheduler",
        help="Address of a running Dask scheduler (tcp://host:8786); default: a local cluster "
        "with one worker per core. Its workers need the planner installed and must see --out.",
    ),
]
WorkersOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--workers", min=1, help="Workers of the local Dask cluster (default: cores)."),
]
SerialOption = Annotated[
    bool, typer.Option("--serial", help="Run one scenario after another in this process, no Dask.")
]


# --------------------------------------------------------------------------------------
# output helpers


def echo_json(doc: Any) -> None:
    echo(json.dumps(doc, ensure_ascii=False, indent=2, default=json_default))


def json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


STAGE_NAMES = {
    "reading": "Reading layers",
    "aggregation": "Building demand",
    "travel": "Travel costs",
    "solve": "Solving",
    "kpis": "Measuring the plan",
    "outputs": "Writing outputs",
}


class StageTimer:
    """Wall time, CPU time and peak memory of each pipeline stage (``--timings``).

    Used as the pipeline's progress callback; a stage ends when the next begins or at
    :meth:`finish`. Lines go to standard error as each stage ends.
    """

    def __init__(self, echo: bool = True) -> None:
        self.rows: list[dict[str, Any]] = []
        self._echo = echo
        self._current: tuple[str, str, float, float] | None = None

    @staticmethod
    def _clock() -> tuple[float, float]:
        import resource

        use = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), use.ru_utime + use.ru_stime

    def __call__(self, stage: str, message: str, share: float) -> None:
        if self._current is not None and self._current[0] == stage:
            return
        self.finish()
        wall, cpu = self._clock()
        self._current = (stage, message, wall, cpu)

    def finish(self) -> None:
        """End the current stage."""
        if self._current is None:
            return
        import resource

        stage, message, wall0, cpu0 = self._current
        wall, cpu = self._clock()
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KB on Linux
        row = {
            "stage": stage,
            "wall_s": round(wall - wall0, 2),
            "cpu_s": round(cpu - cpu0, 2),
            "peak_rss_gb": round(peak_gb, 2),
            "what": message,
        }
        self.rows.append(row)
        self._current = None
        if self._echo:
            echo(
                f"[timing] {stage:<11} wall {row['wall_s']:>7.1f} s  cpu {row['cpu_s']:>7.1f} s  "
                f"peak {row['peak_rss_gb']:.2f} GB  {message}",
                err=True,
            )


class ProgressDisplay:
    """Rich progress display on standard error; does nothing when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def stage(self, text: str, total: int | None = None) -> None:
        """Start a step: a spinner (``total=None``) or a bar of ``total`` items."""
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(text, total=total)

    def pipeline(self, stage: str, message: str, share: float) -> None:
        """The pipeline's ``progress(stage, message, share)`` callback: a new step per
        stage (reading, aggregation, travel, solve, kpis, outputs), its bar in percent."""
        if stage != getattr(self, "_stage_name", None):
            self._stage_name = stage
            self.stage(f"{STAGE_NAMES.get(stage, stage)}: {message}", total=100)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=round(100 * min(max(share, 0.0), 1.0)))

    def advance(self, done: int, total: int) -> None:
        """Set the bar of the current step to ``done`` of ``total``."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)


def show_progress(*, quiet: bool, as_json: bool) -> bool:
    return not quiet and not as_json and sys.stderr.isatty()


@contextmanager
def progress_display(*, quiet: bool, as_json: bool) -> Iterator[ProgressDisplay]:
    with ProgressDisplay(show_progress(quiet=quiet, as_json=as_json)) as p:
        yield p


def kpi_summary(kpis: Any) -> dict[str, Any] | None:
    if kpis is None:
        return None
    for name in ("summary", "headline"):
        if hasattr(kpis, name):
            return dict(getattr(kpis, name)())
    return None


def run_summary(result: RunResult) -> dict[str, Any]:
    sol = result.solution
    out: dict[str, Any] = {
        "ok": True,
        "scenario": result.config.name,
        "status": sol.status.value,
        "quality": sol.quality(),
        "model": sol.model,
        "objective": sol.to_dict()["objective"],
        "bound": sol.bound,
        "gap": sol.gap,
        "runtime_s": round(sol.runtime_s, 3),
        "open_sites": result.chosen_sites[["site_id", "name_zh", "name_en", "category"]].to_dict(
            "records"
        ),
        "out_dir": str(result.out_dir) if result.out_dir else None,
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "kpis": kpi_summary(result.kpis),
    }
    if not sol.has_plan:
        out.update(ok=False, exit_code=NO_PLAN_EXIT, error=f"no plan: {result.why_no_plan('en')}")
    return out


def fmt_value(key: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        if key.startswith("n_"):
            return f"{value:.0f}"
        if "share" in key:
            return f"{100 * value:.1f} %"
        return f"{value:.2f}"
    return str(value)


def print_result(result: RunResult, *, as_json: bool, quiet: bool) -> None:
    """Print a run's summary; a run without a plan says why and exits with code 3."""
    summary = run_summary(result)
    if not summary["ok"]:
        diagnosis = summary["outputs"].get("diagnosis")
        where = f" (numbers in {diagnosis})" if diagnosis else ""
        exit_no_plan(summary, as_json=as_json, where=where)
    if as_json:
        echo_json(summary)
        return
    if quiet:
        return
    echo(
        f"Scenario {summary['scenario']}: {summary['model']} -> {summary['quality']} "
        f"(objective {summary['objective']:,.2f}, {summary['runtime_s']:.1f} s)"
    )
    for site in summary["open_sites"]:
        echo(f"  {site['site_id']:>6}  {site['name_zh']}  {site['name_en']}  [{site['category']}]")
    if summary["kpis"]:
        for key, value in summary["kpis"].items():
            echo(f"  {key}: {fmt_value(key, value)}")
    if summary["out_dir"]:
        names = ", ".join(sorted(Path(p).name for p in summary["outputs"].values()))
        echo(f"Outputs in {summary['out_dir']}: {names}")


def exit_no_plan(doc: dict[str, Any], *, as_json: bool, where: str = "") -> NoReturn:
    """End a command whose scenario has no plan: its document (``--json``) or the error
    line, then exit code 3."""
    if as_json:
        echo_json(doc)
    else:
        echo(f"error: {doc['error']}{where}", err=True)
    raise typer.Exit(NO_PLAN_EXIT)


def echo(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """``typer.echo`` with control characters of user text escaped (:func:`terminal_text`):
    a name holding terminal escape sequences is shown, never obeyed by the terminal."""
    from planner.sanitize import terminal_text

    typer.echo(terminal_text(message, keep_newlines=True), err=err, nl=nl)
