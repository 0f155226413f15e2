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
_TOKEN = re.compile(
    r"(?<![\w+/.@-])(?=[a-z0-9+/_-]*[A-Z])(?=[A-Z0-9+/_-]*[a-z])"
    r"[A-Za-z0-9+/_-]{24,}={0,2}(?![\w+/=@-])"
)
_HINT = re.compile(
    r"sk-|sk_|rk_|pk_|AKIA|ASIA|A[BCGINPR][A-Z]A|gh[pousr]_|github_pat_|glpat-|xox|AIza|hf_|npm_|SG\."
    r"|eyJ|-----BEGIN"
)
_ASSIGNED_HINT = re.compile(r"(?i)key|secret|token|pass|bearer|basic")
_MIN_ENTROPY_SHARE = 0.78
_MIN_TOKEN_DIGITS = 2
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
    if not (any(c.isupper() for c in core) and any(c.islower() for c in core)):
        return False
    if sum(c.isdigit() for c in core) < _MIN_TOKEN_DIGITS:
        return False
    if sum(map(len, _WORDLIKE.findall(core))) > _MAX_WORDLIKE_SHARE * len(core):
        return False
    return shannon_entropy(core) >= _MIN_ENTROPY_SHARE * math.log2(min(len(core), 64))


def _assigned_secret(value: str) -> bool:
    """Not a plain word (``password: required``) nor a plain number or date."""
    return _PLAIN.fullmatch(value) is None


def secret_spans(text: str) -> list[Span]:
    """Keys, tokens, private keys and assigned passwords in ``text``."""
    spans: list[Span] = []
    if _HINT.search(text) is not None:
        spans += [m.span() for m in _KEYS.finditer(text)]
        spans += [m.span() for m in _PRIVATE_KEY.finditer(text)]
    if _ASSIGNED_HINT.search(text) is not None:
        spans += [m.span("value") for m in _ASSIGNED.finditer(text) if _assigned_secret(m["value"])]
    spans += [m.span() for m in _TOKEN.finditer(text) if _random_token(m.group())]
    return spans
