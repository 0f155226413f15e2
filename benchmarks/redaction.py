"""Redaction: recall and false positives of the built-in detectors over the corpus, and
their speed.

The corpus (``tests/data/redaction_corpus.py``) holds positives of every type generated
from a fixed seed (phone numbers of 20 countries in national and international formats,
ASCII and internationalised e-mail addresses, cards of eight issuers with and without
separators, IBANs of 14 countries, SSNs, UK NI numbers, provider keys, tokens and
passwords, IPv4 and IPv6) and sentences without personal data full of dates, prices,
versions, order and part numbers. Recall counts a positive as found when its value is gone
and its type's placeholder is in its place; a false positive is a negative sentence that a
type changed. Speed is the processor time per text (less disturbed by other jobs than the
wall clock) on one pass over the negatives and one over the positives, after a warm-up on
other text that loads libphonenumber's metadata (a second pass would find the numbers it
already checked in its cache).

Then the best-effort types, over corpora of their own and the negatives together with
sentences full of capitalised names of places, products and companies: US street addresses
with the opt-in detector (``ingest.redaction.addresses``, needs ``usaddress``), and
people's names as the one offline library that tags them, ``probablepeople`` (DataMade's
name parser), would find them if it were given every run of two or three capitalised
words: the figure that explains why Baton has no name detector (shown when
``probablepeople`` is installed; it is no dependency of Baton's).

Run: ``make bench-redaction`` (``python -m benchmarks.redaction``).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tests.data.redaction_corpus import (
    NAMED_NEGATIVES,
    NEGATIVES,
    Positive,
    address_positives,
    name_positives,
    positives,
    score,
)

from baton.data import Redactor, redactor_for
from baton.study import IngestRedaction

_NAME_CANDIDATE = re.compile(
    r"\b(?:(?:Dr|Mr|Ms|Mrs)\.\s+)?[A-Z][a-z'’]+(?:[-\s][A-Z][\w'’]+){1,2}\b"
)


def _probablepeople_names() -> Callable[[str], list[tuple[int, int]]] | None:
    """Runs of two or three capitalised words that ``probablepeople`` tags as a person
    with a given name and a surname; None when it is not installed."""
    try:
        import probablepeople  # noqa: PLC0415 (no dependency of Baton's)
    except ImportError:
        return None

    def find(text: str) -> list[tuple[int, int]]:
        spans = []
        for match in _NAME_CANDIDATE.finditer(text):
            try:
                tags, kind = probablepeople.tag(match.group())
            except probablepeople.RepeatedLabelError:
                continue
            if kind == "Person" and "GivenName" in tags and "Surname" in tags:
                spans.append(match.span())
        return spans

    return find


def _best_effort_row(
    kind: str, cases: list[Positive], find: Callable[[str], list[tuple[int, int]]]
) -> str:
    negatives = NEGATIVES + NAMED_NEGATIVES
    found = 0
    for case in cases:
        spans = find(case.text)
        start = case.text.index(case.value)
        found += any(a <= start < b for a, b in spans)
    fired = sum(bool(find(text)) for text in negatives)
    return (
        f"| {kind} | {len(cases)} | {found} | {found / len(cases):.3f} | "
        f"{fired} / {len(negatives)} ({fired / len(negatives):.1%}) |"
    )


def _microseconds_per_text(redactor: Redactor, texts: list[str]) -> float:
    started = time.process_time()
    for text in texts:
        redactor.redact(text)
    return (time.process_time() - started) / len(texts) * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    redactor = Redactor()
    redactor.redact("warm up: +1 212 736 5000, 030 1234567, 0612345678, 98765 43210, a@b.co")
    clean = _microseconds_per_text(redactor, list(NEGATIVES))
    dirty = _microseconds_per_text(redactor, [p.text for p in positives()])
    scores, fired = score(redactor)
    negatives = len(NEGATIVES)
    print(f"{datetime.now(UTC):%Y-%m-%d}, python -m benchmarks.redaction")
    print(f"corpus: {sum(s.positives for s in scores.values())} positives, {negatives} negatives")
    print()
    print("| type | positives | found | recall | false positives |")
    print("|---|---:|---:|---:|---:|")
    for kind in sorted(scores, key=lambda k: -scores[k].positives):
        s = scores[kind]
        print(
            f"| {kind} | {s.positives} | {s.found} | {s.recall:.3f} | "
            f"{s.false_positives} / {negatives} |"
        )
    found = sum(s.found for s in scores.values())
    total = sum(s.positives for s in scores.values())
    print(f"| all | {total} | {found} | {found / total:.3f} | {len(fired)} / {negatives} |")
    for text in fired:
        print(f"  false positive: {text!r} -> {redactor.redact(text)[0]!r}")
    print()
    print(f"speed (processor time): {clean:,.0f} µs per negative, {dirty:,.0f} µs per positive")
    print()
    _best_effort()


def _best_effort() -> None:
    negatives = len(NEGATIVES + NAMED_NEGATIVES)
    print(f"best effort: negatives = the {len(NEGATIVES)} above + {len(NAMED_NEGATIVES)} named")
    print()
    print("| type | positives | found | recall | false positives |")
    print("|---|---:|---:|---:|---:|")
    try:
        addresses = redactor_for(IngestRedaction(builtins=False, addresses=True))
    except Exception as exc:  # the extra is not installed
        print(f"| address (opt-in, usaddress) | not run: {exc} | | | |")
    else:
        cases = address_positives()
        scores, fired = score(addresses, cases, NEGATIVES + NAMED_NEGATIVES)
        s = scores["address"]
        print(
            f"| address (opt-in, usaddress) | {s.positives} | {s.found} | {s.recall:.3f} | "
            f"{len(fired)} / {negatives} ({len(fired) / negatives:.1%}) |"
        )
        for text in fired:
            print(f"  false positive: {text!r}")
        for case in cases:
            if case.value in addresses.redact(case.text)[0]:
                print(f"  missed: {case.text!r}")
        speed = _microseconds_per_text(addresses, list(NEGATIVES) + [c.text for c in cases])
        print(f"  speed (processor time): {speed:,.0f} µs per text")
    names = _probablepeople_names()
    if names is None:
        print("| name (probablepeople, not used) | not run: pip install probablepeople | | | |")
    else:
        print(_best_effort_row("name (probablepeople, not used)", name_positives(), names))


if __name__ == "__main__":
    main()
