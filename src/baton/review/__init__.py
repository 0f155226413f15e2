"""Review: what humans should label next (no HTTP here)."""

from __future__ import annotations

from baton.review._selection import LabelRequest, paired_label_requests

__all__ = ["LabelRequest", "paired_label_requests"]
