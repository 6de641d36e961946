"""Sweep grids: which scenario settings may vary, their values (lists and ranges), the
grid of every combination and the scenario of one point (:func:`apply_overrides`)."""

from __future__ import annotations

import itertools
import math
import re
import tomllib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from planner.errors import ConfigError
from planner.limits import current_limits
from planner.runs.config import ScenarioConfig, load_scenario, scenario_from_dict

#: Scenario sections that never change the loaded inputs (demand, sites, travel).
MODEL_SECTIONS = (
    "name",
    "title",
    "description",
    "model",
    "solver",
    "standards",
    "outputs",
    "sweep",
)
#: Demand settings that only re-blend the stored components (``weight`` column).
WEIGHT_KEYS = ("population", "residential", "faults")
TRADEOFF_KEY = "outputs.tradeoff_max_p"
_EXAMPLES = (
    "model.p, demand.faults, model.radius, standards.response_minutes_urban, data.existing.policy"
)


# --------------------------------------------------------------------------------------
# parameters


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``X``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def check_parameter(key: str) -> None:
    """Check that ``key`` is a dotted scenario setting that holds a value.

    Raises
    ------
    ConfigError
        Naming the unknown part of the key and giving examples of valid ones.
    """
    parts = key.strip().split(".")
    model: type[BaseModel] = ScenarioConfig
    for i, part in enumerate(parts):
        so_far = ".".join(parts[: i + 1])
        fields = model.model_fields
        if part not in fields or part == "base_dir":
            options = ", ".join(f for f in fields if f != "base_dir")
            raise ConfigError(
                f"sweep parameter `{key}`: `{so_far}` is not a scenario setting (settings here: "
                f"{options}); sweep a dotted setting such as {_EXAMPLES}."
            )
        sub = _unwrap_model(fields[part].annotation)
        last = i == len(parts) - 1
        if not last and sub is None:
            raise ConfigError(
                f"sweep parameter `{key}`: `{so_far}` is a single setting, not a table; "
                f"sweep `{so_far}` itself."
            )
        if last and sub is not None:
            first = next(iter(sub.model_fields))
            raise ConfigError(
                f"sweep parameter `{key}` is a whole table; sweep one of its settings, "
                f"e.g. `{key}.{first}`."
            )
        if sub is not None:
            model = sub


def _scalar(text: str) -> Any:
    """A TOML scalar (``3``, ``0.2``, ``true``, ``"x"``), or the bare text as a string."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _range(text: str, key: str) -> list[Any]:
    parts = [p.strip() for p in text.split(":")]
    if len(parts) not in (2, 3) or not all(parts):
        raise ConfigError(
            f"sweep parameter `{key}`: range {text!r} must be start:stop or start:stop:step."
        )
    nums = [_scalar(p) for p in parts]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums):
        raise ConfigError(f"sweep parameter `{key}`: range {text!r} must hold numbers.")
    start, stop = nums[0], nums[1]
    step = nums[2] if len(nums) == 3 else 1
    if step <= 0 or stop < start:
        raise ConfigError(
            f"sweep parameter `{key}`: range {text!r} needs start <= stop and a step > 0."
        )
    n = math.floor((stop - start) / step + 1e-9) + 1
    if n > 10_000:
        raise ConfigError(f"sweep parameter `{key}`: range {text!r} has {n} values; 10000 at most.")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return list(range(start, stop + 1, step))
    return [round(start + k * step, 12) for k in range(n)]


def parse_values(spec: Any, *, key: str = "parameter") -> list[Any]:
    """The values of one sweep parameter.

    Parameters
    ----------
    spec
        A list of values; or text: a range ``"3:32"`` / ``"0:1:0.25"`` (both ends
        included), a comma list ``"0,0.2,0.4"`` / ``"keep,may_close"``, a TOML
        array ``"[[15, 30], [10, 20]]"`` (for settings that are themselves lists),
        or a single value.
    key
        The parameter's name, for messages.
    """
    if isinstance(spec, list | tuple):
        values = list(spec)
    elif isinstance(spec, str):
        text = spec.strip()
        if text.startswith("["):
            parsed = _scalar(text)
            if not isinstance(parsed, list):
                raise ConfigError(f"sweep parameter `{key}`: {text!r} is not a valid TOML array.")
            values = parsed
        elif re.fullmatch(r"[-+0-9.eE_]+:[-+0-9.eE_]+(:[-+0-9.eE_]+)?", text):
            values = _range(text, key)
        else:
            values = [_scalar(v) for v in text.split(",")] if text else []
    else:
        values = [spec]
    if not values:
        raise ConfigError(f"sweep parameter `{key}` has no values; give e.g. `{key}=3:10`.")
    return values


def parse_param(text: str) -> tuple[str, list[Any]]:
    """Parse one command-line ``--param KEY=VALUES`` (see :func:`parse_values`)."""
    if "=" not in text:
        raise ConfigError(
            f"--param {text!r}: write SETTING=VALUES, e.g. --param model.p=3:32 "
            "or --param demand.faults=0,0.2,0.4."
        )
    key, _, spec = text.partition("=")
    key = key.strip()
    check_parameter(key)
    return key, parse_values(spec, key=key)


def check_grid_size(params: Mapping[str, Sequence[Any]], *, source: str = "sweep") -> int:
    """The number of runs of a grid (the product of the parameters' numbers of values),
    checked against ``PLANNER_MAX_SWEEP_RUNS`` before any run is made.

    Raises
    ------
    ConfigError
        The grid is larger than the limit; the message gives each size and the setting.
    """
    sizes = {key: len(values) for key, values in params.items()}
    total = math.prod(sizes.values())
    limit = current_limits().max_sweep_runs
    if total > limit:
        shape = " x ".join(f"{n:,} ({key})" for key, n in sizes.items())
        raise ConfigError(
            f"{source}: the grid has {shape} = {total:,} runs, over the limit of {limit:,} runs "
            "(setting PLANNER_MAX_SWEEP_RUNS); sweep fewer values or raise the setting."
        )
    return total


def sweep_grid(params: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the parameters' values, the last parameter varying fastest.

    Raises
    ------
    ConfigError
        An unknown setting, or more runs than ``PLANNER_MAX_SWEEP_RUNS`` (:func:`check_grid_size`).
    """
    keys = list(params)
    for key in keys:
        check_parameter(key)
    check_grid_size(params)
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(list(params[k]) for k in keys))
    ]


