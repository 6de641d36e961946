"""Scenario files: the settings of one planning run, validated with pydantic.

A scenario is a TOML file. Paths inside it are relative to the file. Unknown
keys are rejected with their name, so a typo never silently falls back to a
default. :func:`load_scenario` turns every validation problem into one
:class:`~planner.errors.ConfigError` line naming the file, the key and the fix.
"""

from __future__ import annotations

import codecs
import os
import tomllib
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planner.errors import ConfigError

ModelName = Literal[
    "p_median", "mclp", "lscp", "p_center", "capacitated_p_median", "facility_location"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerSource(_Strict):
    """Where a layer comes from and how to read it."""

    path: Path
    layer: str | None = None
    crs: str | None = Field(
        None, description="wgs84, gcj02, bd09, cgcs2000 or an EPSG code, when the file does not say"
    )
    datum: Literal["wgs84", "gcj02", "bd09"] | None = None
    lon_col: str | None = None
    lat_col: str | None = None
    encoding: str | None = None
    attribution: str | None = Field(
        None, description="source and licence shown on maps and reports (else from sources.json)"
    )

    @field_validator("path", mode="before")
    @classmethod
    def _plain_path(cls, value: Any) -> Any:
        """No GDAL virtual path, driver prefix or URL (checked before the path is joined
        to the scenario's folder, where ``CSV:/etc/passwd`` would look relative)."""
        if isinstance(value, str | Path):
            from planner.errors import DataError
            from planner.sanitize import check_plain_path

            try:
                check_plain_path(value, what="the")
            except DataError as exc:
                raise ValueError(str(exc).removeprefix("the path ")) from None
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(
                    f"unknown text encoding {v!r}; use e.g. 'utf-8', 'gbk' or 'gb18030'"
                ) from None
        return v


class PopulationSource(LayerSource):
    population_col: str = "pop_20plus"
    pop65_col: str | None = "pop_65plus"
    id_col: str | None = "cell_id"
    pop65_path: Path | None = Field(
        None, description="GeoTIFF of residents 65+ when `path` is a population GeoTIFF"
    )
    band: int = Field(1, ge=1, description="band of a population GeoTIFF")

    @field_validator("pop65_path", mode="before")
    @classmethod
    def _plain_pop65_path(cls, value: Any) -> Any:
        return LayerSource._plain_path(value)


class ResidentialSource(LayerSource):
    column: str = "residential_density"


class FaultSource(LayerSource):
    timestamp_col: str | None = "reported_at"


class CandidateSource(LayerSource):
    id_col: str | None = "site_id"
    name_col: str | None = "name_zh"
    name_en_col: str | None = "name_en"
    category_col: str | None = "category"
    categories: list[str] | None = None
    exclude: list[str] = Field(default_factory=list)
    capacity_col: str | None = Field(
        None,
        description="column of each site's capacity (demand-weight units); empty: model.capacity",
    )


class GeneratedCandidates(_Strict):
    """Candidates generated at the densest demand cells (when no place list exists)."""

    n_sites: int = Field(100, ge=1)
    min_spacing_m: float = Field(1000.0, ge=0)


class ExistingSource(LayerSource):
    id_col: str | None = "centre_id"
    name_col: str | None = "name_zh"
    name_en_col: str | None = "name_en"
    policy: Literal["keep", "may_close"] = "keep"
    closable: list[str] = Field(default_factory=list)
    capacity_col: str | None = Field(
        None,
        description="column of each centre's capacity (demand-weight units); empty: model.capacity",
    )


class DataConfig(_Strict):
    population: PopulationSource
    residential: ResidentialSource | None = None
    faults: FaultSource | None = None
    candidates: CandidateSource | None = None
    generated_candidates: GeneratedCandidates | None = None
    existing: ExistingSource | None = None

    @model_validator(mode="after")
    def _need_candidates(self) -> DataConfig:
        if self.candidates is None and self.generated_candidates is None:
            raise ValueError(
                "give [data.candidates] (a layer of places) or [data.generated_candidates]"
            )
        return self


class DemandConfig(_Strict):
    population: float = Field(0.6, ge=0)
    residential: float = Field(0.2, ge=0)
    faults: float = Field(0.2, ge=0)
    fault_half_life_days: float | None = Field(None, gt=0)
    hotspot_quantile: float = Field(0.9, gt=0, lt=1)
    urban_density_per_km2: float = Field(1500.0, gt=0)
    rural_density_per_km2: float = Field(100.0, gt=0)
    cell_size_m: float | None = Field(
        None, gt=0, description="aggregate population cells into squares of this size (metres)"
    )

    @model_validator(mode="after")
    def _some_weight(self) -> DemandConfig:
        if self.population + self.residential + self.faults <= 0:
            raise ValueError(
                "population, residential and faults weights are all 0; set at least one > 0"
            )
        return self


class TravelConfig(_Strict):
    method: Literal["straight_line", "network"] = "straight_line"
    detour_factor: float = Field(1.3, ge=1.0)
    speed_kmh: float = Field(25.0, gt=0)
    network: LayerSource | None = None
    mode: Literal["drive", "walk", "ebike"] = "drive"
    cutoff_minutes: float = Field(60.0, gt=0)
    max_snap_m: float = Field(500.0, gt=0)
    unsnapped: Literal["straight_line", "drop"] = "straight_line"

    @model_validator(mode="after")
    def _network_needs_file(self) -> TravelConfig:
        if self.method == "network" and self.network is None:
            raise ValueError(
                "method = 'network' needs [travel.network] with the road network's path"
            )
        return self


class StandardsConfig(_Strict):
    """Service standards in minutes (the State Grid promise: 45 urban, 90 rural, 120 remote)."""

    service_minutes: list[float] = Field(default_factory=lambda: [15.0, 30.0])
    response_minutes_urban: float = Field(45.0, gt=0)
    response_minutes_rural: float = Field(90.0, gt=0)
    response_minutes_remote: float = Field(120.0, gt=0)

    @field_validator("service_minutes")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        if not v or any(x <= 0 for x in v):
            raise ValueError("service_minutes must be a non-empty list of minutes > 0")
        return sorted(v)


class ModelConfig(_Strict):
    name: ModelName = "p_median"
    p: int | None = Field(
        None,
        ge=1,
        description="number of centres to open (p_median, mclp, p_center, capacitated_p_median; "
        "facility_location: exactly this many); no default: a model that needs it says so",
    )
    max_sites: int | None = Field(
        None,
        ge=1,
        description="facility_location: at most this many centres (existing ones included)",
    )
    cost: Literal["minutes", "distance"] = "minutes"
    radius: float | None = Field(
        None, gt=0, description="coverage radius in the cost's unit (mclp, lscp)"
    )
    enforce_hotspot_response: bool = False
    percentile_standards: list[tuple[float, float]] | None = Field(
        None,
        description="[[cost, share], ...]: at least `share` (0-1) of the demand weight served "
        "within `cost` (the model's cost unit, minutes or metres), e.g. [[15, 0.8]]",
    )
    capacity: float | None = Field(
        None,
        gt=0,
        description="capacity of every site in weight units (the default where a site layer's "
        "capacity_col is empty)",
    )
    opening_cost: float | None = Field(None, ge=0)
    budget: float | None = Field(None, gt=0)

    @field_validator("percentile_standards")
    @classmethod
    def _standards(cls, v: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        for cost, share in v or []:
            if not cost > 0 or not 0 < share <= 1:
                raise ValueError(
                    "each percentile standard is [cost > 0, share in (0, 1]], e.g. [15, 0.8]"
                )
        return v


class SolverConfig(_Strict):
    method: Literal["auto", "exact", "heuristic"] = "auto"
    solver: Literal["highs", "cbc"] = "highs"
    time_limit_s: float | None = Field(120.0, gt=0)
    seed: int = 0
    target_gap: float = Field(
        0.001,
        ge=0,
        lt=1,
        description="method 'auto' stops once the certified gap is within this share "
        "(0.001 = 0.1 %); 0 works on to the proof or the time limit",
    )


class OutputConfig(_Strict):
    language: Literal["zh", "en"] = "zh"
    basemap: str = "osm"
    map: bool = True
    report: bool = True
    geopackage: bool = True
    tradeoff_max_p: int | None = Field(None, ge=1)
    #: The trade-off curve is left out above this many demand points (raise it to ask
    #: for the curve anyway; None: always drawn).
    tradeoff_max_points: int | None = Field(200_000, ge=1)


class ScenarioConfig(_Strict):
    """A whole scenario file."""

    name: str = "scenario"
    title: str | None = None
    description: str | None = None
    data: DataConfig
    demand: DemandConfig = DemandConfig()
    travel: TravelConfig = TravelConfig()
    model: ModelConfig = ModelConfig()
    standards: StandardsConfig = StandardsConfig()
    solver: SolverConfig = SolverConfig()
    outputs: OutputConfig = OutputConfig()
    strict: bool = Field(
        False,
        description="plausibility warnings (layers far apart, points far outside the study "
        "area or outside China with a Chinese datum, degrees under a projected CRS) are errors",
    )
    #: Sweep grid for `planner sweep`: dotted setting -> list of values or "start:stop[:step]";
    #: checked by planner.runs.sweep, ignored by `planner run`.
    sweep: dict[str, Any] | None = None
    #: Folder that relative paths start from (the scenario file's folder); not a TOML key.
    base_dir: Path = Field(default=Path("."), exclude=True)

    def resolve(self, path: Path) -> Path:
        """A path from the file, made absolute against the scenario's folder."""
        return path if path.is_absolute() else (self.base_dir / path).resolve()


def _format_errors(exc: ValidationError, source: str) -> str:
    parts = []
    for err in exc.errors()[:3]:
        key = ".".join(str(x) for x in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(
                f"unknown setting `{key}` (check its spelling; see scenarios/wuhan_demo.toml)"
            )
        elif err["type"] == "missing":
            parts.append(f"missing setting `{key}`")
        else:
            parts.append(f"`{key}`: {err['msg']} (got {err.get('input')!r})")
    more = f" (+{len(exc.errors()) - 3} more)" if len(exc.errors()) > 3 else ""
    return f"{source}: " + "; ".join(parts) + more


def scenario_from_dict(
    data: dict[str, Any], *, base_dir: Path = Path("."), source: str = "scenario"
) -> ScenarioConfig:
    """Validate a scenario given as a dictionary (the parsed TOML)."""
    try:
        return ScenarioConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source)) from None


#: Largest scenario file read, in bytes.
MAX_SCENARIO_BYTES: Final = 4_000_000


def load_scenario(path: str | Path) -> ScenarioConfig:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"scenario file {p} does not exist; check the path.")
    if p.is_dir():
        raise ConfigError(f"scenario {p} is a folder; give the scenario's .toml file inside it.")
    with open(p, "rb") as fh:  # a scenario is a few KB; /dev/zero or a huge line is not one
        raw = fh.read(MAX_SCENARIO_BYTES + 1)
    if len(raw) > MAX_SCENARIO_BYTES:
        raise ConfigError(
            f"scenario file {p} is larger than {MAX_SCENARIO_BYTES // 1_000_000} MB; a scenario "
            "is a short TOML text naming its layer files (give the layers as files, not inline)."
        )
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text; save the scenario file as UTF-8.") from None
    if "base_dir" in data:
        raise ConfigError(
            f"{p}: unknown setting `base_dir` (paths are relative to the scenario file)."
        )
    return scenario_from_dict(data, base_dir=p.resolve().parent, source=str(p))


#: The project folder (the parent of the ``planner`` package): where ``scenarios/`` is.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def demo_scenario_path(*, hint: str = "run from the project folder") -> Path:
    """The demo scenario: ``PLANNER_DEMO_SCENARIO`` if set, else
    ``scenarios/wuhan_demo.toml`` of the project folder or of the current folder.

    Parameters
    ----------
    hint
        How to fix a missing demo, for the error message (the CLI and the app differ).
    """
    env = os.environ.get("PLANNER_DEMO_SCENARIO", "").strip()
    if env:
        return Path(env)
    for root in (_PROJECT_ROOT, Path.cwd()):
        candidate = root / "scenarios" / "wuhan_demo.toml"
        if candidate.exists():
            return candidate
    raise ConfigError(f"the demo scenario scenarios/wuhan_demo.toml was not found; {hint}.")
