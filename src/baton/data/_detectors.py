"""The built-in detectors of personal data: each finds spans, a library checks each one.

Every detector first asks a cheap question of the whole text (is there an ``@``, a digit, a
run of eight digits?) and returns at once when the answer is no, so text without anything
suspicious costs a few scans. The checks are Google's libphonenumber (``phonenumbers``) for
phone numbers, ``python-stdnum`` for checksummed numbers (IBAN mod 97, Luhn for cards, US
Social Security numbers), ``email-validator`` for e-mail addresses (internationalised ones
included) and ``ipaddress`` for IP addresses. UK National Insurance numbers follow HMRC's
published prefix rules (``python-stdnum`` has no module for them).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate

from email_validator import EmailNotValidError, validate_email
from phonenumbers import (
    Leniency,
    NumberFormat,
    PhoneMetadata,
    PhoneNumberMatcher,
    region_codes_for_country_code,
)
from phonenumbers import data as phone_data
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.us import ssn as stdnum_ssn

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "Span",
    "card_spans",
    "email_spans",
    "iban_spans",
    "ip_spans",
    "nino_spans",
    "phone_spans",
    "ssn_spans",
]

Span = tuple[int, int]

DEFAULT_PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "IN", "ES", "IT", "NL", "BR", "AU", "JP",
)  # fmt: skip
"""Regions whose national formats (no ``+country``) are recognised, tried in this order."""

_DIGIT = re.compile(r"\d")
_CLUSTER = re.compile(r"\b\d[\d \u00a0().\-/+]{5,}\d")
_NOT_DIGITS = str.maketrans("", "", " \u00a0().-/+")
_CLUSTER_DIGITS = 7
_LOOKAHEAD = 2


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


@lru_cache(maxsize=8)
def _clusters(text: str) -> tuple[Span, ...]:
    """The runs of digits, spaces and ``().-/+`` holding seven digits or more: every card,
    SSN and phone number lies in one, so those detectors look only there (found once per
    text)."""
    return tuple(
        m.span()
        for m in _CLUSTER.finditer(text)
        if len(m.group().translate(_NOT_DIGITS)) >= _CLUSTER_DIGITS
    )


def _in_clusters(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern``'s matches within the clusters (seeing the text around them)."""
    for start, end in _clusters(text):
        yield from pattern.finditer(text, start, min(len(text), end + _LOOKAHEAD))


# --- e-mail -------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})(?![\w-])"
)