def apply_overrides(
    config: ScenarioConfig, overrides: Mapping[str, Any], *, source: str = "sweep"
) -> ScenarioConfig:
    """A copy of ``config`` with dotted settings replaced, validated like a scenario file.

    >>> apply_overrides(config, {"model.p": 5, "demand.faults": 0.4})  # doctest: +SKIP

    Raises
    ------
    ConfigError
        For an unknown setting, a value of the wrong type or range (the message
        names the setting and the value), or a table missing from the scenario.
    """
    if not overrides:
        return config
    data = config.model_dump(mode="json")
    for key, value in overrides.items():
        check_parameter(key)
        parts = key.split(".")
        node = data
        for depth, part in enumerate(parts[:-1]):
            if node.get(part) is None:
                table = ".".join(parts[: depth + 1])
                raise ConfigError(
                    f"{source}: `{key}` needs a [{table}] table in the scenario file; add it first."
                )
            node = node[part]
        node[parts[-1]] = value
    label = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    return scenario_from_dict(data, base_dir=config.base_dir, source=f"{source} ({label})")


def load_sweep_scenario(path: str | Path) -> tuple[ScenarioConfig, dict[str, list[Any]]]:
    """Read a scenario file and its optional ``[sweep]`` table.

    Returns
    -------
    (ScenarioConfig, dict)
        The scenario (without the sweep) and the parameters of its ``[sweep]``
        table, each parsed by :func:`parse_values` (empty without the table).
    """
    p = Path(path)
    if "sweep" in ScenarioConfig.model_fields:  # the scenario model knows the [sweep] table
        config = load_scenario(p)
        table = getattr(config, "sweep", None) or {}
    else:
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            raw = None
        if raw is None or "sweep" not in raw:
            return load_scenario(p), {}  # load_scenario raises the file's own errors
        table = raw.pop("sweep")
        if "base_dir" in raw:
            raise ConfigError(
                f"{p}: unknown setting `base_dir` (paths are relative to the scenario file)."
            )
        config = scenario_from_dict(raw, base_dir=p.resolve().parent, source=str(p))
    if not isinstance(table, dict):
        raise ConfigError(
            f'{p}: `sweep` must be a table: [sweep] with lines like "model.p" = "3:32".'
        )
    params: dict[str, list[Any]] = {}
    for key, spec in _flatten(table).items():
        try:
            check_parameter(key)
            params[key] = parse_values(spec, key=key)
        except ConfigError as exc:
            raise ConfigError(f"{p}: [sweep] {exc}") from None
    check_grid_size(params, source=f"{p}: [sweep]")
    return config, params


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"p": ...}}`` and ``{"model.p": ...}`` both give ``{"model.p": ...}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = value
    return out
