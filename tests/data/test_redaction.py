"""Redaction, table-driven: what each built-in detector takes, and near misses it leaves."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest

from baton.data import Redactor, redactor_for
from baton.data._redaction import luhn_valid
from baton.errors import InputError
from baton.study import IngestRedaction

REDACTED = [
    ("email", "write to jane.doe+billing@example.co.uk today", "write to [EMAIL] today"),
    ("email", "<ops@mail.example.org>", "<[EMAIL]>"),
    ("card", "card 4111 1111 1111 1111, exp 12/27", "card [CARD], exp 12/27"),
    ("card", "4111-1111-1111-1111", "[CARD]"),
    ("card", "Amex 378282246310005.", "Amex [CARD]."),
    ("card", "mc 5500005555555559", "mc [CARD]"),
    ("ip", "from 192.168.0.1.", "from [IP]."),
    ("ip", "host 10.0.0.255:8080", "host [IP]:8080"),
    ("ip", "v6 2001:db8::8a2e:370:7334 here", "v6 [IP] here"),
    ("ip", "loopback ::1", "loopback [IP]"),
    ("ip", "mapped ::ffff:192.0.2.1", "mapped [IP]"),
    ("phone", "call +44 20 7946 0958", "call [PHONE]"),
    ("phone", "call (555) 123-4567 now", "call [PHONE] now"),
    ("phone", "555-123-4567", "[PHONE]"),
    ("phone", "+1-800-555-0199", "[PHONE]"),
    ("phone", "Berlin 030 12345678", "Berlin [PHONE]"),
    ("phone", "tel. 06 12 34 56 78", "tel. [PHONE]"),
    ("phone", "555.123.4567", "[PHONE]"),
    # what the hand-written patterns missed
    ("phone", "call +442079460958 now", "call [PHONE] now"),
    ("phone", "Paris: +33 1 42 68 53 00.", "Paris: [PHONE]."),
    ("phone", "ring 4155550132", "ring [PHONE]"),
    ("phone", "Tokyo 03-3224-5000", "Tokyo [PHONE]"),
    ("phone", "mobile 07911 123456", "mobile [PHONE]"),
    ("email", "müller@beispiel.de", "[EMAIL]"),
    ("email", "mail почта@пример.рф", "mail [EMAIL]"),
    ("card", "4111.1111.1111.1111", "[CARD]"),
    ("card", "3782 822463 10005", "[CARD]"),
    ("iban", "IBAN DE89 3704 0044 0532 0130 00 for rent", "IBAN [IBAN] for rent"),
    ("iban", "GB82WEST12345698765432", "[IBAN]"),
    ("iban", "FR14 2004 1010 0505 0001 3M02 606", "[IBAN]"),
    ("iban", "NL91ABNA0417164300.", "[IBAN]."),
    ("ssn", "SSN 536-22-1234", "SSN [SSN]"),
    (
        "nino",
        "NI QQ123456C is a specimen, AB 12 34 56 C is not",
        "NI QQ123456C is a specimen, [NINO] is not",
    ),
    ("nino", "ni: JG103759A", "ni: [NINO]"),
    ("secret", "key sk-proj-abcDEF1234567890abcdefGHIJ1234 ok", "key [SECRET] ok"),
    ("secret", "sk-ant-api03-aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI6kL9", "[SECRET]"),
    ("secret", "AWS AKIAIOSFODNN7EXAMPLE", "AWS [SECRET]"),
    ("secret", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "[SECRET]"),
    ("secret", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "[SECRET]"),
    ("secret", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "[SECRET]"),
    ("secret", "OPENAI_API_KEY=wlfJcciWjOYTj142Zc9BMkcEgRnkdaru", "OPENAI_API_KEY=[SECRET]"),
    ("secret", "password: hunter2!", "password: [SECRET]"),
    (
        "secret",
        "SG.abcdefghijABCDEFGHIJ12.abcdefghijABCDEFGHIJ1234567890abcdefghijABC used",
        "[SECRET] used",
    ),
    (
        "secret",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uh",
        "jwt [SECRET]",
    ),
]

NEAR_MISSES = [
    "card 4111 1111 1111 1112 (fails the Luhn check)",
    "id 9111111111111111 (no card starts with 9)",
    "order 1234567890 (a bare digit run)",
    "user@localhost",
    "@handle on the forum",
    "a@b.c",
    "name at example dot com",
    "on 2024-01-15 at 10:30:45",
    "2024-01-15 10:30",
    "12.05.2024",
    "version v3.11.4 and 1.2.3.4.5",
    "256.1.1.1 is not an address",
    "1.2.3",
    "MAC 00:1A:2B:3C:4D:5E",
    "std::vector<int>",
    "price $1,234.56",
    "room 12 34",
    "ISBN 0-306-40615-2",
    "at 3:30pm",
    "position 48.8566, 2.3522",
    "12345",
    "part 123-456-789",
    "order 4155550132",
    "EAN 5901234123457",
    "ISBN 978-3-16-148410-0",
    "invoice 2023-000451",
    "DE 2024 report, page 1234 5678",
    "password: required",
    "The class AbstractHttp2StreamFrameDecoderV8",
    "commit 3f9a2c1d4b5e6f708192a3b4c5d6e7f809102132",
]


@pytest.mark.parametrize(("rule", "text", "expected"), REDACTED)
def test_builtin_detectors_redact(rule: str, text: str, expected: str) -> None:
    redacted, counts = Redactor().redact(text)
    assert redacted == expected
    assert counts == {rule: 1}


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_left_alone(text: str) -> None:
    assert Redactor().redact(text) == (text, {})


def test_counts_add_up_over_a_text() -> None:
    text = "a@x.io, b@y.io, 4111111111111111 and +49 30 12345678"
    redacted, counts = Redactor().redact(text)
    assert redacted == "[EMAIL], [EMAIL], [CARD] and [PHONE]"
    assert counts == {"email": 2, "card": 1, "phone": 1}


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("79927398713", True), ("79927398710", False), ("0", True)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.fixture
def user_module() -> Iterator[str]:
    module = types.ModuleType("baton_test_redact")

    def redact(text: str) -> str:
        return text.replace("Alice", "[NAME]")

    def broken(text: str) -> str:
        raise RuntimeError("boom")

    def wrong(text: str) -> int:
        return 3

    module.redact = redact  # type: ignore[attr-defined]
    module.broken = broken  # type: ignore[attr-defined]
    module.wrong = wrong  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield module.__name__
    del sys.modules[module.__name__]


def test_user_patterns_and_function_run_after_the_builtins(user_module: str) -> None:
    spec = IngestRedaction(
        patterns=[{"name": "employee", "pattern": r"EMP-\d{6}"}],
        function=f"{user_module}:redact",
    )
    redacted, counts = redactor_for(spec).redact("Alice (EMP-123456, alice@corp.com)")
    assert redacted == "[NAME] ([EMPLOYEE], [EMAIL])"
    assert counts == {"email": 1, "employee": 1, f"{user_module}:redact": 1}


def test_phone_regions_choose_the_national_formats() -> None:
    japan = "Tokyo 03-3224-5000"
    assert redactor_for(IngestRedaction(phone_regions=["jp"])).redact(japan)[0] == "Tokyo [PHONE]"
    assert redactor_for(IngestRedaction(phone_regions=["DE"])).redact(japan) == (japan, {})
    international = "+81 3-3224-5000"
    assert redactor_for(IngestRedaction(phone_regions=["DE"])).redact(international)[1] == {
        "phone": 1
    }


def test_an_unknown_phone_region_is_refused() -> None:
    with pytest.raises(ValueError, match="not a region libphonenumber knows: XX"):
        IngestRedaction(phone_regions=["US", "XX"])


def test_builtins_can_be_turned_off() -> None:
    redactor = redactor_for(IngestRedaction(builtins=False))
    assert not redactor.active
    assert redactor.redact("bob@example.com") == ("bob@example.com", {})


@pytest.mark.parametrize(
    ("name", "message"),
    [("broken", "failed: RuntimeError: boom"), ("wrong", "returned int, not str")],
)
def test_a_failing_user_function_is_an_input_error(
    user_module: str, name: str, message: str
) -> None:
    redactor = redactor_for(IngestRedaction(function=f"{user_module}:{name}"))
    with pytest.raises(InputError, match=message):
        redactor.redact("text")


@pytest.mark.parametrize(
    ("reference", "message"),
    [("no_such_module_xyz:f", "cannot import"), ("json:no_such_function", "no function")],
)
def test_an_unknown_user_function_is_named(reference: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        redactor_for(IngestRedaction(function=reference))
    assert caught.value.source == reference
