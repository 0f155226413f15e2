"""Redaction: personal data out of the text before anything is stored or sent to a model.

Built-in detectors, applied in this order, each match replaced by a placeholder (the
detectors and the libraries that check them are in ``_detectors``, ``_phones`` and
``_secrets``):

=========  ===============  ================================================================
detector   placeholder      what it takes
=========  ===============  ================================================================
secret     ``[SECRET]``     API keys and tokens by provider prefix (``sk-``, ``sk-proj-``,
                            ``sk-ant-``, ``AKIA``, ``ghp_``, ``xoxb-``, ``AIza``, …), JWTs,
                            private key blocks, values assigned to ``password``/``api_key``/
                            ``Bearer``, long random-looking tokens (entropy)
email      ``[EMAIL]``      addresses, internationalised ones too (``müller@beispiel.de``)
iban       ``[IBAN]``       IBANs of every country (format and mod-97 check)
card       ``[CARD]``       13-19 digits, bare or grouped by spaces, dots or hyphens, issuer
                            digit 2-6, Luhn check
ssn        ``[SSN]``        US Social Security numbers ``123-45-6789`` in issued ranges
nino       ``[NINO]``       UK National Insurance numbers (HMRC's prefix rules)
ip         ``[IP]``         IPv4 and IPv6 addresses
phone      ``[PHONE]``      numbers libphonenumber finds valid: international (``+…``) or
                            in a national format of the phone regions; ``(NXX) NXX-XXXX``
=========  ===============  ================================================================

Deliberately left alone (near misses): Luhn-invalid card-like numbers, digit runs that no
numbering plan accepts or that are labelled as order, part or invoice numbers, part numbers
such as ``123-456-789``, dates, times, versions, prices, ISBNs, ``user@localhost``, hex
digests. Opt-in and best effort (``ingest.redaction.addresses``): US street addresses
(``[ADDRESS]``, ``_addresses``). Not covered: people's names (no library tells them from
product, place and company names offline without a language model). Then come the
study's own patterns (``[NAME]``) and its own function (``module:function``,
``str -> str``; each value it changes counts once).
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from stdnum import luhn

from baton.data._addresses import address_spans, require_usaddress
from baton.data._detectors import (
    Span,
    card_spans,
    email_spans,
    iban_spans,
    ip_spans,
    nino_spans,
    ssn_spans,
)
from baton.data._phones import DEFAULT_PHONE_REGIONS, phone_spans
from baton.data._secrets import secret_spans
from baton.errors import InputError
from baton.study import IngestRedaction

__all__ = [
    "BUILTIN_RULES",
    "Detector",
    "RedactionRule",
    "Redactor",
    "builtin_detectors",
    "luhn_valid",
    "redactor_for",
]


class Detector(Protocol):
    """Finds what to redact: the spans of ``text`` to replace by ``[NAME]``."""

    @property
    def name(self) -> str: ...

    def find(self, text: str) -> list[Span]: ...


def _always(_match: str) -> bool:
    return True


@dataclass(frozen=True)
class RedactionRule:
    """A pattern, a check on each match, and the name its matches are counted under."""

    name: str
    pattern: re.Pattern[str]
    accept: Callable[[str], bool] = _always

    def find(self, text: str) -> list[Span]:
        return [m.span() for m in self.pattern.finditer(text) if self.accept(m.group())]


@dataclass(frozen=True)
class BuiltinDetector:
    """A built-in detector: a name and the function that finds its spans."""

    name: str
    spans: Callable[[str], list[Span]]

    def find(self, text: str) -> list[Span]:
        return self.spans(text)


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits ends with a valid Luhn check digit."""
    return bool(luhn.is_valid(digits))


def builtin_detectors(phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> tuple[Detector, ...]:
    """The built-in detectors in the order they run (secrets first: a key holds digits
    that could pass for other things; phone numbers last)."""
    return (
        BuiltinDetector("secret", secret_spans),
        BuiltinDetector("email", email_spans),
        BuiltinDetector("iban", iban_spans),
        BuiltinDetector("card", card_spans),
        BuiltinDetector("ssn", ssn_spans),
        BuiltinDetector("nino", nino_spans),
        BuiltinDetector("ip", ip_spans),
        BuiltinDetector("phone", partial(phone_spans, regions=tuple(phone_regions))),
    )


BUILTIN_RULES: tuple[Detector, ...] = builtin_detectors()


@dataclass(frozen=True)
class Redactor:
    """Applies the rules, then the user's function, and counts what it replaced."""

    rules: tuple[Detector, ...] = BUILTIN_RULES
    function: Callable[[str], str] | None = None
    function_name: str = "function"

    @property
    def active(self) -> bool:
        return bool(self.rules) or self.function is not None

    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """``text`` with every match replaced, and the number of matches per rule name."""
        counts: Counter[str] = Counter()
        for rule in self.rules:
            spans = rule.find(text)
            if spans:
                text, replaced = _replace(text, spans, f"[{rule.name.upper()}]")
                counts[rule.name] += replaced
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


def _replace(text: str, spans: list[Span], placeholder: str) -> tuple[str, int]:
    """``text`` with each span (the first of overlapping ones) replaced by ``placeholder``."""
    parts, end, replaced = [], 0, 0
    for start, stop in sorted(spans):
        if start < end or stop <= start:
            continue
        parts += [text[end:start], placeholder]
        end, replaced = stop, replaced + 1
    parts.append(text[end:])
    return "".join(parts), replaced


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


def _regions(spec: IngestRedaction) -> tuple[str, ...]:
    return DEFAULT_PHONE_REGIONS if spec.phone_regions is None else tuple(spec.phone_regions)


def redactor_for(spec: IngestRedaction) -> Redactor:
    """The redactor a study's ``ingest.redaction`` section describes."""
    rules: tuple[Detector, ...] = builtin_detectors(_regions(spec)) if spec.builtins else ()
    if spec.addresses:
        require_usaddress()
        rules += (BuiltinDetector("address", address_spans),)
    rules += tuple(RedactionRule(p.name, re.compile(p.pattern)) for p in spec.patterns)
    if spec.function is None:
        return Redactor(rules)
    return Redactor(rules, load_function(spec.function), spec.function)
