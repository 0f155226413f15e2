"""The study's fingerprint: a hash of everything that changes what a run produces."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from baton.study._decision import drop_later_decision_defaults
from baton.study._spec import OPERATIONAL_FIELDS, Study

__all__ = ["study_fingerprint"]


def study_fingerprint(study: Study) -> str:
    """A hash of everything in the study that changes what a run produces.

    Rate limits, timeouts and where the API key is read from do not count; an unset base
    URL, batch price or phone region list is left out, so studies written before it existed
    keep their fingerprint.
    """
    data = study.model_dump(mode="json")
    for spec in (data["incumbent"], *data["candidates"]):
        for name in OPERATIONAL_FIELDS:
            spec.pop(name)
        for name in ("base_url", "batch_price_per_mtok_input", "batch_price_per_mtok_output"):
            if spec[name] is None:
                del spec[name]
    if data.get("ingest") is None:
        data.pop("ingest", None)  # studies without the section keep their fingerprint
    else:
        redaction = data["ingest"]["redaction"]
        if redaction["phone_regions"] is None:
            del redaction["phone_regions"]  # nor those written before it
        if not redaction["addresses"]:
            del redaction["addresses"]
        del data["ingest"]["engine"]  # both engines draw the same sample
        del data["ingest"]["spark"]
    drop_later_decision_defaults(data["decision"])  # nor those written before them
    _drop_judging(data)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


_JUDGE_FIELDS = ("mode", "rubric", "template", "model", "structured_output")


def _drop_judging(data: dict[str, Any]) -> None:
    """Leave out how answers are judged, beyond each dimension's judge name, scale and
    options: verdicts carry their judge's version, so a judge can be edited (and its stale
    verdicts redone) in the same store."""
    data.pop("judge_model", None)
    data["service"].pop("style_guide", None)
    for region in data["regions"]:
        region.pop("language", None)
    for dimension in data["dimensions"]:
        dimension.pop("checks", None)
        for name in _JUDGE_FIELDS:
            dimension["judge"].pop(name, None)
