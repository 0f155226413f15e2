"""Pages: Jinja templates with autoescaping, and model output as sanitised Markdown.

Model output is untrusted. It is parsed as CommonMark with raw HTML turned off (a
``<script>`` in an answer is shown as text), and the HTML that comes out is cleaned again
by ``nh3`` (Ammonia) with a short allow-list: no scripts, no event handlers, no styles, no
images (which could call out), links only to http(s) and mailto, opened without a referrer.
The Content-Security-Policy (``_security``) forbids inline script besides.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import jinja2
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from baton.report import OUTCOME_LABEL

__all__ = ["STATIC_DIR", "markdown_html", "render_page"]

STATIC_DIR = Path(__file__).parent / "static"
_TEMPLATES_DIR = Path(__file__).parent / "templates"

_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _markdown() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False})
    parser.enable(["table", "strikethrough"])
    parser.add_render_rule("image", _image_as_text)
    return parser


def _image_as_text(self: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
    """An image is shown as what it is (its text and address), never loaded."""
    token = tokens[index]
    alt = "".join(child.content for child in token.children or [])
    return str(escape(f"[image: {alt} <{token.attrGet('src') or ''}>]"))


@functools.lru_cache(maxsize=2048)
def markdown_html(text: str) -> Markup:
    """``text`` (Markdown from a model) as safe HTML (the latest ones are kept)."""
    rendered = _markdown().render(text)
    cleaned = nh3.clean(
        rendered,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # the templates ship with Baton: no stat() per page to check them
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["markdown"] = markdown_html
    environment.filters["letter"] = lambda position: chr(ord("A") + int(position))
    environment.filters["number"] = _number
    environment.filters["outcome"] = lambda outcome: OUTCOME_LABEL.get(outcome, str(outcome))
    return environment


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def render_page(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``."""
    return _environment().get_template(name).render(**context)
