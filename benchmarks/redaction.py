"""Redaction: recall and false positives of the built-in detectors over the corpus, and
their speed.

The corpus (``tests/data/redaction_corpus.py``) holds positives of every type generated
from a fixed seed (phone numbers of 20 countries in national and international formats,
ASCII and internationalised e-mail addresses, cards of eight issuers with and without
separators, IBANs of 14 countries, SSNs, UK NI numbers, provider keys, tokens and
passwords, IPv4 and IPv6) and sentences without personal data full of dates, prices,
versions, order and part numbers. Recall counts a positive as found when its value is gone
and its type's placeholder is in its place; a false positive is a negative sentence that a
type changed. Speed is the time per text on the negatives (most fall through the cheap
pre-checks) and on the positives.

Run: ``make bench-redaction`` (``python -m benchmarks.redaction``).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from tests.data.redaction_corpus import NEGATIVES, positives, score

from baton.data import Redactor


def _microseconds_per_text(redactor: Redactor, texts: list[str], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            redactor.redact(text)
    return (time.perf_counter() - started) / (repeat * len(texts)) * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes for the speed figures")
    args = parser.parse_args(argv)
    redactor = Redactor()
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
    clean = _microseconds_per_text(redactor, list(NEGATIVES), args.repeat)
    dirty = _microseconds_per_text(redactor, [p.text for p in positives()], args.repeat)
    print()
    print(f"speed: {clean:,.0f} µs per negative sentence, {dirty:,.0f} µs per positive one")


if __name__ == "__main__":
    main()
