"""The Complaint Handling Code's timescales, and a landlord's policy profile that may only be stricter.

Where is the five-day rule? Here: ``CODE_LIMITS[1].acknowledge_within`` (Code 6.2) and
``CODE_LIMITS[2].acknowledge_within`` (Code 6.11). A landlord's profile (a YAML file) may shorten
any limit, never lengthen it, and may not add or remove a stage (Code 5.2, 5.3): loading one that
does fails with a ``PolicyError`` naming the provision it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backend.domain.calendar import CalendarError, normalise_region


@dataclass(frozen=True)
class StageTimescale:
    """Working-day limits for one stage of the two-stage process."""

    stage: int
    acknowledge_within: int
    respond_within: int
    max_extension: int


@dataclass(frozen=True)
class CodeProvision:
    number: str
    summary: str


#: The statutory ceiling. Stage numbers are the keys; there are exactly two (Code 5.3).
CODE_LIMITS: dict[int, StageTimescale] = {
    1: StageTimescale(stage=1, acknowledge_within=5, respond_within=10, max_extension=10),
    2: StageTimescale(stage=2, acknowledge_within=5, respond_within=20, max_extension=20),
}

#: Which provision sets each limit, so a refusal can name it.
PROVISIONS: dict[tuple[int, str], CodeProvision] = {
    (1, "acknowledge_within"): CodeProvision("6.2", "stage 1 complaints are acknowledged, defined and logged within 5 working days of receipt"),
    (1, "respond_within"): CodeProvision("6.3", "a full stage 1 response is issued within 10 working days of acknowledgement"),
    (1, "max_extension"): CodeProvision("6.4", "a stage 1 extension is no more than 10 working days without good reason"),
    (2, "acknowledge_within"): CodeProvision("6.11", "stage 2 requests are acknowledged, defined and logged within 5 working days of the request"),
    (2, "respond_within"): CodeProvision("6.14", "the stage 2 response is issued within 20 working days of acknowledgement"),
    (2, "max_extension"): CodeProvision("6.15", "a stage 2 extension is no more than 20 working days without good reason"),
}

DEFAULT_PROFILE_PATH = Path(__file__).resolve().parent.parent / "policy" / "default.yaml"


class PolicyError(ValueError):
    """A landlord policy profile that the Code does not allow."""


@dataclass(frozen=True)
class PolicyProfile:
    """One landlord's timescales: the Code's, or stricter."""

    name: str
    region: str
    stages: dict[int, StageTimescale]
    due_soon_within: int = 2
    notes: str = ""
    source: str = field(default="<memory>", compare=False)

    def stage(self, number: int) -> StageTimescale:
        return self.stages[number]


def _int_field(raw: dict[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{where}: '{key}' must be a whole number of working days, got {value!r}")
    if value < 1:
        raise PolicyError(f"{where}: '{key}' must be at least 1 working day, got {value}")
    return value


def profile_from_mapping(raw: Any, source: str = "<memory>") -> PolicyProfile:
    """Validate a profile against the Code and build it; every refusal names the provision."""
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: a policy profile must be a mapping with 'name', 'region' and 'stages'")
    name = str(raw.get("name") or "").strip()
    if not name:
        raise PolicyError(f"{source}: the profile needs a 'name'")
    try:
        region = normalise_region(str(raw.get("region", "england-and-wales")))
    except CalendarError as exc:
        raise PolicyError(f"{source}: {exc}") from exc

    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise PolicyError(f"{source}: 'stages' must list stage 1 and stage 2")
    numbers = [s.get("stage") if isinstance(s, dict) else None for s in stages_raw]
    if len(stages_raw) > 2 or any(n not in (1, 2) for n in numbers):
        raise PolicyError(
            f"{source}: the profile defines {len(stages_raw)} stage(s) {numbers}; "
            "Code 5.3: a process with more than two stages is not acceptable under any circumstances, "
            "and Code 5.2: no extra named stages such as 'stage 0' or 'informal complaint'"
        )
    if sorted(numbers) != [1, 2]:
        raise PolicyError(
            f"{source}: the profile must define exactly stage 1 and stage 2, got {numbers}; "
            "Code 5.3: a two-stage process (stage 2 is the landlord's final response, Code 6.10)"
        )

    stages: dict[int, StageTimescale] = {}
    for item in stages_raw:
        number = int(item["stage"])
        where = f"{source}: stage {number}"
        values = {key: _int_field(item, key, where) for key in ("acknowledge_within", "respond_within", "max_extension")}
        ceiling = CODE_LIMITS[number]
        for key, value in values.items():
            limit = getattr(ceiling, key)
            if value > limit:
                provision = PROVISIONS[(number, key)]
                raise PolicyError(
                    f"{where}: '{key}' of {value} working days is looser than the Code allows "
                    f"({limit}); Code {provision.number}: {provision.summary}. "
                    "A landlord may be stricter than the Code, never looser."
                )
        stages[number] = StageTimescale(stage=number, **values)

    due_soon = raw.get("due_soon_within", 2)
    if isinstance(due_soon, bool) or not isinstance(due_soon, int) or due_soon < 0:
        raise PolicyError(f"{source}: 'due_soon_within' must be zero or more working days, got {due_soon!r}")
    return PolicyProfile(
        name=name,
        region=region,
        stages=stages,
        due_soon_within=due_soon,
        notes=str(raw.get("notes", "")),
        source=source,
    )


def load_profile(path: str | Path = DEFAULT_PROFILE_PATH) -> PolicyProfile:
    """Read a YAML policy profile; a profile looser than the Code is refused, never trimmed."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"policy profile {p} does not exist") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy profile {p} is not valid YAML: {exc}") from exc
    return profile_from_mapping(raw, source=str(p))