@lru_cache(maxsize=4096)
def _email_valid(candidate: str) -> bool:
    try:
        validate_email(candidate, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError:
        return False
    return True


def email_spans(text: str) -> list[Span]:
    """E-mail addresses, ASCII or internationalised (``müller@beispiel.de``)."""
    if "@" not in text:
        return []
    return [m.span() for m in _EMAIL.finditer(text) if _email_valid(m.group())]


# --- numbers with a check digit -------------------------------------------------------------

_IBAN = re.compile(r"[A-Z](?<![\w-][A-Z])[A-Z]\d{2}(?:[ ]?[A-Z0-9]){11,32}(?![\w-])")


def iban_spans(text: str) -> list[Span]:
    """IBANs (country format and mod-97 check), compact or in groups of four; a word
    caught after the number is dropped until the rest checks."""
    if not _has_digit(text):
        return []
    spans = []
    for match in _IBAN.finditer(text):
        candidate = match.group()
        while len(candidate.replace(" ", "")) >= 15:
            if stdnum_iban.is_valid(candidate):
                spans.append((match.start(), match.start() + len(candidate)))
                break
            if " " not in candidate:
                break
            candidate = candidate.rsplit(" ", 1)[0]
    return spans


_CARD = re.compile(r"\d(?<![\w.,+-]\d)(?:[ .-]?\d){12,18}(?![\w]|[.,-]\d)")
_CARD_GROUPS = {(4, 6, 5), (4, 6, 4)}


def _card_grouping(candidate: str) -> bool:
    groups = tuple(len(g) for g in re.split(r"[ .-]", candidate))
    if len(groups) == 1:
        return True
    if len(set(re.findall(r"[ .-]", candidate))) > 1:
        return False
    return groups in _CARD_GROUPS or (
        all(n == 4 for n in groups[:-1]) and 1 <= groups[-1] <= 4 and len(groups) >= 4
    )


_CARD_LENGTHS: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = tuple(
    (re.compile(prefix), frozenset(lengths))
    for prefix, lengths in (
        (r"4", (16, 19)),  # Visa
        (r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)", (16,)),  # Mastercard
        (r"3[47]", (15,)),  # American Express
        (r"3(?:0[0-5]|[68])", (14, 16, 19)),  # Diners Club
        (r"35", (16, 17, 18, 19)),  # JCB
        (r"6(?:011|4[4-9]|5)", (16, 17, 18, 19)),  # Discover
        (r"62", (16, 17, 18, 19)),  # UnionPay
        (r"5[06-8]|6\d", tuple(range(13, 20))),  # Maestro
    )
)


def _card_number(digits: str) -> bool:
    """An issuer's prefix, a length it issues, and a valid Luhn check digit."""
    issued = any(
        prefix.match(digits) and len(digits) in lengths for prefix, lengths in _CARD_LENGTHS
    )
    return issued and bool(luhn.is_valid(digits))


def card_spans(text: str) -> list[Span]:
    """Payment card numbers: 13-19 digits, bare or grouped (spaces, dots or hyphens), with
    an issuer's prefix and length (Visa, Mastercard, Amex, Diners, JCB, Discover,
    UnionPay, Maestro) and a valid Luhn check digit."""
    spans = []
    for match in _in_clusters(_CARD, text):
        candidate = match.group()
        digits = re.sub(r"\D", "", candidate)
        if _card_grouping(candidate) and _card_number(digits):
            spans.append(match.span())
    return spans


_SSN = re.compile(r"\d(?<![\w.-]\d)\d\d([- ])\d{2}\1\d{4}(?![\w]|[.-]\d)")


def ssn_spans(text: str) -> list[Span]:
    """US Social Security numbers written ``123-45-6789`` or ``123 45 6789`` (the ranges
    never issued are left alone)."""
    return [
        m.span()
        for m in _in_clusters(_SSN, text)
        if stdnum_ssn.is_valid(m.group().replace(" ", "-"))
    ]


_NINO = re.compile(
    r"[A-CEGHJ-PR-TW-Z](?<![\w][A-Z])[A-CEGHJ-NPR-TW-Z](?<!BG|GB|KN|NK|NT|TN|ZZ)"
    r"(?: ?\d{2}){3} ?[A-D](?![\w])"
)


def nino_spans(text: str) -> list[Span]:
    """UK National Insurance numbers (``AB123456C``, ``AB 12 34 56 C``)."""
    if not _has_digit(text):
        return []
    return [m.span() for m in _NINO.finditer(text)]


# --- IP addresses ------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
_IPV4_HINT = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")
_IPV6_HINT = re.compile(r"[0-9A-Fa-f]:[0-9A-Fa-f]{1,4}:")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)"
)


def _ipv6(candidate: str) -> bool:
    if not any(char not in ":." for char in candidate):
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def ip_spans(text: str) -> list[Span]:
    """IPv4 (four octets 0-255) and IPv6 addresses (checked by ``ipaddress``)."""
    spans = []
    if "::" in text or (":" in text and _IPV6_HINT.search(text) is not None):
        spans += [m.span() for m in _IPV6.finditer(text) if _ipv6(m.group())]
    if "." in text and _IPV4_HINT.search(text) is not None:
        spans += [m.span() for m in _IPV4.finditer(text)]
    return spans


# --- phone numbers -------------------------------------------------------------------------

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
    for match in _in_clusters(_PHONE_CANDIDATE, text):
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
    if not _has_digit(text):
        return []
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
