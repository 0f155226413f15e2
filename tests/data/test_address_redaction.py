"""The opt-in, best-effort street address detector: off unless the study asks for it; when
on, at least 90% of the address corpus (generated and hand-written) redacted, and no more
than 2% of the sentences without personal data (numbers, and capitalised names of places,
products and companies) touched."""

from __future__ import annotations

import pytest
import usaddress

from baton.data import Redactor, _addresses, redactor_for
from baton.errors import InputError
from baton.study import IngestRedaction
from tests.data.redaction_corpus import NAMED_NEGATIVES, NEGATIVES, address_positives, score

MIN_RECALL = 0.90
MAX_FALSE_POSITIVE_RATE = 0.02


def _address_only() -> Redactor:
    return redactor_for(IngestRedaction(builtins=False, addresses=True))


def test_addresses_are_left_alone_unless_the_study_asks() -> None:
    text = "Please ship it to 4500 W. Elm Avenue, Apt 5B, Portland, OR 97205."
    assert Redactor().redact(text)[0] == text
    assert redactor_for(IngestRedaction()).redact(text)[0] == text
    redacted, counts = redactor_for(IngestRedaction(addresses=True)).redact(text)
    assert redacted == "Please ship it to [ADDRESS]."
    assert counts == {"address": 1}


def test_recall_and_false_positives_over_the_corpus() -> None:
    cases = address_positives()
    assert len(cases) >= 50
    negatives = NEGATIVES + NAMED_NEGATIVES
    scores, fired = score(_address_only(), cases, negatives)
    assert scores["address"].recall >= MIN_RECALL
    assert len(fired) <= MAX_FALSE_POSITIVE_RATE * len(negatives)


@pytest.mark.parametrize(
    "text",
    [
        "The score was 21 Park Rangers to 14 River Hawks.",
        "Version 12 Street Fighter is out on 3 platforms.",
        "Route 66 runs through 8 states.",
        "Take Exit 12 and turn left after 300 yards.",
    ],
)
def test_numbers_before_capitalised_words_are_not_addresses(text: str) -> None:
    assert _address_only().redact(text)[0] == text


def test_a_parse_that_fails_is_no_address_and_quotes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    def refuse(_text: str) -> None:
        raise usaddress.RepeatedLabelError("4500 Elm Avenue", [], "AddressNumber")

    monkeypatch.setattr(usaddress, "tag", refuse)
    assert _address_only().redact("at 4500 Elm Avenue today")[0] == "at 4500 Elm Avenue today"


def test_without_usaddress_the_study_is_refused_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "usaddress", None)
    with pytest.raises(InputError, match=r"baton-migrate\[addresses\]"):
        _addresses.require_usaddress()
    with pytest.raises(InputError, match=r"ingest\.redaction\.addresses"):
        _address_only()
