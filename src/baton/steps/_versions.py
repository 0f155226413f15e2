"""The versions of a study a store has seen, and what an edit since the last one changed.

A store is never locked to one version of its study: each step records the version it ran
with, and an edited study is compared with the last version recorded, field by field, to
say what the edit invalidates. Nothing stored is deleted for it: a response records the
request it answered and a verdict its judge's version, so ``baton replay`` asks again only
the pairs whose request changed and ``baton judge`` redoes only the verdicts of an edited
judge or of a response asked again; the caches keep every answer, so going back to an
earlier version costs nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from baton.storage import Store
from baton.study import IngestSpark, Study, drop_later_decision_defaults, study_fingerprint

__all__ = [
    "Scope",
    "StudyChange",
    "StudyChanges",
    "record_version",
    "study_changes",
    "study_digest",
    "study_document",
]

Scope = Literal["items", "responses", "verdicts", "decisions", "nothing"]
"""What an edit invalidates, from the widest: items (and so everything); some models'
responses and their verdicts; some judges' verdicts; only the decisions (nothing stored);
nothing at all."""

_REFRESH: dict[Scope, str] = {
    "items": "baton ingest, then baton replay and baton judge",
    "responses": "baton replay, then baton judge",
    "verdicts": "baton judge",
    "decisions": "nothing to redo: decisions are computed anew (baton decide, baton report)",
    "nothing": "nothing to redo",
}
_SPARK_DEFAULT = IngestSpark().model_dump(mode="json")
_REQUEST_FIELDS = {"provider", "model", "base_url", "parameters", "system_prompt"}


@dataclass(frozen=True)
class StudyChange:
    """One field that differs from the last version: its path (``candidates[fast].
    parameters.max_tokens``), the values before and after (None where absent), what it
    invalidates (``scope``; for ``responses`` the models in ``models``) and in words."""

    path: str
    before: Any
    after: Any
    scope: Scope
    models: tuple[str, ...] = ()
    invalidates: str = ""

    @property
    def refresh(self) -> str:
        """The command that redoes what the change invalidates."""
        return _REFRESH[self.scope]


@dataclass(frozen=True)
class StudyChanges:
    """The study as it is now against the last version the store recorded.

    ``previous`` is that version's digest (None for a store that recorded none); ``changes``
    is empty when the study is that version. ``new_version``: the store had never seen it.
    """

    fingerprint: str
    digest: str
    previous: str | None
    changes: tuple[StudyChange, ...]
    new_version: bool

    @property
    def stale_models(self) -> tuple[str, ...]:
        """The models whose responses an edit made stale."""
        seen = dict.fromkeys(m for c in self.changes if c.scope == "responses" for m in c.models)
        return tuple(seen)

    def lines(self) -> list[str]:
        """Each change in one line: field, before -> after, what it invalidates."""
        return [
            f"{c.path}: {_show(c.before)} -> {_show(c.after)} ({c.invalidates}; {c.refresh})"
            for c in self.changes
        ]


def study_document(study: Study) -> dict[str, Any]:
    """The study as stored with each version: its JSON, without where its store is."""
    data = study.model_dump(mode="json")
    data.pop("store", None)
    for spec in _model_documents(data):
        for name, unset in _PLATFORM_DEFAULTS.items():
            if spec.get(name, unset) == unset:
                spec.pop(name, None)  # versions recorded before these fields read the same
    drop_later_decision_defaults(data["decision"])  # versions before them read the same
    return _without_default_engine(data)


def _without_default_engine(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the ingest engine where it is the default: versions recorded
    before the setting existed stay the same version."""
    ingest = data.get("ingest")
    if not isinstance(ingest, dict) or ingest.get("engine", "duckdb") != "duckdb":
        return data
    if ingest.get("spark", _SPARK_DEFAULT) != _SPARK_DEFAULT:
        return data
    rest = {k: v for k, v in ingest.items() if k not in ("engine", "spark")}
    return {**data, "ingest": rest}


_PLATFORM_DEFAULTS: dict[str, Any] = {
    "region": None,
    "aws_profile": None,
    "project": None,
    "api_version": None,
    "entra_id": False,
    "batch_price_per_mtok_input": None,
    "batch_price_per_mtok_output": None,
}
"""Model fields added after versions were first recorded (the native providers', batch
prices), left out of a version's document while unset."""


def _model_documents(data: dict[str, Any]) -> list[dict[str, Any]]:
    specs = [data["incumbent"], *data["candidates"], data.get("judge_model")]
    for dimension in data.get("dimensions", []):
        specs.append(dimension.get("judge", {}).get("model"))
        specs += [check.get("model") for check in dimension.get("checks", [])]
    return [spec for spec in specs if isinstance(spec, dict)]


