"""Redaction: personal data out of the text before anything is stored or sent to a model.

Built-in detectors, applied in this order, each match replaced by a placeholder:

=========  ===========  ====================================================================
detector   placeholder  what it takes
=========  ===========  ====================================================================
card       ``[CARD]``   13-19 digits (single spaces or hyphens between them allowed), an
                        issuer's first digit (2-6) and a valid Luhn check digit
email      ``[EMAIL]``  ``local@domain.tld`` with a top-level domain of two letters or more
ip         ``[IP]``     IPv4 (four octets 0-255) and IPv6 (checked by ``ipaddress``)
phone      ``[PHONE]``  digit groups with separators (space, hyphen, dot), an optional
                        ``+country`` and ``(area)``; 9-15 digits (8-15 after a ``+``)
=========  ===========  ====================================================================

Deliberately left alone (near misses): Luhn-invalid card-like numbers, bare digit runs
without separators (order numbers), dates, times, versions, prices, ``user@localhost``.
Then come the study's own patterns (``[NAME]``) and its own function (``module:function``,
``str -> str``; each value it changes counts once).
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from baton.errors import InputError
from baton.study import IngestRedaction

__all__ = ["BUILTIN_RULES", "RedactionRule", "Redactor", "luhn_valid", "redactor_for"]

_MIN_CARD_DIGITS, _MAX_CARD_DIGITS = 13, 19
_MIN_PHONE_DIGITS, _MIN_PHONE_DIGITS_PLUS, _MAX_PHONE_DIGITS = 9, 8, 15


def _always(_match: str) -> bool:
    return True


@dataclass(frozen=True)
class RedactionRule:
    """A pattern, a check on each match, and the name its matches are counted under."""

    name: str
    pattern: re.Pattern[str]
    accept: Callable[[str], bool] = _always

    @property
    def placeholder(self) -> str:
        return f"[{self.name.upper()}]"


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits ends with a valid Luhn check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _card(match: str) -> bool:
    digits = _digits(match)
    return (
        _MIN_CARD_DIGITS <= len(digits) <= _MAX_CARD_DIGITS
        and digits[0] in "23456"
        and luhn_valid(digits)
    )


def _ipv6(match: str) -> bool:
    if not any(char not in ":." for char in match):
        return False
    try:
        ipaddress.IPv6Address(match)
    except ValueError:
        return False
    return True


def _phone(match: str) -> bool:
    count = len(_digits(match))
    least = _MIN_PHONE_DIGITS_PLUS if match.startswith("+") else _MIN_PHONE_DIGITS
    return least <= count <= _MAX_PHONE_DIGITS


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

BUILTIN_RULES: tuple[RedactionRule, ...] = (
    RedactionRule("card", re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)"), _card),
    RedactionRule(
        "email",
        re.compile(
            r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-])"
        ),
    ),
    RedactionRule(
        "ip",
        re.compile(
            r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
            r"(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)"
        ),
        _ipv6,
    ),
    RedactionRule("ip", re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")),
    RedactionRule(
        "phone",
        re.compile(
            r"(?<![\w+:/.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?"
            r"\d{2,5}(?:[ .-]\d{2,8}){1,4}(?![\w:/]|[.-]\d)"
        ),
        _phone,
    ),
)


@dataclass(frozen=True)
class Redactor:
    """Applies the rules, then the user's function, and counts what it replaced."""

    rules: tuple[RedactionRule, ...] = BUILTIN_RULES
    function: Callable[[str], str] | None = None
    function_name: str = "function"

    @property
    def active(self) -> bool:
        return bool(self.rules) or self.function is not None

    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """``text`` with every match replaced, and the number of matches per rule name."""
        counts: Counter[str] = Counter()
        for rule in self.rules:
            text = _apply(rule, text, counts)
        if self.function is not None:
            changed = self._call(text)
            if changed != text:
                counts[self.function_name] += 1
            text = changed
        return text, counts

    def _call(self, text: str) -> str:
        assert self.function is not None
        try:
            result = self.function(text)
        except Exception as exc:
            raise InputError(
                f"the redaction function failed: {type(exc).__name__}: {exc}",
                source=self.function_name,
            ) from exc
        if not isinstance(result, str):
            raise InputError(
                f"the redaction function returned {type(result).__name__}, not str",
                source=self.function_name,
            )
        return result


def _apply(rule: RedactionRule, text: str, counts: Counter[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if not rule.accept(match.group()):
            return match.group()
        counts[rule.name] += 1
        return rule.placeholder

    return rule.pattern.sub(replace, text)


def load_function(reference: str) -> Callable[[str], str]:
    """Import ``module:function``; an error names the reference."""
    module_name, _, attribute = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import {module_name!r}: {exc}", source=reference) from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise InputError(f"{module_name} has no function {attribute!r}", source=reference)
    return function  # type: ignore[no-any-return]


def redactor_for(spec: IngestRedaction) -> Redactor:
    """The redactor a study's ``ingest.redaction`` section describes."""
    rules = BUILTIN_RULES if spec.builtins else ()
    rules += tuple(RedactionRule(p.name, re.compile(p.pattern)) for p in spec.patterns)
    if spec.function is None:
        return Redactor(rules)
    return Redactor(rules, load_function(spec.function), spec.function)
