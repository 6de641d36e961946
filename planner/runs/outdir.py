"""Output folders: checked before the solve, one run at a time, written all at once.

A run's folder (``--out``) is the only place the planner writes, and it never
loses a file the user owns:

* :func:`check_out_dir` finds every ``--out`` problem before anything is
  loaded or solved: a file where a folder should be, a folder that cannot be
  written, a folder that holds the scenario or its input files (or the current
  folder), an existing folder without ``force``, and, with ``force``, a folder
  the planner did not write (it has no :data:`MARKER` file).
* :func:`claim_out_dir` holds a lock beside the folder (``.NAME.lock``) from
  before the solve until the folder is in place, so a second run into the
  same folder stops at once with exit code 2 instead of one result silently
  replacing the other. Under the lock it removes ``.NAME.tmp-*`` folders left
  by killed runs (only folders holding the marker, so only the planner's own).
* :meth:`OutDirClaim.writing` yields a temporary folder beside the target
  (with the marker inside) and renames it into place only if the body
  succeeds; on any exception, including SIGTERM turned into one by the CLI,
  the temporary folder is removed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from planner.errors import InputError

if TYPE_CHECKING:
    from planner.runs.config import LayerSource, ScenarioConfig

__all__ = [
    "MARKER",
    "OutDirClaim",
    "atomic_output_dir",
    "check_out_dir",
    "claim_out_dir",
    "foreign_files",
    "input_paths",
    "is_planner_folder",
]

#: The file inside every folder the planner writes; ``force`` replaces only such folders.
MARKER: Final = ".planner-run"


#: What a run, sweep or robustness folder holds: a folder with nothing else and a lock file
#: was written by a planner version from before the marker, and may be replaced too.
_OUTPUT_NAMES: Final = frozenset(
    {
        "scenario.lock.toml",
        "kpis.json",
        "assignment.csv",
        "chosen_sites.geojson",
        "plan.gpkg",
        "map.html",
        "report.html",
        "diagnosis.json",
        "robustness.json",
        "robustness_sites.csv",
        "robustness_kpis.csv",
        "robustness_draws.csv",
        "site_frequency.geojson",
        "sweep.csv",
        "sweep.parquet",
        "sweep.json",
        "tradeoff.svg",
        "runs",
    }
)


def is_planner_folder(folder: Path) -> bool:
    """True if ``folder`` is a folder the planner wrote.

    It holds :data:`MARKER`, or (written before the marker existed) its lock file or
    sweep table and nothing but the names of the planner's outputs.
    """
    if not folder.is_dir() or folder.is_symlink():
        return False
    if (folder / MARKER).is_file():
        return True
    names = {p.name for p in folder.iterdir()}
    return bool(names & {"scenario.lock.toml", "sweep.csv"}) and names <= _OUTPUT_NAMES


def foreign_files(folder: Path) -> list[str]:
    """Files in a planner folder that the planner did not write (relative paths, sorted).

    The marker lists every file a run wrote; a file added since (the user's notes or
    spreadsheet saved into the run folder) is the user's, and ``force`` would delete it.
    A marker without that list (older planner versions) counts the top-level names
    other than the planner's outputs.
    """
    try:
        doc = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    written = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(written, list):
        return sorted(p.name for p in folder.iterdir() if p.name not in _OUTPUT_NAMES | {MARKER})
    known = {str(name) for name in written} | {MARKER}
    found = []
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(folder).as_posix()
        if rel not in known:
            found.append(rel)
    return sorted(found)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_out_dir(
    out: str | os.PathLike[str], *, force: bool, protect: Iterable[Path] = ()
) -> Path:
    """Every problem of an output folder, found before the run; the absolute folder.

    Parameters
    ----------
    out
        The output folder (``--out``).
    force
        Replace the folder if it exists (only a folder the planner wrote).
    protect
        Files that must survive the run (the scenario file, its input layers):
        the output folder may not hold any of them.

    Returns
    -------
    pathlib.Path
        The folder as an absolute path (symbolic links resolved).

    Raises
    ------
    InputError
        The folder cannot be used; the message says why and what to do.
    """
    text = str(out).strip()
    if not text:
        raise InputError("`--out` is empty; give the output folder.")
    target = Path(text).expanduser().resolve()
    shown = Path(text)
    for parent in reversed(target.parents):
        if parent.exists() and not parent.is_dir():
            raise InputError(
                f"`--out` {shown}: {parent} is a file, not a folder; choose another `--out`."
            )
    cwd = Path.cwd().resolve()
    if _inside(cwd, target):
        raise InputError(
            f"`--out` {shown} is the current folder or holds it; the planner replaces its output "
            "folder as a whole: choose a new folder, e.g. `--out out/run1`."
        )
    for path in protect:
        held = Path(path).expanduser().resolve()
        if _inside(held, target):
            raise InputError(
                f"`--out` {shown} holds {held} (the scenario's folder or one of its input files), "
                "which replacing the folder would delete; choose a new folder, e.g. `--out out/run1`."
            )
    if target.exists():
        if not target.is_dir():
            raise InputError(f"`--out` {shown} is a file, not a folder; choose another `--out`.")
        if not force:
            raise InputError(
                f"output folder {shown} already exists; choose another `--out` or add `--force`."
            )
        if not is_planner_folder(target):
            raise InputError(
                f"`--out` {shown} exists and was not written by the planner (no {MARKER} file in "
                "it); `--force` replaces only the planner's own run folders: choose another "
                "`--out` or move that folder away yourself."
            )
        foreign = foreign_files(target)
        if foreign:
            listed = ", ".join(foreign[:5]) + (
                f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
            )
            raise InputError(
                f"`--out` {shown} holds file(s) the planner did not write ({listed}); `--force` "
                "would delete them: move them out of the folder or choose another `--out`."
            )
    base = next(p for p in (target.parent, *target.parent.parents) if p.exists())
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(
            f"`--out` {shown}: cannot write in {base} (permission denied); choose another `--out`."
        )
    return target


# --------------------------------------------------------------------------------------
# the lock


def _try_lock(handle: IO[str]) -> bool:
    """Lock an open file without waiting; False if another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def _folder_lock(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``target``; an :class:`InputError` if another run holds it."""
    lock_path = target.with_name(f".{target.name}.lock")
    for _ in range(5):
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the end
        if not _try_lock(handle):
            handle.close()
            raise InputError(
                f"another planner run is writing output folder {target} right now; wait for it "
                f"to finish or choose another `--out` (lock file {lock_path.name})."
            )
        try:
            same = os.path.samestat(os.fstat(handle.fileno()), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:  # not a lock file that its previous holder removed meanwhile
            break
        handle.close()
    else:  # pragma: no cover - five lost races in a row
        raise InputError(f"cannot lock output folder {target}; try again.")
    try:
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        # Removed before unlocking: a waiter re-checks the inode. Windows cannot remove an
        # open file; there the lock file stays (harmless, reused by the next run).
        with suppress(OSError):
            lock_path.unlink(missing_ok=True)
        handle.close()


def _remove_stale(target: Path) -> list[Path]:
    """Remove ``.NAME.tmp-*`` / ``.NAME.old-*`` folders of killed runs (planner-written only)."""
    removed = []
    for prefix in (f".{target.name}.tmp-", f".{target.name}.old-"):
        for path in target.parent.glob(f"{prefix}*"):
            if path.is_dir() and not path.is_symlink() and (path / MARKER).is_file():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


# --------------------------------------------------------------------------------------
# the claim


@dataclass(frozen=True)
class OutDirClaim:
    """An output folder reserved for one run (see :func:`claim_out_dir`)."""

    target: Path
    force: bool

    @contextmanager
    def writing(self) -> Iterator[Path]:
        """A temporary folder beside the target, renamed into place if the body succeeds."""
        target = self.target
        if target.exists():
            # Checked again: the folder may have appeared, or the user may have saved a
            # file into it, since the claim's check.
            check_out_dir(target, force=self.force)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            umask = os.umask(0)
            os.umask(umask)
            tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; follow the user's umask
            _write_marker(tmp)
            yield tmp
            _write_marker(tmp, files=_written_files(tmp))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            if not is_planner_folder(old) or foreign_files(old):  # changed since the check
                os.replace(old, target)
                shutil.rmtree(tmp, ignore_errors=True)
                check_out_dir(target, force=self.force)  # raises, saying what is in the way
                raise InputError(f"`--out` {target} changed during the run; run again.")
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _written_files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.name != MARKER and not (p.is_dir() and not p.is_symlink())
    )


def _write_marker(folder: Path, *, files: list[str] | None = None) -> None:
    """Write :data:`MARKER`; ``files`` lists what the run wrote (see :func:`foreign_files`)."""
    from planner import __version__

    doc: dict[str, object] = {
        "written_by": "service-centre-planner",
        "version": __version__,
        "pid": os.getpid(),
    }
    if files is not None:
        doc["files"] = files
    (folder / MARKER).write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")


@contextmanager
def claim_out_dir(
    out: str | os.PathLike[str], *, force: bool, protect: Iterable[Path] = ()
) -> Iterator[OutDirClaim]:
    """Check ``out`` (:func:`check_out_dir`), lock it, clean what killed runs left.

    Hold the claim from before the solve until :meth:`OutDirClaim.writing` has
    put the folder in place. Parent folders it had to create are removed again
    if the run fails, so a failed run leaves nothing behind.
    """
    target = check_out_dir(out, force=force, protect=protect)
    missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"`--out` {out}: cannot create {target.parent} ({exc.strerror}); choose another `--out`."
        ) from None
    try:
        with _folder_lock(target):
            _remove_stale(target)
            yield OutDirClaim(target=target, force=force)
    except BaseException:
        if not target.exists():
            for folder in missing:  # innermost first
                try:
                    folder.rmdir()
                except OSError:
                    break
        raise


def input_paths(config: ScenarioConfig) -> list[Path]:
    """The scenario's folder and every input file: what an output folder must never hold."""
    d = config.data
    sources: list[LayerSource | None] = [
        d.population,
        d.residential,
        d.faults,
        d.candidates,
        d.existing,
    ]
    if config.travel.network is not None:
        sources.append(config.travel.network)
    return [config.base_dir, *(config.resolve(s.path) for s in sources if s is not None)]


@contextmanager
def atomic_output_dir(
    out_dir: Path, *, force: bool, protect: Sequence[Path] = ()
) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; rename it into place only if the body succeeds.

    Checks, locks and cleans like :func:`claim_out_dir`; to hold
    the lock over a long solve, claim the folder before solving instead.
    """
    with claim_out_dir(out_dir, force=force, protect=protect) as claim, claim.writing() as tmp:
        yield tmp
