"""The one table of location models: what each needs, optimises and is solved by.

Every place that asks "does this model take ``p``?", "is it a coverage model?",
"which methods solve it?" reads :data:`MODEL_TABLE`: argument checks in
:func:`planner.optimize.solve`, the methods of ``planner.optimize.scale``, the
scenario file's model names and settings, the trade-off curve and the app's model
choices. Adding a model means adding one row here (and its formulation).

The table holds facts only (no words for users: labels live in ``planner.present.i18n``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from planner.errors import ProblemError

__all__ = [
    "COVERAGE_MODELS",
    "MODELS",
    "MODEL_TABLE",
    "ModelSpec",
    "model_spec",
    "models_where",
]

#: How a model uses a setting: must be given, may be given, must be left out.
Need = Literal["required", "optional", "no"]


@dataclass(frozen=True)
class ModelSpec:
    """Facts about one location model.

    Attributes
    ----------
    name
        Model name as in ``solve(model=...)`` and the scenario's ``model.name``.
    p
        The number of sites to open (``"optional"``: exactly ``p`` when given).
    radius
        Coverage radius or cut-off in the cost's unit (minutes or metres).
    sense
        ``"min"`` or ``"max"``: the objective's direction, and so the side of the
        proven bound (:attr:`planner.optimize.Solution.bound`).
    methods
        Methods of ``SolverOptions(method=...)`` besides ``"auto"``.
    scale_method
        ``method="auto"`` may hand large instances to
        :func:`planner.optimize.scale.heuristics.solve_large`.
    scale_first
        ``method="auto"`` tries the scale method first at every size.
    capacity
        Site capacities: ``"required"`` (the model is capacitated), ``"optional"``
        (capacitated when the problem has capacities) or ``"no"``.
    coverage
        A coverage model: the radius decides who is served (no assignment cost).
    facility_costs
        Takes opening costs, a budget and ``max_sites``.
    tradeoff
        Has a trade-off curve over ``p`` (objective against the number of centres).
    p_note, radius_note
        Why ``p`` / ``radius`` does not apply, for error messages (``"no"`` only).
    """

    name: str
    p: Need
    radius: Need
    sense: Literal["min", "max"]
    methods: tuple[str, ...]
    scale_method: bool = False
    scale_first: bool = False
    capacity: Need = "no"
    coverage: bool = False
    facility_costs: bool = False
    tradeoff: bool = False
    p_note: str = ""
    radius_note: str = ""


_ROWS: Final = (
    ModelSpec(
        "p_median", p="required", radius="optional", sense="min",
        methods=("exact", "heuristic"), scale_method=True, scale_first=True, tradeoff=True,
    ),
    ModelSpec(
        "mclp", p="required", radius="required", sense="max",
        methods=("exact", "heuristic"), scale_method=True, coverage=True, tradeoff=True,
    ),
    ModelSpec(
        "lscp", p="no", radius="required", sense="min", methods=("exact",),
        scale_method=True, coverage=True, p_note="it finds the fewest sites",
    ),
    ModelSpec(
        "p_center", p="required", radius="no", sense="min", methods=("exact",),
        scale_method=True, tradeoff=True, radius_note="it finds the radius",
    ),
    ModelSpec(
        "capacitated_p_median", p="required", radius="optional", sense="min",
        methods=("exact", "heuristic"), capacity="required", scale_method=True,
    ),
    ModelSpec(
        "facility_location", p="optional", radius="optional", sense="min",
        methods=("exact", "heuristic"), capacity="optional", facility_costs=True,
        scale_method=True, scale_first=True,
    ),
)  # fmt: skip

#: Every model by name, in the order of ``docs/models.md``.
MODEL_TABLE: Final[Mapping[str, ModelSpec]] = {row.name: row for row in _ROWS}

#: Model names.
MODELS: Final[tuple[str, ...]] = tuple(MODEL_TABLE)


def models_where(**facts: object) -> tuple[str, ...]:
    """Names of the models whose facts match, e.g. ``models_where(p="required")``."""
    for key in facts:
        if key not in ModelSpec.__dataclass_fields__:
            raise TypeError(f"ModelSpec has no fact {key!r}")
    return tuple(
        name
        for name, spec in MODEL_TABLE.items()
        if all(getattr(spec, key) == value for key, value in facts.items())
    )


#: Coverage models: the radius decides who is served; in every other model a radius
#: limits where a point (hotspots included) may be served.
COVERAGE_MODELS: Final[tuple[str, ...]] = models_where(coverage=True)


def model_spec(name: str) -> ModelSpec:
    """The table row of model ``name``; :class:`~planner.errors.ProblemError` if unknown."""
    try:
        return MODEL_TABLE[name]
    except (KeyError, TypeError):
        raise ProblemError(
            f"unknown `model` {name!r}; choose one of {', '.join(MODELS)}."
        ) from None
