"""US street addresses: best effort, opt-in (``ingest.redaction.addresses: true``).

A candidate is a house number, up to three capitalised words (after an optional direction)
and a street type (``Street``, ``Ave.``, ``Blvd``, ``Court``, …), followed by what usually
comes with it: a unit (``Apt 4B``, ``Suite 210``, ``#305``), a city, a state and a ZIP
code. Each candidate is then parsed by ``usaddress`` (DataMade's conditional-random-field
parser of US addresses, whose model ships inside the package: nothing is downloaded), and
redacted when the parser reads it as a street address with a number, a street name and a
street type. What it misses: addresses without a street type (``10 Downing``), PO boxes,
addresses written in lower case, and every country's format but the US one (a British
``10 Downing Street, London`` is found by its street type, its postcode is not). Business
addresses are taken as well: the detector cannot tell whose address it is.
"""

from __future__ import annotations

import re
from importlib import import_module
from types import ModuleType
from typing import Any

from baton.data._detectors import Span
from baton.errors import InputError

__all__ = ["address_spans", "require_usaddress"]

_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Court|Ct|Place|Pl|Way"
    r"|Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Loop|Trail|Trl|Plaza"
)
_CANDIDATE = re.compile(
    r"(?<![\w.,-])\d{1,6}[A-Z]?\s+(?:[NSEW]\.?\s+|(?:North|South|East|West)\s+)?"
    r"(?:[A-Z][a-z]+\s+){1,3}"
    rf"(?:{_TYPES})\b\.?"
    r"(?:,?\s+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Room|Rm\.?|Floor|Fl\.?|#)\s*[\w-]*\d[\w-]*)?"
    r"(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2},?\s+[A-Z]{2}\b(?:\s+\d{5}(?:-\d{4})?\b)?)?"
)
_NEEDED = ("AddressNumber", "StreetName", "StreetNamePostType")


def _usaddress() -> ModuleType:
    return import_module("usaddress")


def require_usaddress() -> None:
    """Fail, naming the extra to install, when ``usaddress`` is not there."""
    try:
        _usaddress()
    except ImportError:
        raise InputError(
            "the address detector needs usaddress: pip install 'baton-migrate[addresses]'",
            source="ingest.redaction.addresses",
        ) from None


def _parsed_as_street_address(candidate: str) -> bool:
    usaddress = _usaddress()
    try:
        tags: Any
        tags, kind = usaddress.tag(candidate)
    except usaddress.RepeatedLabelError:  # its message quotes the text: never shown
        return False
    return kind == "Street Address" and all(label in tags for label in _NEEDED)


def address_spans(text: str) -> list[Span]:
    """US street addresses with a house number and a street type, confirmed by
    ``usaddress``."""
    return [
        match.span()
        for match in _CANDIDATE.finditer(text)
        if _parsed_as_street_address(match.group().rstrip(".,"))
    ]
