"""Run every ``benchmarks/bench_*.py`` and collect their Markdown into ``BENCHMARKS.md``.

Each benchmark script prints Markdown on standard output and accepts
``--quick``; this driver runs them one after another as subprocesses (so one
script's memory or threads never disturb the next), and writes one file with
the date, the machine (platform, cores, memory), the command and each
script's output. A script that fails is reported in the file with the end of
its error output, and the driver's exit code is 1.

Used by ``planner bench [--quick] [--out BENCHMARKS.md]``, or directly::

    .venv/bin/python benchmarks/run_all.py --quick --out BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Lines of a failed script's error output kept in the report.
ERROR_TAIL_LINES = 25


@dataclass(frozen=True)
class ScriptResult:
    """One benchmark script's run."""

    name: str
    path: Path
    returncode: int | None  # None: timed out
    wall_s: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when the script exited with code 0."""
        return self.returncode == 0


def discover(folder: Path = HERE, only: Sequence[str] | None = None) -> list[Path]:
    """The ``bench_*.py`` scripts of ``folder``, sorted; ``only`` keeps the named ones.

    A name in ``only`` may be given as ``sweep``, ``bench_sweep`` or ``bench_sweep.py``.
    """
    scripts = sorted(folder.glob("bench_*.py"))
    if not only:
        return scripts
    wanted = {n.removesuffix(".py").removeprefix("bench_") for n in only}
    found = {p.stem.removeprefix("bench_") for p in scripts}
    unknown = sorted(wanted - found)
    if unknown:
        raise ValueError(
            f"unknown benchmark(s) {unknown}; available: {', '.join(sorted(found)) or 'none'}."
        )
    return [p for p in scripts if p.stem.removeprefix("bench_") in wanted]


def run_script(path: Path, *, quick: bool, timeout_s: float | None = None) -> ScriptResult:
    """Run one script with the current Python from the repository root; capture its output."""
    root = path.resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, str(path), *(["--quick"] if quick else [])]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return ScriptResult(
            path.stem,
            path,
            None,
            time.perf_counter() - start,
            out,
            err + f"\n(timed out after {timeout_s:g} s)",
        )
    return ScriptResult(
        path.stem, path, proc.returncode, time.perf_counter() - start, proc.stdout, proc.stderr
    )


def _memory_gib() -> str:
    try:
        import psutil

        return f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, str]:
    """Platform, CPU, cores (``nproc``), memory and Python of this machine."""
    try:
        cores = str(len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        cores = str(os.cpu_count())
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "nproc": cores,
        "memory": _memory_gib(),
        "python": platform.python_version(),
        "load": " / ".join(f"{x:.2f}" for x in os.getloadavg())
        if hasattr(os, "getloadavg")
        else "unknown",
    }


def render(results: Sequence[ScriptResult], *, command: str, quick: bool, started: datetime) -> str:
    """The Markdown report of one driver run."""
    m = machine_info()
    lines = [
        f"# Benchmarks ({'quick' if quick else 'full'} run)",
        "",
        f"- date: {started.isoformat(timespec='seconds')}",
        f"- machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; memory {m['memory']}; "
        f"Python {m['python']}; load average at the end (1/5/15 min) {m['load']}",
        f"- command: `{command}`",
        "",
        "| benchmark | result | wall time (s) |",
        "| --- | --- | --- |",
    ]
    for r in results:
        state = (
            "ok" if r.ok else ("timed out" if r.returncode is None else f"failed ({r.returncode})")
        )
        lines.append(f"| {r.name} | {state} | {r.wall_s:.1f} |")
    for r in results:
        lines += ["", f"<!-- {r.name} -->", ""]
        body = r.stdout.strip()
        if body:
            lines.append(body)
        if not r.ok:
            tail = "\n".join(r.stderr.strip().splitlines()[-ERROR_TAIL_LINES:])
            lines += [
                "",
                f"**{r.name} failed** (exit code {r.returncode}); end of its error output:",
                "",
                "```text",
                tail,
                "```",
            ]
    return "\n".join(lines) + "\n"


def run_benchmarks(
    folder: Path = HERE,
    *,
    quick: bool = False,
    out: Path | None = None,
    only: Sequence[str] | None = None,
    timeout_s: float | None = None,
    append: bool = False,
    command: str | None = None,
    on_start: Callable[[str, int, int], None] | None = None,
) -> list[ScriptResult]:
    """Run the benchmark scripts and write the report to ``out`` (replaced, or appended to).

    Raises
    ------
    ValueError
        An unknown name in ``only``, or no script found.
    """
    try:
        from planner.errors import InputError
    except ImportError:  # pragma: no cover - the driver also runs without the package
        InputError = ValueError  # type: ignore[misc,assignment]  # noqa: N806
    try:
        scripts = discover(folder, only)
    except ValueError as exc:
        raise InputError(f"--only: {exc}") from None
    if not scripts:
        raise InputError(f"no benchmarks/bench_*.py scripts found in {folder}.")
    started = datetime.now(UTC)
    results = []
    for i, script in enumerate(scripts, 1):
        if on_start is not None:
            on_start(script.stem, i, len(scripts))
        results.append(run_script(script, quick=quick, timeout_s=timeout_s))
    if out is not None:
        text = render(
            results,
            command=command or f"benchmarks/run_all.py{' --quick' if quick else ''}",
            quick=quick,
            started=started,
        )
        out = Path(out)
        if append and out.exists():
            text = out.read_text(encoding="utf-8").rstrip("\n") + "\n\n---\n\n" + text
        out.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: an interrupted write never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: returns 0 when every benchmark ran, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick subset of every script")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"), help="report file")
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--timeout", type=float, help="seconds allowed per script")
    parser.add_argument("--append", action="store_true", help="append to --out")
    args = parser.parse_args(argv)
    results = run_benchmarks(
        HERE,
        quick=args.quick,
        out=args.out,
        only=args.only,
        timeout_s=args.timeout,
        append=args.append,
        command="benchmarks/run_all.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        on_start=lambda name, i, n: print(f"[{i}/{n}] {name} ...", file=sys.stderr, flush=True),
    )
    for r in results:
        print(f"{r.name:<16} {'ok' if r.ok else 'FAILED'} {r.wall_s:8.1f} s", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
