"""Reports of a study's result, for a product owner who reads them in two minutes.

Three renderings of one ``StudyResult`` (with its ``Study``):

- ``render_html``: one self-contained page (inline CSS and SVG, no scripts, no requests):
  the verdict per candidate, a region x dimension decision grid, forest plots of Δ, pass
  rates, the label budget, cost and latency, warnings and provenance;
- ``render_markdown``: the verdicts and decision grids, short enough for a pull-request
  comment;
- ``result_to_dict`` / ``render_json``: the versioned machine-readable result
  (``"schema": 1``), strict JSON with ``null`` for missing numbers.

``write_report`` writes all three into a folder atomically. ``signed_pp``, ``interval_pp``
and ``OUTCOME_LABEL`` are how every human-readable output writes a Δ (percentage points)
and a call (``GO``, ``NO-GO``, ``INCONCLUSIVE``). Renderers only: everything
shown comes from the result (``baton.analysis``); nothing here computes or reads a store.
"""

from __future__ import annotations

from baton.report._html import render_html
from baton.report._json import render_json, result_to_dict
from baton.report._markdown import render_markdown
from baton.report._view import OUTCOME_LABEL, interval_pp, signed_pp
from baton.report._write import ReportPaths, write_report

__all__ = [
    "OUTCOME_LABEL",
    "ReportPaths",
    "interval_pp",
    "render_html",
    "render_json",
    "render_markdown",
    "result_to_dict",
    "signed_pp",
    "write_report",
]
