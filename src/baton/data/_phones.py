"""Phone numbers, found by Google's libphonenumber (``phonenumbers``).

A candidate is a run of digits and separators with at least eight digits (seven after a
``+``). One written with ``+country`` goes to ``PhoneNumberMatcher`` at once (valid, or
failing that of a possible length). A national one is first tested against the metadata
of each phone region (trunk prefix, the patterns of its valid numbers, the groups it writes
them in: cheap regular expressions) and goes to the matcher, with strict grouping, only for
the regions where it passed: the matcher is the costly part. Dates, ISBNs, versions and
digit runs labelled as order, part or invoice numbers never reach it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate

from phonenumbers import (
    Leniency,
    NumberFormat,
    PhoneMetadata,
    PhoneNumberMatcher,
    region_codes_for_country_code,
)
from phonenumbers import data as phone_data

from baton.data._detectors import Span, in_clusters

__all__ = ["DEFAULT_PHONE_REGIONS", "phone_spans"]

DEFAULT_PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "IN", "ES", "IT", "NL", "BR", "AU", "JP",
)  # fmt: skip
"""Regions whose national formats (no ``+country``) are recognised, tried in this order."""

_PHONE_CANDIDATE = re.compile(r"\d[\d \u00a0().\-/]{5,24}\d(?![\w]|[.,-]\d)")
_NUMBERS_APART = re.compile(r"\s+[-/]\s+|\s{2,}")
_MIN_DIGITS, _MIN_DIGITS_PLUS = 8, 7
_BEFORE, _AFTER = 2, 8
_NOT_A_PHONE = re.compile(
    r"(?:order|invoice|inv|ref|reference|ticket|case|sku|part|serial|s/n|tracking|account"
    r"|acct|id|isbn|ean|upc|lot|batch|model|customer|#)(?:\W{1,3}(?:number|no|nr|num|id))?"
    r"\W{0,3}$",
    re.IGNORECASE,
)


_NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\([2-9]\d\d\) ?|[2-9]\d\d[ .-])\d{3}[ .-]\d{4}")


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    international: bool


def _phone_candidates(text: str) -> list[_Candidate]:
    """Runs of digits and separators long enough for a phone number, split where a spaced
    hyphen or slash or a wide space parts two numbers (``030 1234567 / 0171 1234567``)."""
    found = []
    for match in in_clusters(_PHONE_CANDIDATE, text):
        first = match.start()
        for lead in ("(+", "+", "("):
            if text.startswith(lead, first - len(lead)):
                first -= len(lead)
                break
        if first and (text[first - 1].isalnum() or text[first - 1] in "_.,/-"):
            continue
        for start, raw in _parts(first, text[first : match.end()]):
            international = raw.lstrip("(").startswith("+")
            digits = sum(char.isdigit() for char in raw)
            if digits >= (_MIN_DIGITS_PLUS if international else _MIN_DIGITS):
                found.append(_Candidate(start, start + len(raw), international))
    return found


def _parts(start: int, raw: str) -> Iterator[tuple[int, str]]:
    last = 0
    for apart in _NUMBERS_APART.finditer(raw):
        yield start + last, raw[last : apart.start()]
        last = apart.end()
    yield start + last, raw[last:]


def _leniencies(international: bool) -> tuple[int, ...]:
    """How strict libphonenumber is: a national number must be valid and grouped as its
    plan groups it; after a ``+``, valid, or failing that of a possible length."""
    if international:
        return (Leniency.VALID, Leniency.POSSIBLE)
    return (Leniency.STRICT_GROUPING,)


def _matches(text: str, candidate: _Candidate, region: str, leniency: int) -> list[Span]:
    """libphonenumber's matches overlapping ``candidate`` in a window around it."""
    lo, hi = max(0, candidate.start - _BEFORE), min(len(text), candidate.end + _AFTER)
    found = _window_matches(text[lo:hi], region, leniency)
    inside = (candidate.start - lo, candidate.end - lo)
    return [(lo + a, lo + b) for a, b in found if a < inside[1] and b > inside[0]]


@lru_cache(maxsize=8192)
def _window_matches(window: str, region: str, leniency: int) -> tuple[Span, ...]:
    """libphonenumber's matches in ``window`` (a number written again costs nothing)."""
    spans = []
    for match in PhoneNumberMatcher(window, region, leniency=leniency):
        raw = match.raw_string
        start = match.start + len(raw) - len(raw.lstrip())
        spans.append((start, match.end - (len(raw) - len(raw.rstrip()))))
    return tuple(spans)


def _labelled_not_phone(text: str, start: int, raw: str) -> bool:
    """A bare digit run labelled as an order, part, invoice... number."""
    bare = raw.isdigit()
    return bare and _NOT_A_PHONE.search(text[max(0, start - 24) : start]) is not None


def phone_spans(text: str, regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> list[Span]:
    """Phone numbers libphonenumber finds valid (and grouped as the numbering plan groups
    them), international or in the national format of one of ``regions``; and numbers
    written in the North American shape ``(NXX) NXX-XXXX`` (fictional 555 ones too)."""
    spans: list[Span] = []
    for candidate in _phone_candidates(text):
        found = _phone_in(text, candidate, regions)
        if not found and _NANP.fullmatch(text, candidate.start, candidate.end):
            found = [(candidate.start, candidate.end)]
        spans += found
    return sorted(set(spans))


_GROUP = re.compile(r"\d+")
_DATE_LIKE = re.compile(
    r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2}))(?:[ T]\d\d)?"
)


