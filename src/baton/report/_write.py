"""Writing the three report files so that a failure never leaves a half-written result."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from baton.analysis import StudyResult
from baton.report._html import render_html
from baton.report._json import render_json
from baton.report._markdown import render_markdown
from baton.study import Study

__all__ = ["HTML_NAME", "JSON_NAME", "MARKDOWN_NAME", "ReportPaths", "write_report"]

HTML_NAME = "report.html"
MARKDOWN_NAME = "report.md"
JSON_NAME = "result.json"


@dataclass(frozen=True)
class ReportPaths:
    """Where ``write_report`` put each file."""

    html: Path
    markdown: Path
    json: Path


def _write_temp(out_dir: Path, name: str, text: str) -> Path:
    """Write ``text`` to a new hidden file beside ``name`` and flush it to disk."""
    temp = out_dir / f".{name}.{secrets.token_hex(6)}.tmp"
    with temp.open("xb") as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    return temp


def write_report(study: Study, result: StudyResult, out_dir: Path) -> ReportPaths:
    """Write ``report.html``, ``report.md`` and ``result.json`` into ``out_dir``.

    All three are rendered before anything is written; each is then written to a temporary
    file in ``out_dir`` and moved into place with ``os.replace``, so a reader never sees a
    half-written file and a rendering error leaves the directory as it was.
    """
    paths = ReportPaths(
        html=out_dir / HTML_NAME, markdown=out_dir / MARKDOWN_NAME, json=out_dir / JSON_NAME
    )
    texts = {
        paths.html: render_html(study, result),
        paths.markdown: render_markdown(study, result),
        paths.json: render_json(study, result),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    temps: dict[Path, Path] = {}
    try:
        for target, text in texts.items():
            temps[target] = _write_temp(out_dir, target.name, text)
        for target, temp in temps.items():
            os.replace(temp, target)
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
    return paths
