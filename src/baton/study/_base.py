"""The base of every part of the study specification: strict (unknown fields are errors)
and frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Spec"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
