"""The fast way of reading a JSON Lines record (``orjson`` and a count of quotes) accepts
only what the strict way accepts, and hands everything else to it."""

from __future__ import annotations

import json
import random

import pytest

from baton.data import _json
from baton.data._json import json_problem

LINES = [
    b'{"a": 1, "b": "x"}',
    b'{"a": 1, "a": 2}',
    b'{"a": "x", "b": "y", "a": "z"}',
    b'{"a": "say \\"hi\\"", "a": 1}',
    b'{"a": "say \\"hi\\"", "b": 1}',
    b'{"a\\\\": 1, "a\\\\": 2}',
    b'{"a": "\\\\", "b": "\\\\\\"", "b": 3}',
    b'{"\\u0061": 1, "a": 2}',
    b'{"a": {"b": 1, "b": 2}}',
    b'{"a": [1, {"b": 1, "b": 2}]}',
    b'{"a": [1, 2], "c": null, "d": true, "e": 1.5}',
    b"[1, 2]",
    b'"text"',
    b'{"a": NaN}',
    b'{"a": "caf\xe9"}',
    b'{"a": "\\ud800"}',
    b'{"a": 1',
    b'\xef\xbb\xbf{"a": 1}',
    b'{"a": "x"} {"b": 1}',
    b'{"a": "\xc3\xa9", "\xc3\xa9": "\xc3\xa9", "\xc3\xa9": 0}',
    b'{"a":1,"a":2}',
    b'{"a":1,"b":"x"}\n',
    b'{"a":{"b":1,"b":2}}',
    b'{"a":{"b":1,"c":[1,{"d":null}]}}',
    b'{"a":"\\\\","b":"\\""}',
    b'{"a":' + b"[" * 300 + b"]" * 300 + b"}",
    b'{"a":' + b"[" * 1000 + b"]" * 1000 + b"}",
    b'{"a":' + b"[" * 1500 + b"]" * 1500 + b"}",
]


def _strict(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[str | None, str] | None:
    with monkeypatch.context() as patch:
        patch.setattr(_json, "orjson", None)
        return json_problem(raw)


@pytest.mark.parametrize("raw", LINES)
def test_the_fast_way_gives_the_strict_answer(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert json_problem(raw) == _strict(raw, monkeypatch)


def test_a_key_written_twice_is_caught_by_the_strict_way_after_the_fast_one() -> None:
    assert not _json._plainly_strict(b'{"region": "eu", "prompt": "x", "region": "na"}')
    assert json_problem(b'{"region": "eu", "prompt": "x", "region": "na"}') == (
        "region",
        "a key appears twice in one object",
    )
    assert _json._plainly_strict(b'{"region": "eu", "prompt": "he said \\"region\\""}')


def test_random_records_with_repeated_keys_and_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    pieces = ["a", "b", "\\", '"', "é", "{", "}", "[", "]", ",", ":", " ", "x"]
    fast = 0
    for _ in range(3000):
        keys = [rng.choice(["a", "b", "c", 'q"', "s\\"]) for _ in range(rng.randint(1, 4))]
        values = [
            rng.choice([1, None, True, 2.5, "".join(rng.choices(pieces, k=rng.randint(0, 6)))])
            for _ in keys
        ]
        pairs = zip(keys, values, strict=True)
        if rng.random() < 0.5:  # as a compact writer writes it
            body = ",".join(
                f"{json.dumps(k, ensure_ascii=False)}:{json.dumps(v)}" for k, v in pairs
            )
        else:
            body = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs)
        raw = ("{" + body + "}").encode()
        if rng.random() < 0.1:
            raw = raw.replace(b'"', b"", 1)
        fast += _json._plainly_strict(raw)
        assert json_problem(raw) == _strict(raw, monkeypatch), raw
    assert fast > 500  # the fast way did decide most of them
