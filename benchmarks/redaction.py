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

Run: ``make bench-redaction`` (``python -m benchmarks.redaction``).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from tests.data.redaction_corpus import NEGATIVES, positives, score

from baton.data import Redactor


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


if __name__ == "__main__":
    main()
