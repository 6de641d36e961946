"""``planner bench``: run the benchmark scripts of a source checkout into BENCHMARKS.md."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from planner.cli_output import JsonOption, QuietOption, echo, echo_json, progress_display
from planner.errors import InputError, PlannerError


def benchmarks_dir() -> Path:
    for root in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if (root / "benchmarks" / "run_all.py").is_file():
            return root / "benchmarks"
    raise InputError(
        "benchmarks/run_all.py was not found; run `planner bench` from the project folder "
        "(a source checkout, installed with `pip install -e .`)."
    )


def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="The quick subset (minutes instead of hours).")
    ] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Markdown file to write.")] = Path(
        "BENCHMARKS.md"
    ),
    only: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--only", help="Run only this benchmark (e.g. sweep); repeatable."),
    ] = None,
    timeout: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--timeout", min=1, help="Seconds allowed per benchmark script."),
    ] = None,
    append: Annotated[
        bool, typer.Option("--append", help="Add to the end of --out instead of replacing it.")
    ] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run every benchmarks/bench_*.py and write their results to BENCHMARKS.md.

    Records the date, the machine (platform, cores, memory) and the command.
    Exit code 1 if a benchmark script failed (its error is in the file).
    """
    import importlib.util

    folder = benchmarks_dir()
    spec = importlib.util.spec_from_file_location("_planner_bench_run_all", folder / "run_all.py")
    if spec is None or spec.loader is None:  # pragma: no cover - checked by benchmarks_dir
        raise InputError(f"cannot load {folder / 'run_all.py'}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    command = "planner bench" + (" --quick" if quick else "")
    with progress_display(quiet=quiet, as_json=as_json) as progress:
        results = module.run_benchmarks(
            folder,
            quick=quick,
            out=out,
            only=only,
            timeout_s=timeout,
            append=append,
            command=command,
            on_start=lambda name, i, n: progress.stage(f"Benchmark {name} ({i}/{n})"),
        )
    failed = [r.name for r in results if not r.ok]
    if as_json:
        echo_json(
            {
                "ok": not failed,
                "out": str(out),
                "benchmarks": [
                    {
                        "name": r.name,
                        "ok": r.ok,
                        "returncode": r.returncode,
                        "wall_s": round(r.wall_s, 2),
                    }
                    for r in results
                ],
            }
        )
    elif not quiet:
        for r in results:
            echo(f"  {r.name:<16} {'ok' if r.ok else 'FAILED'}  {r.wall_s:8.1f} s")
        echo(f"Results written to {out}")
    if failed:
        raise BenchmarkError(f"benchmark(s) {', '.join(failed)} failed; see {out}.")


class BenchmarkError(PlannerError):
    """A benchmark script failed (exit code 1, not bad input)."""
