"""The built-in detectors of personal data but phone numbers (``_phones``) and secrets
(``_secrets``): each finds spans, a library checks each one.

Every detector first asks a cheap question of the whole text (is there an ``@``, a run of
seven digits, two capitals and two digits?) and returns at once when the answer is no, so
text without anything suspicious costs a few scans. The checks are ``python-stdnum`` for
checksummed numbers (IBAN mod 97, Luhn for cards, US Social Security numbers),
``email-validator`` for e-mail addresses (internationalised ones included) and
``ipaddress`` for IP addresses. UK National Insurance numbers follow HMRC's published
prefix rules (``python-stdnum`` has no module for them).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.us import ssn as stdnum_ssn

__all__ = [
    "Span",
    "card_spans",
    "email_spans",
    "iban_spans",
    "in_clusters",
    "ip_spans",
    "nino_spans",
    "ssn_spans",
]

Span = tuple[int, int]

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


def in_clusters(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
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
    for match in in_clusters(_CARD, text):
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
        for m in in_clusters(_SSN, text)
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