_ALTERNATE_FORMATS: dict[int, list[NumberFormat]] = getattr(phone_data, "_ALT_NUMBER_FORMATS", {})
"""The other ways numbers are grouped that libphonenumber's strict grouping accepts."""
_TYPES = (
    "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number",
    "voip", "pager", "uan", "voicemail",
)  # fmt: skip


@dataclass(frozen=True)
class _Plan:
    """What a region's metadata says of its national numbers: the trunk prefix, whether
    every format writes it (``020 …`` in Britain, never ``20 …``), the patterns of its
    valid numbers (fixed line, mobile, toll free, … of every region of its country code)
    and the formats it groups them in."""

    prefix: str
    prefix_written: bool
    valid: re.Pattern[str]
    formats: tuple[tuple[re.Pattern[str] | None, re.Pattern[str], tuple[tuple[int, ...], ...]], ...]

    def admits(self, digits: str) -> bool:
        """Whether ``digits`` are a valid national number of the region by its patterns: a
        cheap test before libphonenumber's matcher (the costly part) checks it again."""
        has_prefix = bool(self.prefix) and digits.startswith(self.prefix)
        if self.prefix_written and not has_prefix:
            return False
        national = digits[len(self.prefix) :] if has_prefix else digits
        return self.valid.fullmatch(national) is not None or (
            national != digits and self.valid.fullmatch(digits) is not None
        )

    def grouped(self, groups: list[str]) -> bool:
        """Whether digit ``groups`` keep the groups the region writes its number in (each
        of ours ends where one of its ends): ``2023-000451`` does not; libphonenumber's
        strict grouping, checked before its matcher checks it again."""
        if len(groups) == 1:
            return True
        if self.prefix and groups[0].startswith(self.prefix):
            first = groups[0][len(self.prefix) :]
            groups = [first, *groups[1:]] if first else groups[1:]
        national = "".join(groups)
        ours = set(accumulate(len(g) for g in groups[:-1]))
        applied = False
        for leading, pattern, written in self.formats:
            match = pattern.fullmatch(national)
            if match is None or (leading is not None and leading.match(national) is None):
                continue
            applied = True
            lengths = [sum(len(match.group(i)) for i in together) for together in written[:-1]]
            if ours <= set(accumulate(lengths)):
                return True
        return not applied


def _written_groups(template: str) -> tuple[tuple[int, ...], ...]:
    """The groups a format writes, each as the pattern groups it joins: ``(\\1) \\2-\\3``
    writes ((1,), (2,), (3,)); ``\\1\\2 \\3`` writes ((1, 2), (3,))."""
    return tuple(
        tuple(int(n) for n in re.findall(r"\\(\d)", part))
        for part in re.split(r"[^\\\d]+", template)
        if "\\" in part
    )


@cache
def _national_plan(region: str) -> _Plan:
    metadata = PhoneMetadata.metadata_for_region(region)
    assert metadata is not None
    prefix = metadata.national_prefix or ""
    rules = [
        (f.national_prefix_formatting_rule, f.national_prefix_optional_when_formatting)
        for f in metadata.number_format
        if f.national_prefix_formatting_rule
    ]
    written = bool(prefix) and bool(rules) and all(prefix in r and not opt for r, opt in rules)
    sharing = [  # the regions of its country code: Guernsey's mobiles are +44 7911 1…
        PhoneMetadata.metadata_for_region(other)
        for other in region_codes_for_country_code(metadata.country_code or 0)
    ]
    descs = [getattr(each, name) for each in sharing if each is not None for name in _TYPES]
    patterns = {d.national_number_pattern for d in descs if d and d.national_number_pattern}
    either = re.compile("|".join(f"(?:{p})" for p in sorted(patterns)))
    alternates = _ALTERNATE_FORMATS.get(metadata.country_code or 0, [])
    formats = tuple(
        (
            re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None,
            re.compile(f.pattern),
            _written_groups(f.format),
        )
        for f in [*(f for each in sharing if each for f in each.number_format), *alternates]
        if f.pattern and f.format
    )
    return _Plan(prefix, written, either, formats)


def _regions_for(raw: str, regions: Sequence[str]) -> Sequence[str]:
    """The regions in whose national format ``raw`` could be a number."""
    if raw.startswith(("00", "011")):
        return regions  # an international call prefix: the matcher knows each region's
    groups = _GROUP.findall(raw)
    singles = sum(len(group) == 1 for group in groups)
    if _DATE_LIKE.fullmatch(raw) is not None or len(groups[-1]) == 1 or singles > 1:
        return ()  # a date, an ISBN, a version, a list of small numbers
    digits = "".join(groups)
    return [
        region
        for region in regions
        if _national_plan(region).admits(digits) and _national_plan(region).grouped(groups)
    ]


def _phone_in(text: str, candidate: _Candidate, regions: Sequence[str]) -> list[Span]:
    if candidate.international:
        regions = regions[:1]
    else:
        regions = _regions_for(text[candidate.start : candidate.end], regions)
    for leniency in _leniencies(candidate.international):
        for region in regions:
            found = [
                span
                for span in _matches(text, candidate, region, leniency)
                if not _labelled_not_phone(text, span[0], text[span[0] : span[1]])
            ]
            if found:
                return found
    return []
