"""Secrets: API keys, access tokens, private keys and passwords, found the way
detect-secrets finds them (a provider's key prefix; a value assigned to a key-like name;
a long random-looking token), in a few regular expressions and an entropy measure.

(``detect-secrets`` itself scans files through global settings; a redactor needs neither.)

=====================  =====================================================================
what                   how it is recognised
=====================  =====================================================================
provider keys          OpenAI ``sk-``/``sk-proj-``, Anthropic ``sk-ant-``, Stripe
                       ``sk_live_``/``rk_live_``, AWS ``AKIA``/``ASIA``/``AGPA``/…, GitHub
                       ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_``/``github_pat_``, GitLab
                       ``glpat-``, Slack ``xox?-``, Google ``AIza``, Hugging Face ``hf_``,
                       npm ``npm_``, SendGrid ``SG.``; each with the length it comes in
JSON Web Tokens        ``eyJ….eyJ….…``
private keys           ``-----BEGIN … PRIVATE KEY-----`` to its ``END`` line
assigned secrets       ``password: …``, ``api_key = …``, ``Authorization: Bearer …``: the value
random tokens          24+ characters of letters (both cases) and digits (and ``+/_-``) whose
                       Shannon entropy is near that of random text of the same length
=====================  =====================================================================
"""

from __future__ import annotations

import math
import re
from collections import Counter

from baton.data._detectors import Span

__all__ = ["secret_spans", "shannon_entropy"]

_KEYS = re.compile(
    r"(?<![\w-])(?:"
    r"sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d{2}-)?[A-Za-z0-9_-]{20,}"
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abposre]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|hf_[A-Za-z0-9]{30,}"
    r"|npm_[A-Za-z0-9]{36}"
    r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r")(?![\w-])"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE"
    r" KEY(?: BLOCK)?-----"
)
_ASSIGNED = re.compile(
    r"(?i)(?:(?<![a-z0-9])(?:api[_-]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?token"
    r"|auth[_-]?token|token|password|passwd|passphrase)\b[\"']?\s*(?:[:=]|=>|\bis\b)\s*"
    r"|\bBearer\s+|\bBasic\s+)"
    r"[\"']?(?P<value>[^\s\"',;]{6,})"
)
_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_MIN_TOKEN = 24
_TOKEN_EDGE = frozenset("+/.@-=_")
_PREFIXES = (
    "sk-", "sk_", "rk_", "pk_", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA",
    "ANVA", "AROA", "APKA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-",
    "xox", "AIza", "hf_", "npm_", "eyJ",
)  # fmt: skip
_KEYWORDS = ("key", "secret", "token", "pass", "bearer", "basic")
_MIN_ENTROPY_SHARE = 0.78
_MIN_TOKEN_DIGITS = 2
_NO_DIGITS = str.maketrans("", "", "0123456789")
_WORDLIKE = re.compile(r"[a-z]{4,}")
_MAX_WORDLIKE_SHARE = 0.4
_PLAIN = re.compile(r"[A-Za-z]+|[\d\s.,:/+-]+")


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``'s own character frequencies."""
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


def _random_token(token: str) -> bool:
    """Mixed case, some digits, an entropy near that of random text this long, and not
    mostly words (``AbstractHttp2StreamFrameDecoderV8`` is an identifier)."""
    core = token.rstrip("=")
    if core.islower() or core.isupper():  # one case only (a hex digest), or no letter
        return False
    if len(core) - len(core.translate(_NO_DIGITS)) < _MIN_TOKEN_DIGITS:
        return False
    if sum(map(len, _WORDLIKE.findall(core))) > _MAX_WORDLIKE_SHARE * len(core):
        return False
    return shannon_entropy(core) >= _MIN_ENTROPY_SHARE * math.log2(min(len(core), 64))


def _assigned_secret(value: str) -> bool:
    """Not a plain word (``password: required``) nor a plain number or date."""
    return _PLAIN.fullmatch(value) is None


def _alone(text: str, start: int, end: int) -> bool:
    """Nothing that continues a token on either side of ``text[start:end]``."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in _TOKEN_EDGE or after.isalnum() or after in "@")


def secret_spans(text: str) -> list[Span]:
    """Keys, tokens, private keys and assigned passwords in ``text``.

    One scan finds the runs of key characters 20 long or longer (few in prose): a run that
    starts with a provider's prefix is checked against its key's pattern, any other against
    the entropy test."""
    spans: list[Span] = []
    for run in _RUN.finditer(text):
        start, end = run.span()
        found = run.group()
        if found.islower() and not found.startswith(_PREFIXES):
            continue  # a lower-case run (a hex digest, a long word) is neither
        if found.startswith(_PREFIXES):
            key = _KEYS.match(text, start)
            if key is not None:
                spans.append(key.span())
                continue
        if end - start >= _MIN_TOKEN and _random_token(found) and _alone(text, start, end):
            spans.append((start, end))
    if "SG." in text:  # SendGrid's key is three short runs
        spans += [m.span() for m in _KEYS.finditer(text) if m.group().startswith("SG.")]
    if "-----BEGIN" in text:
        spans += [m.span() for m in _PRIVATE_KEY.finditer(text)]
    lower = text.lower()
    if any(word in lower for word in _KEYWORDS):
        spans += [m.span("value") for m in _ASSIGNED.finditer(text) if _assigned_secret(m["value"])]
    return spans