def study_digest(study: Study) -> str:
    """A hash of ``study_document``: every edit gives a new version, a judge's too."""
    canonical = json.dumps(study_document(study), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def study_changes(store: Store, study: Study) -> StudyChanges:
    """How ``study`` differs from the last version ``store`` recorded. Writes nothing."""
    digest = study_digest(study)
    versions = store.study_versions()
    known = {v.digest for v in versions}
    last = versions[-1] if versions else None
    changes: tuple[StudyChange, ...] = ()
    if last is not None and last.digest != digest:
        changes = tuple(diff_studies(last.study, study_document(study)))
    return StudyChanges(
        fingerprint=study_fingerprint(study),
        digest=digest,
        previous=None if last is None else last.digest,
        changes=changes,
        new_version=digest not in known,
    )


def record_version(store: Store, study: Study) -> StudyChanges:
    """``study_changes``, then record ``study`` as the version now in use."""
    changes = study_changes(store, study)
    store.add_study_version(changes.digest, changes.fingerprint, study_document(study))
    return changes


def diff_studies(before: dict[str, Any], after: dict[str, Any]) -> list[StudyChange]:
    """Every leaf field that differs between two study documents, with what it invalidates."""
    old = _flatten(_without_default_engine(before))
    new = _flatten(_without_default_engine(after))
    _collapse_entries(old, new)
    models = [m["name"] for m in (after["incumbent"], *after["candidates"])]
    changes = []
    for path in sorted(old.keys() | new.keys(), key=_path_order):
        if old.get(path, _ABSENT) == new.get(path, _ABSENT):
            continue
        scope, affected, words = _invalidates(path, models)
        changes.append(StudyChange(path, old.get(path), new.get(path), scope, affected, words))
    return changes


_ABSENT = object()


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf fields by path; lists of named mappings are keyed by name (``regions[eu]``)."""
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    named = (
        isinstance(data, list) and data and all(isinstance(x, dict) and "name" in x for x in data)
    )
    if named:
        flat = {}
        for entry in data:
            flat.update(_flatten(entry, f"{prefix}[{entry['name']}]"))
        return flat
    return {prefix: data}


def _collapse_entries(old: dict[str, Any], new: dict[str, Any]) -> None:
    """A named entry (a candidate, a dimension) only one side has becomes one field."""
    for one, other in ((old, new), (new, old)):
        entries = {_entry(path) for path in one} - {_entry(path) for path in other}
        for entry in entries - {None}:
            assert entry is not None
            for path in [p for p in one if _entry(p) == entry]:
                del one[path]
            one[entry] = "(present)"


def _entry(path: str) -> str | None:
    """The named entry a path is in (``candidates[fast]``), None outside one."""
    end = path.find("]")
    return path[: end + 1] if end > 0 else None


def _path_order(path: str) -> tuple[int, str]:
    top = path.split(".", 1)[0].split("[", 1)[0]
    order = ["name", "ingest", "service", "incumbent", "candidates", "judge_model"]
    return (order.index(top) if top in order else len(order), path)


def _invalidates(path: str, models: list[str]) -> tuple[Scope, tuple[str, ...], str]:
    top, _, rest = path.partition(".")
    head = top.split("[", 1)[0]
    if head in {"incumbent", "candidates"}:
        return _model_scope(top, rest, head, models)
    if head in {"judge_model", "dimensions", "regions"}:
        return _judging_scope(top, rest, head)
    return _other_scope(head, rest, models)


def _other_scope(head: str, rest: str, models: list[str]) -> tuple[Scope, tuple[str, ...], str]:
    if head == "ingest" and rest.startswith(("engine", "spark")):
        return "nothing", (), "nothing stored (both engines draw the same sample)"
    if head == "ingest":
        return "items", tuple(models), "the sample of items, and so everything"
    if head == "service" and rest.startswith(("system_prompt", "parameters")):
        return "responses", tuple(models), "every model's responses and their verdicts"
    if head == "service":
        return "verdicts", (), "the verdicts of the judges that read it"
    if head in {"labels", "decision"}:
        return "decisions", (), "nothing stored; only the decisions"
    return "nothing", (), "nothing stored"


def _model_scope(
    top: str, rest: str, head: str, models: list[str]
) -> tuple[Scope, tuple[str, ...], str]:
    name = models[0] if head == "incumbent" else top[len("candidates[") : -1]
    field = rest.split(".", 1)[0]
    if not rest or field == "name":
        return "responses", (name,), f"{name}'s responses (a model added or removed)"
    if field in _REQUEST_FIELDS:
        return "responses", (name,), f"{name}'s responses and their verdicts"
    return "nothing", (), "nothing stored (prices, limits and keys change no answer)"


def _judge_field(rest: str) -> bool:
    return rest.startswith(("judge", "checks"))


def _judging_scope(top: str, rest: str, head: str) -> tuple[Scope, tuple[str, ...], str]:
    if head == "judge_model":
        return "verdicts", (), "the verdicts of the judges that use the judge model"
    if head == "regions":
        if rest == "language":
            return "verdicts", (), "the verdicts of the judges that read a region's language"
        return "decisions", (), "nothing stored; only the decisions"
    name = top[len("dimensions[") : -1]
    if _judge_field(rest):
        return "verdicts", (), f"the verdicts of {name}'s judges"
    if rest == "rubric":
        return "verdicts", (), f"the verdicts of {name}'s judges that read its rubric"
    return "decisions", (), "nothing stored; only the decisions"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 60 else shown[:57] + "..."
