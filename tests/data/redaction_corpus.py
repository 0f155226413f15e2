"""The redaction corpus: personal data of every built-in type in sentences, and sentences
without any, full of numbers that look like it (dates, prices, versions, order and part
numbers).

The positives are generated from a fixed seed by the numbering and check-digit rules of
each kind (real area codes and mobile prefixes, Luhn, IBAN mod 97, SSN and NI ranges, key
prefixes and lengths), written in the formats people use; none is checked with the
libraries the redactor uses. ``score`` runs a redactor over the corpus: the recall of each
type, and the negatives each type fired on. Used by ``test_redaction_corpus.py`` and by
``python -m benchmarks.redaction``.

The best-effort types have corpora of their own: US street addresses (``address``, the
opt-in detector) and people's names (``name``, no detector: the benchmark shows how a
library scores on them), with ``NAMED_NEGATIVES``, sentences full of capitalised names of
products, places, companies and events but no person and no street address.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from baton.data import Redactor

__all__ = [
    "NAMED_NEGATIVES",
    "NEGATIVES",
    "KindScore",
    "Positive",
    "address_positives",
    "name_positives",
    "positives",
    "score",
]

SEED = 20261205


@dataclass(frozen=True)
class Positive:
    """A sentence holding ``value``, a datum of type ``kind`` (a detector's name)."""

    kind: str
    text: str
    value: str


# --- phone numbers ------------------------------------------------------------------------

Digits = Callable[[int], str]


def _us(r: random.Random, d: Digits) -> list[str]:
    area = r.choice(["212", "312", "415", "503", "617", "646", "206", "305", "404", "512", "713"])
    exchange = str(r.randint(2, 9)) + r.choice([str(n).zfill(2) for n in range(100) if n != 55])
    line = d(4)
    return [
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"{area}{exchange}{line}",
        f"+1 {area} {exchange} {line}",
        f"+1-{area}-{exchange}-{line}",
        f"1-{area}-{exchange}-{line}",
        f"+1{area}{exchange}{line}",
        f"+1 ({area}) {exchange}-{line}",
    ]


def _gb(r: random.Random, d: Digits) -> list[str]:
    london = f"{r.choice('378')}{d(3)}"
    tail = d(4)
    mobile = f"7{r.choice(['400', '507', '700', '811', '911', '958', '984'])}"
    rest = d(6)
    return [
        f"020 {london} {tail}",
        f"+44 20 {london} {tail}",
        f"+44 (0)20 {london} {tail}",
        f"+4420{london}{tail}",
        f"0{mobile} {rest}",
        f"+44 {mobile} {rest}",
        f"0161 {r.randint(200, 999)} {d(4)}",
        f"+44 131 {r.randint(200, 999)} {d(4)}",
    ]


def _de(r: random.Random, d: Digits) -> list[str]:
    berlin = f"{r.randint(2, 9)}{d(7)}"
    mobile = r.choice(["151", "160", "170", "171", "172", "176", "177", "179"])
    return [
        f"030 {berlin}",
        f"030/{berlin}",
        f"+49 30 {berlin}",
        f"+49 (0)30 {berlin}",
        f"089 {r.randint(2, 9)}{d(6)}",
        f"0{mobile} {r.randint(2, 9)}{d(6)}",
        f"+49 {mobile} {r.randint(2, 9)}{d(6)}",
        f"0221-{r.randint(2, 9)}{d(6)}",
    ]


def _fr(r: random.Random, d: Digits) -> list[str]:
    pairs = [f"{r.randint(10, 99)}" for _ in range(4)]
    land, mobile = str(r.randint(1, 5)), r.choice(["6", "7"])
    mobile_pairs = [f"{r.randint(30, 99)}", *pairs[1:]]
    return [
        f"0{land} {' '.join(pairs)}",
        f"0{land}.{'.'.join(pairs)}",
        f"0{land}{''.join(pairs)}",
        f"+33 {land} {' '.join(pairs)}",
        f"+33{mobile}{''.join(mobile_pairs)}",
        f"0{mobile}-{'-'.join(mobile_pairs)}",
    ]


def _in(r: random.Random, d: Digits) -> list[str]:
    first = f"{r.choice('6789')}{d(4)}"
    second = d(5)
    return [f"+91 {first} {second}", f"+91-{first}{second}", f"0{first} {second}"]


def _others(r: random.Random, d: Digits) -> list[str]:
    return [
        f"+34 6{d(2)} {d(2)} {d(2)} {d(2)}",
        f"91{r.randint(2, 9)} {d(3)} {d(3)}",
        f"+39 06 {d(4)} {d(4)}",
        f"+39 3{r.choice('234')}{d(1)} {d(3)} {d(4)}",
        f"+31 20 {r.randint(2, 9)}{d(2)} {d(4)}",
        f"06 {r.randint(10, 68)}{d(6)}",
        f"+55 11 9{r.randint(6, 9)}{d(3)}-{d(4)}",
        f"(11) 9{r.randint(6, 9)}{d(3)}-{d(4)}",
        f"+61 2 {r.randint(8, 9)}{d(3)} {d(4)}",
        f"04{r.randint(0, 9)}{d(1)} {d(3)} {d(3)}",
        f"+81 3-{r.randint(3, 6)}{d(3)}-{d(4)}",
        f"090-{r.randint(1, 9)}{d(3)}-{d(4)}",
        f"+41 44 {r.randint(2, 9)}{d(2)} {d(2)} {d(2)}",
        f"+46 8 {r.randint(4, 7)}{d(2)} {d(3)} {d(2)}",
        f"+353 1 {r.randint(2, 9)}{d(2)} {d(4)}",
        f"+48 22 {r.randint(5, 8)}{d(2)} {d(2)} {d(2)}",
        f"+52 55 {r.randint(5, 5)}{d(3)} {d(4)}",
        f"+65 {r.choice('689')}{d(3)} {d(4)}",
        f"+86 138 {d(4)} {d(4)}",
        f"+971 4 {r.randint(2, 4)}{d(2)} {d(4)}",
    ]


def _world(r: random.Random, d: Digits) -> list[str]:
    return [
        f"+7 495 {r.randint(2, 9)}{d(2)}-{d(2)}-{d(2)}",
        f"+90 212 {r.randint(2, 9)}{d(2)} {d(2)} {d(2)}",
        f"+27 82 {d(3)} {d(4)}",
        f"+972 3-{r.randint(5, 7)}{d(2)}-{d(4)}",
        f"+1.{r.choice(['415', '312', '646'])}.{r.randint(2, 9)}{d(2)}.{d(4)}",
        f"0044 20 7{d(3)} {d(4)}",
        f"+33 (0)1 {d(2)} {d(2)} {d(2)} {d(2)}",
        f"+49-89-{r.randint(2, 9)}{d(6)}",
        f"+351 21 {r.randint(2, 9)}{d(2)} {d(4)}",
        f"+45 {r.randint(3, 4)}{d(1)} {d(2)} {d(2)} {d(2)}",
        f"+62 21 {r.randint(2, 9)}{d(3)} {d(4)}",
        f"+54 11 {r.randint(4, 6)}{d(3)}-{d(4)}",
    ]


_PHONE_TEMPLATES = [
    "Please call me on {} after 5pm.",
    "My number is {}",
    "Contact: {} (mobile)",
    "you can reach the front desk at {}, any time",
    "{}",
    "Ring {} if the parcel does not arrive.",
    "tel: {}",
    "Her new number, {}, works now.",
]


def _phones(r: random.Random) -> Iterator[tuple[str, str]]:
    def digits(n: int) -> str:
        return "".join(r.choice(string.digits) for _ in range(n))

    numbers = []
    for make in (_us, _gb, _de, _fr, _in, _others, _world):
        numbers += make(r, digits)
    numbers += _us(r, digits)[:4] + _others(r, digits)[:10]
    for k, number in enumerate(numbers):
        yield _PHONE_TEMPLATES[k % len(_PHONE_TEMPLATES)].format(number), number


# --- e-mail -------------------------------------------------------------------------------

_LOCALS = [
    "jane.doe", "j.smith+billing", "ops", "müller", "josé.garcía", "françois.dupont",
    "李雷", "почта", "δοκιμή", "user_42", "o'connor", "first-last", "a.b.c.d", "ünal",
    "søren", "info", "support+ticket-1234", "Mary.Jones", "zoë",
]  # fmt: skip
_DOMAINS = [
    "example.com", "mail.example.co.uk", "beispiel.de", "correo.es", "bücher.de",
    "пример.рф", "例子.广告", "xn--bcher-kva.de", "company.io", "uni-heidelberg.de",
    "post.example.org", "παράδειγμα.ελ", "exemple.fr", "dept.example.ac.jp", "firma.pl",
]  # fmt: skip
_EMAIL_TEMPLATES = [
    "write to {} today",
    "<{}>",
    "Email: {}.",
    "cc {}, and the team",
    "(mailto:{})",
    "Reply to {} with the form attached.",
]


def _emails(r: random.Random) -> Iterator[tuple[str, str]]:
    for k in range(45):
        address = f"{_LOCALS[k % len(_LOCALS)]}@{r.choice(_DOMAINS)}"
        yield _EMAIL_TEMPLATES[k % len(_EMAIL_TEMPLATES)].format(address), address


# --- cards, IBANs, SSNs, NI numbers ---------------------------------------------------------


def _luhn_complete(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return body + str((10 - total % 10) % 10)


def _cards(r: random.Random) -> Iterator[tuple[str, str]]:
    issuers = [("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15)]
    issuers += [("37", 15), ("6011", 16), ("65", 16), ("35", 16), ("36", 14), ("4", 19)]
    templates = ["card {}, exp 12/27", "Pay with {} please", "{}", "the card number is {}."]
    for k in range(48):
        prefix, length = issuers[k % len(issuers)]
        body = prefix + "".join(r.choice(string.digits) for _ in range(length - len(prefix) - 1))
        number = _luhn_complete(body)
        if length in (14, 15):
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i : i + 4] for i in range(0, length, 4)]
        written = ["".join(groups), " ".join(groups), "-".join(groups), ".".join(groups)][k % 4]
        yield templates[k % len(templates)].format(written), written


_BBAN: dict[str, list[tuple[str, int]]] = {
    "DE": [("n", 18)], "GB": [("a", 4), ("n", 14)], "FR": [("n", 23)],
    "NL": [("a", 4), ("n", 10)], "IT": [("a", 1), ("n", 22)], "CH": [("n", 17)],
    "AT": [("n", 16)], "PL": [("n", 24)], "IE": [("a", 4), ("n", 14)], "SE": [("n", 20)],
    "DK": [("n", 14)], "PT": [("n", 21)], "LU": [("n", 16)], "FI": [("n", 14)],
}  # fmt: skip


def _iban(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def _ibans(r: random.Random) -> Iterator[tuple[str, str]]:
    templates = ["IBAN {}", "Please transfer it to {} by Friday.", "account: {}", "{}"]
    for k in range(42):
        country = list(_BBAN)[k % len(_BBAN)]
        bban = "".join(
            "".join(
                r.choice(string.ascii_uppercase if kind == "a" else string.digits)
                for _ in range(count)
            )
            for kind, count in _BBAN[country]
        )
        number = _iban(country, bban)
        written = number if k % 2 else " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        yield templates[k % len(templates)].format(written), written


def _ssns(r: random.Random) -> Iterator[tuple[str, str]]:
    templates = ["SSN {}", "my social security number is {}", "{} (SSN)", "ssn: {}."]
    for k in range(24):
        area = r.choice([n for n in range(1, 900) if n != 666])
        group, serial = r.randint(1, 99), r.randint(1, 9999)
        sep = " " if k % 6 == 5 else "-"
        number = f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"
        yield templates[k % len(templates)].format(number), number


_NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NI_BANNED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _ninos(r: random.Random) -> Iterator[tuple[str, str]]:
    templates = ["NI number {}", "National Insurance: {}", "{}", "my NINO is {}, thanks"]
    k = 0
    while k < 24:
        prefix = r.choice(_NI_FIRST) + r.choice(_NI_SECOND)
        if prefix in _NI_BANNED:
            continue
        pairs = [f"{r.randint(0, 99):02d}" for _ in range(3)]
        suffix = r.choice("ABCD")
        number = (
            f"{prefix} {' '.join(pairs)} {suffix}" if k % 2 else prefix + "".join(pairs) + suffix
        )
        yield templates[k % len(templates)].format(number), number
        k += 1


# --- secrets and IP addresses ---------------------------------------------------------------

_ALNUM = string.ascii_letters + string.digits
_URLSAFE = _ALNUM + "_-"


def _secret_values(r: random.Random) -> list[str]:
    def pick(alphabet: str, n: int) -> str:
        return "".join(r.choice(alphabet) for _ in range(n))

    upper = string.ascii_uppercase + "234567"
    return [
        "sk-" + pick(_ALNUM, 48),
        "sk-proj-" + pick(_URLSAFE, 120),
        "sk-svcacct-" + pick(_URLSAFE, 60),
        "sk-ant-api03-" + pick(_URLSAFE, 93) + "AA",
        "sk-ant-admin01-" + pick(_URLSAFE, 80),
        "AKIA" + pick(upper, 16),
        "ASIA" + pick(upper, 16),
        "ghp_" + pick(_ALNUM, 36),
        "gho_" + pick(_ALNUM, 36),
        "ghs_" + pick(_ALNUM, 36),
        "github_pat_" + pick(_ALNUM, 22) + "_" + pick(_ALNUM, 59),
        "xoxb-" + pick(string.digits, 12) + "-" + pick(string.digits, 13) + "-" + pick(_ALNUM, 24),
        "xoxp-" + pick(string.digits, 12) + "-" + pick(string.digits, 12) + "-" + pick(_ALNUM, 32),
        "AIza" + pick(_URLSAFE, 35),
        "sk_live_" + pick(_ALNUM, 24),
        "rk_live_" + pick(_ALNUM, 24),
        "hf_" + pick(_ALNUM, 34),
        "glpat-" + pick(_URLSAFE, 20),
        "npm_" + pick(_ALNUM, 36),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI"
        + pick(_URLSAFE, 30)
        + "."
        + pick(_URLSAFE, 43),
        pick(_ALNUM + "+/", 40),  # an AWS secret access key
        pick(_ALNUM, 32),  # a bare random token
    ]


def _secrets(r: random.Random) -> Iterator[tuple[str, str]]:
    templates = [
        "my key is {} - is it leaked?",
        "export OPENAI_API_KEY={}",
        "token {}",
        "Why does {} return 401?",
    ]
    values = _secret_values(r) + _secret_values(r)
    for k, value in enumerate(values):
        yield templates[k % len(templates)].format(value), value
    password = "".join(r.choice(_ALNUM) for _ in range(12))
    yield f"login with password: {password} then retry", password
    bearer = "".join(r.choice(_URLSAFE) for _ in range(40))
    yield f"curl -H 'Authorization: Bearer {bearer}' https://api.example.com", bearer
    key_block = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow"
        + "".join(r.choice(_ALNUM) for _ in range(60))
        + "\n-----END RSA PRIVATE KEY-----"
    )
    yield f"here is my key:\n{key_block}\nthanks", key_block


def _ips(r: random.Random) -> Iterator[tuple[str, str]]:
    templates = ["from {} at login", "host {}:8080", "ssh admin@{}", "blocked {}.", "IP={}"]
    for k in range(30):
        if k % 3 == 2:
            groups = [f"{r.randint(0, 0xFFFF):x}" for _ in range(8)]
            address = ":".join(groups) if k % 2 else f"2001:db8::{groups[0]}:{groups[1]}"
            template = "from {} at login" if k % 2 else "v6 {} here"
        else:
            first = r.choice([10, 172, 192, 203, 81, 54, 8])
            address = f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
            template = templates[k % len(templates)]
        yield template.format(address), address
    yield "loopback ::1 only", "::1"
    yield "mapped ::ffff:192.0.2.1 here", "::ffff:192.0.2.1"
    yield "link-local fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"


_MAKERS: dict[str, Callable[[random.Random], Iterator[tuple[str, str]]]] = {
    "phone": _phones,
    "email": _emails,
    "card": _cards,
    "iban": _ibans,
    "ssn": _ssns,
    "nino": _ninos,
    "secret": _secrets,
    "ip": _ips,
}


def positives() -> list[Positive]:
    """Every positive of the corpus, the same on every call."""
    r = random.Random(SEED)
    return [
        Positive(kind, text, value) for kind, make in _MAKERS.items() for text, value in make(r)
    ]


NEGATIVES: tuple[str, ...] = (
    # dates and times
    "The meeting moved from 2024-01-15 to 2024-02-03 at 10:30.",
    "Invoice dated 15/01/2024, due 14.02.2024.",
    "Logs from 2024-01-15T10:30:45Z to 2024-01-15T11:02:10+01:00 are missing.",
    "on 2024-01-15 at 10:30:45",
    "Q3 2023 revenue grew 12.5% over Q3 2022.",
    "He was born in 1987 and moved in 2001, 2008 and 2019.",
    "Opening hours: 09:00-17:30, Mon-Fri; 10:00-14:00 Sat.",
    "The deadline is 31 March 2025, 23:59 CET.",
    "Timestamp 1700000000 is 2023-11-14 22:13:20 UTC.",
    "Week 48 of 2026 runs from 23.11.2026 to 29.11.2026.",
    "Between 1990 and 2020 the population rose from 4,520,000 to 5,310,000.",
    "The lease runs 2025-2030 with a break clause in 2027.",
    # prices and quantities
    "The total is $1,234.56 including tax.",
    "It costs 1.299,00 EUR or £1,099.99 in the UK.",
    "We sold 1,234,567 units at an average of $12.49.",
    "Shipping 4.99, subtotal 129.95, discount -15.00, total 119.94.",
    "The budget grew from 2 500 000 to 3 750 000 NOK.",
    "Salary range: 85 000 - 110 000 GBP per year.",
    "A pack of 24 costs 18,90 € and weighs 2.4 kg.",
    "Price per unit: 0.0042 USD for the first 1,000,000 requests.",
    "Their market cap is 2 340 000 000 000 dollars.",
    "Pay 3 instalments of 333.33 each on the 1st of the month.",
    # versions and software
    "Upgrade from Python 3.11.4 to 3.12.1 and numpy 1.26.4.",
    "version v3.11.4 and 1.2.3.4.5",
    "Windows build 10.0.19045.2965 fails, 10.0.22631.3296 works.",
    "Pin duckdb==1.2.0 and pandas>=2.1,<3.",
    "The Docker image node:20.11.1-alpine3.19 is 45 MB.",
    "Release 2.0.0-rc.1+build.5678 is tagged.",
    "Chrome 120.0.6099.109 on macOS 14.2.1 crashes.",
    "Kernel 6.5.0-1014-azure panicked at boot.",
    "Error code 0x80070005 means access denied.",
    "Commit 3f9a2c1d4b5e6f708192a3b4c5d6e7f809102132 fixed it.",
    "The SHA-256 is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.",
    "Request id 123e4567-e89b-12d3-a456-426614174000 timed out.",
    "Use std::vector<int> and std::map<int, int> here.",
    "Set max_tokens=4096, temperature=0.7 and top_p=0.95.",
    "Listen on port 8080, then 8443, with a timeout of 30000 ms.",
    "Screen resolution 1920x1080 at 144 Hz, DPI 96.",
    "The API returned HTTP 429 after 1200 requests per minute.",
    "Use the ask-me-anything template and the risk-adjusted-return metric.",
    "Call task-runner-2 with --retries 3.",
    "The function getUserAccountById returns a UserAccountDto object.",
    "Class AbstractSingletonProxyFactoryBean extends BaseFactory2.",
    "The colour is #1E90FF, the accent #FF6347.",
    # order, part, tracking and reference numbers
    "order 1234567890 (a bare digit run)",
    "Your order #48213 ships tomorrow.",
    "Order ORD-2024-000451 was refunded.",
    "Invoice 2023-000451 is overdue.",
    "The part number 123-456-789 fits both models.",
    "Replace part 4711-0815 and gasket 12-3456-78.",
    "Tracking number 1Z999AA10123456784 shows delivered.",
    "Tracking 9400110200881234567890 is with USPS.",
    "SKU 4006381333931 is out of stock.",
    "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2.",
    "Ticket INC0012345 was escalated to tier 2.",
    "Case 00123456 was closed on 2024-03-01.",
    "Serial number SN-20240115-0042 is under warranty.",
    "Model XPS-9530 with 32 GB RAM and a 1 TB SSD.",
    "Flight LH 400 leaves gate B42 at 13:05.",
    "Lot 2024/11/05-A and batch 7731-B passed inspection.",
    "Reference 2024-INV-000123-DE is paid.",
    "Customer id 880271 opened ticket 4419.",
    "Account code 4010-200-300 is for travel expenses.",
    "Use coupon SAVE20 before 2024-12-31.",
    "Room 12 34 on floor 3.",
    "The patent US 10,123,456 B2 was granted.",
    "EAN 5901234123457 is on the label.",
    "Container MSCU 123456 7 arrived at berth 12.",
    "Ref. 98765432/2024 in the subject line, please.",
    "Contract no. 2019/4455/77 expires next year.",
    # measurements, statistics, science
    "The sample had n = 12,345 and p < 0.001.",
    "Mean 3.1416, sd 2.7183, 95% CI [1.23, 4.56].",
    "Position 48.8566, 2.3522 is in Paris.",
    "The bolt is M8 x 1.25 x 40 mm, torque 25 Nm.",
    "Speed 299 792 458 m/s, mass 9.109 × 10^-31 kg.",
    "Blood pressure 120/80, pulse 72, temperature 36.8.",
    "Altitude 8,848.86 m; depth 10,994 m.",
    "The score was 3-1 after 90+4 minutes.",
    "We measured 0.000123, 0.000456 and 0.000789 seconds.",
    "Latency p50 12 ms, p95 48 ms, p99 120 ms over 1 000 000 calls.",
    "Range 1-100, step 5, then 200-300.",
    "The matrix is 1024 x 1024 with 1 048 576 entries.",
    "Fibonacci: 1 1 2 3 5 8 13 21 34 55 89 144",
    "Primes below 50: 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47.",
    "Pi is 3.14159265358979 to fourteen places.",
    "The ratio is 16:9, the aspect 4:3 on older screens.",
    "At 3:30pm the temperature hit 41.5 degrees.",
    "Earthquake of magnitude 6.4 at depth 10 km, 35.7N 139.7E.",
    # addresses without people, codes, misc
    "The office is at 1600 Amphitheatre Parkway, Mountain View, CA 94043.",
    "Postcode SW1A 1AA and ZIP 10001 are examples.",
    "The MAC 00:1A:2B:3C:4D:5E belongs to the printer.",
    "256.1.1.1 is not an address",
    "Chapter 12, section 3.4.5, page 178 of 2,048.",
    "Set the thermostat to 21 and the timer to 45 minutes.",
    "Dial extension 4410 for support.",
    "Population: 8,336,817 (2022 estimate).",
    "user@localhost and @handle on the forum",
    "a@b.c is not an address, nor is name at example dot com.",
    "The formula is E = mc^2 and F = ma.",
    "Add 2 cups flour, 250 ml milk, 3 eggs; bake 180 °C for 35 minutes.",
    "Error at line 1024, column 56: unexpected token.",
    "The survey (n=1,052) found 63% agree, 27% disagree, 10% unsure.",
    "Building 7, level 2, desk 2-114.",
    "GDP per capita was 48,717 USD in 2023.",
    "The hash table has 65536 buckets and 12 collisions.",
    "Matches 14, 22 and 31 are on 12.05.2024.",
    "Regulation (EU) 2016/679 article 17 applies.",
    "Route 66 and Interstate 405 are closed.",
    "Deposit 500, withdraw 120, balance 1380.",
    "Step 1 of 12: unpack; step 2 of 12: plug in.",
    "The lottery numbers were 4 8 15 16 23 42.",
    "He ran 10 km in 42:17 and 21.1 km in 1:32:05.",
    # hard cases: numbers of phone length, identifiers of key length
    "Order number: 7894561230 has shipped.",
    "Call 911 or 112 in an emergency; the helpdesk extension is 4410.",
    "Dial 1-800-FLOWERS for a bouquet.",
    "The class AbstractHttp2StreamFrameDecoderV8 is deprecated.",
    "Fields: password (required), token (optional).",
    "token: 2024-01-15 expiry",
    "The build ID is 20240115093045 and the run took 00:42:17.",
    "Coordinates 51.5074 N, 0.1278 W.",
    "UPC 036000291452 on the box.",
    "Measured 3 456 789 012 bytes in 12 345 files.",
    "IDs 100234, 100235 and 100236 were merged.",
    "Train ICE 1234 departs 08:15 from platform 7.",
    "Serial 5B7C-99D2-1F3A-004E was registered.",
    "Version 2024.01.15.1 of the dataset is out.",
    "Read chapters 3-7, pages 112-189, by 2024-05-01.",
    "Batch sizes 16, 32, 64, 128, 256, 512, 1024 and 2048 were tried.",
)


# --- best effort: street addresses and people's names -------------------------------------

_STREETS = [
    "Main", "Oak", "Maple", "Elm", "Cedar", "Washington", "Lake", "Hill", "Park", "Pine",
    "Sunset", "Lincoln", "Jackson", "Highland", "Madison", "Ridge", "Church", "Spring", "Mill",
    "River", "Martin Luther King", "Old Mill",
]  # fmt: skip
_STREET_TYPES = [
    "Street", "St", "St.", "Avenue", "Ave", "Ave.", "Road", "Rd", "Boulevard", "Blvd", "Drive",
    "Dr", "Lane", "Ln", "Court", "Ct", "Place", "Way", "Terrace", "Parkway",
]  # fmt: skip
_DIRECTIONS = ["", "", "", "N ", "S. ", "West ", "E "]
_UNITS = ["", "", "", ", Apt 4B", " Suite 210", ", Unit 12", " #305"]
_CITIES = [
    ("Portland", "OR", "97205"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
    ("Boston", "MA", "02108"), ("Seattle", "WA", "98101"), ("Chicago", "IL", "60601"),
    ("Springfield", "IL", "62701"), ("Columbus", "OH", "43215"), ("Salt Lake City", "UT", "84101"),
]  # fmt: skip
_ADDRESS_TEMPLATES = [
    "Please ship the replacement to {a}.",
    "My address is {a}, can you update it?",
    "I moved to {a} last month and the bill still goes to the old place.",
    "Deliver to {a} between 9 and 5.",
    "The package was left at {a} but I never got it.",
    "send the forms to {a} thanks",
]


def address_positives() -> list[Positive]:
    """US street addresses in sentences: house number, optional direction, street name and
    type, optional unit, then a city, state and ZIP, a city and state, or nothing."""
    r = random.Random(SEED + 1)
    found = []
    for k in range(72):
        number = str(r.choice([r.randint(1, 99), r.randint(100, 9999), r.randint(10000, 39999)]))
        street = f"{number} {r.choice(_DIRECTIONS)}{r.choice(_STREETS)} {r.choice(_STREET_TYPES)}"
        street += r.choice(_UNITS)
        city, state, zip_code = r.choice(_CITIES)
        written = [f"{street}, {city}, {state} {zip_code}", f"{street}, {city}, {state}", street]
        text = r.choice(_ADDRESS_TEMPLATES).format(a=written[k % 3])
        found.append(Positive("address", text, street.split(",")[0]))
    return found + [Positive("address", text, value) for text, value in _WRITTEN_ADDRESSES]


_WRITTEN_ADDRESSES = [
    ("Our HQ moved to 1 Infinite Loop, Cupertino, CA 95014 in May.", "1 Infinite Loop"),
    ("Meet me at 350 Fifth Avenue, New York, NY 10118 at noon.", "350 Fifth Avenue"),
    ("Send it to 1600 Pennsylvania Avenue NW, Washington, DC 20500.", "1600 Pennsylvania Avenue"),
    ("I live at 742 Evergreen Terrace, Springfield.", "742 Evergreen Terrace"),
    ("The letter went to 4 Privet Drive, Little Whinging.", "4 Privet Drive"),
    ("Address: 1060 W Addison St, Chicago, IL 60613", "1060 W Addison St"),
    ("ship to 221B Baker Street, London NW1 6XE please", "221B Baker Street"),
    ("Return address 2 Old Mill Lane, Unit 7, Boulder, CO 80301.", "2 Old Mill Lane"),
    ("My new place is 88 Harbor View Rd. in Bar Harbor.", "88 Harbor View Rd."),
    ("Bill to 500 N Michigan Ave Suite 600, Chicago, IL 60611.", "500 N Michigan Ave"),
    ("Mail goes to P.O. Box 4521, Austin, TX 78701.", "P.O. Box 4521"),
    ("i'm at 12 oak street now, apartment 3", "12 oak street"),
    ("Deliver to 77 Massachusetts Ave, Cambridge, MA 02139.", "77 Massachusetts Ave"),
    ("Our shop: 15 Rue de la Paix, 75002 Paris.", "15 Rue de la Paix"),
]
"""Written by hand, not generated: well-known addresses and ones the detector is known to
miss (a PO box, lower case, a French address)."""


_FIRST_NAMES = [
    "John", "Maria", "Wei", "Aisha", "Carlos", "Emma", "Liam", "Olivia", "Noah", "Sophia",
    "Hiroshi", "Fatima", "Pierre", "Anna", "James", "Priya", "Mohammed", "Laura", "Ivan", "Chloe",
]  # fmt: skip
_LAST_NAMES = [
    "Smith", "Garcia", "Chen", "Khan", "Müller", "Johnson", "Brown", "Rossi", "Nguyen", "O'Brien",
    "Kowalski", "Tanaka", "Dubois", "Silva", "Patel", "Andersson", "Williams", "Schmidt", "Novak",
    "Lopez",
]  # fmt: skip
_NAME_TEMPLATES = [
    "Hi, this is {n} from accounting.",
    "Please forward this to {n} before Friday.",
    "{n} said the refund was approved.",
    "My name is {n} and I cannot log in.",
    "Can you ask {n} to call me back?",
    "The ticket was opened by {n} yesterday.",
    "Dear {n}, your order has shipped.",
    "thanks, {n}",
]


def name_positives() -> list[Positive]:
    """People's names (given name and surname, some with a title) in sentences."""
    r = random.Random(SEED + 2)
    found = []
    for k in range(72):
        name = f"{r.choice(_FIRST_NAMES)} {r.choice(_LAST_NAMES)}"
        if k % 6 == 0:
            name = r.choice(["Dr. ", "Mr. ", "Ms. ", "Mrs. "]) + name
        found.append(Positive("name", r.choice(_NAME_TEMPLATES).format(n=name), name))
    return found


NAMED_NEGATIVES: tuple[str, ...] = (
    "The Golden Gate Bridge and Mountain View are in California.",
    "We use Google Cloud, Amazon Web Services and Microsoft Azure.",
    "Visual Studio Code crashed after the Windows Update.",
    "The New York Times reported on the Federal Reserve.",
    "Order the Big Mac Meal with a Diet Coke.",
    "Our Customer Success Team answers within 24 hours.",
    "Read the Terms of Service and the Privacy Policy.",
    "The Monthly Report shows different totals than the Weekly Summary.",
    "Apple Pay and Google Pay are accepted at checkout.",
    "Harry Potter and the Philosopher's Stone is on sale.",
    "The Supreme Court ruled on the Clean Air Act.",
    "Mount Everest is higher than Kilimanjaro.",
    "Premier League results: Manchester United 2, Arsenal 1.",
    "Set Dark Mode in Settings, then restart Google Chrome.",
    "I flew Delta Air Lines from Atlanta to Salt Lake City.",
    "The Eiffel Tower and the Louvre Museum are in Paris.",
    "Buy 3 Large Pizzas for 25 dollars on Main Street Day.",
    "He lives on the 4th floor and works 5 days a week.",
    "Take Exit 12 and turn left after 300 yards.",
    "The score was 21 Park Rangers to 14 River Hawks.",
    "Version 12 Street Fighter is out on 3 platforms.",
    "Route 66 runs through 8 states.",
    "Black Friday deals start at 6 AM Eastern Time.",
    "The Python Software Foundation released Python 3.13.",
    "Contact Customer Support via the Help Center.",
    "Wall Street fell 2 percent while Main Street shops stayed open.",
    "The 5 Oak Ridge labs and 3 Park Avenue boutiques reported sales.",
    "Apollo 11 landed in the Sea of Tranquility in 1969.",
    "Our 2 Lake District cottages sleep 6 guests each.",
    "Pixel 8 Pro and Galaxy S24 Ultra were compared.",
)
"""Capitalised names of products, places, companies and events, and numbers before them;
no person and no street address."""


@dataclass(frozen=True)
class KindScore:
    """One type's recall over its positives, and the negatives it fired on."""

    kind: str
    positives: int
    found: int
    false_positives: int

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0


def score(
    redactor: Redactor,
    cases: list[Positive] | None = None,
    negatives: tuple[str, ...] = NEGATIVES,
) -> tuple[dict[str, KindScore], list[str]]:
    """Each type's score over the corpus (``cases``: the built-in types' positives unless
    given), and the negatives anything fired on."""
    totals: dict[str, list[int]] = {}
    for case in positives() if cases is None else cases:
        redacted, _counts = redactor.redact(case.text)
        hit = case.value not in redacted and f"[{case.kind.upper()}]" in redacted
        tally = totals.setdefault(case.kind, [0, 0, 0])
        tally[0] += 1
        tally[1] += hit
    fired = []
    for text in negatives:
        _redacted, counts = redactor.redact(text)
        for kind in counts:
            totals.setdefault(kind, [0, 0, 0])[2] += 1
        if counts:
            fired.append(text)
    scores = {kind: KindScore(kind, *tally) for kind, tally in totals.items()}
    return scores, fired
