"""What each model is asked, and its content address in the cache."""

from __future__ import annotations

from typing import Any

import pytest

from baton.domain import Item, Message
from baton.errors import StudyError
from baton.replay._requests import build_request, cache_key, estimated_tokens, keyed_requests
from baton.study import ModelSpec, parse_study, study_fingerprint


def spec(**fields: Any) -> ModelSpec:
    return ModelSpec.model_validate({"name": "m", "provider": "openai", "model": "x", **fields})


def test_a_model_gets_its_own_system_prompt_and_parameters(study_data: dict[str, Any]) -> None:
    study_data["candidates"][0]["parameters"] = {"temperature": 0.7, "max_tokens": 9}
    study = parse_study(study_data)
    item = Item("a", "eu", "Why?", context=(Message("user", "Hi"), Message("assistant", "Hello")))
    old = build_request(study, study.incumbent, item)
    new = build_request(study, study.candidates[0], item)
    assert old.model == "m-old"
    assert [m.role for m in old.messages] == ["system", "user", "assistant", "user"]
    assert (old.messages[0].content, new.messages[0].content) == ("Be helpful.", "Be brief.")
    assert old.parameters == {"temperature": 0}
    assert new.parameters == {"temperature": 0.7, "max_tokens": 9}


def test_the_cache_key_is_the_request_content(study_data: dict[str, Any]) -> None:
    study = parse_study(study_data)
    item = Item("a", "eu", "Why?")
    request = build_request(study, study.incumbent, item)
    key = cache_key(spec(), request)
    assert len(key) == 64
    assert cache_key(spec(name="other", rpm=5, api_key_env="OTHER_KEY"), request) == key
    assert cache_key(spec(provider="anthropic"), request) != key
    assert cache_key(spec(base_url="http://127.0.0.1:1/v1"), request) != key
    other_prompt = build_request(study, study.incumbent, Item("b", "eu", "Why not?"))
    assert cache_key(spec(), other_prompt) != key
    hotter = build_request(study, study.incumbent.model_copy(update={"parameters": {"x": 1}}), item)
    assert cache_key(spec(), hotter) != key
    no_prompt = study.candidates[0].model_copy(update={"system_prompt": None})
    other_model = build_request(study, no_prompt, item)
    assert cache_key(spec(), other_model) != key  # the model id differs


def test_the_cache_key_ignores_parameter_order(study_data: dict[str, Any]) -> None:
    study = parse_study(study_data)
    item = Item("a", "eu", "Why?")
    one = build_request(study, study.incumbent, item)
    two = type(one)(one.model, one.messages, dict(reversed(list({"a": 1, "b": 2}.items()))))
    three = type(one)(one.model, one.messages, {"a": 1, "b": 2})
    assert cache_key(spec(), two) == cache_key(spec(), three)


def test_token_estimates(study_data: dict[str, Any]) -> None:
    study = parse_study(study_data)
    request = build_request(study, study.incumbent, Item("a", "eu", "x" * 400))
    assert estimated_tokens(request) == ((400 + len("Be helpful.")) // 4 + 8, 256)
    capped = type(request)(request.model, request.messages, {"max_tokens": 30})
    assert estimated_tokens(capped)[1] == 30


def test_operational_fields_leave_the_fingerprint_alone(study_data: dict[str, Any]) -> None:
    before = study_fingerprint(parse_study(study_data))
    study_data["incumbent"].update(rpm=60, tpm=10_000, timeout_s=5, api_key_env="MY_KEY")
    assert study_fingerprint(parse_study(study_data)) == before
    study_data["incumbent"]["base_url"] = "http://127.0.0.1:8080/v1"
    assert study_fingerprint(parse_study(study_data)) != before


def test_an_api_key_cannot_be_written_into_the_study(study_data: dict[str, Any]) -> None:
    study_data["incumbent"]["api_key"] = "sk-123"
    with pytest.raises(StudyError, match="api_key"):
        parse_study(study_data)
    study_data["incumbent"].pop("api_key")
    study_data["incumbent"]["api_key_env"] = "sk-not a variable name"
    with pytest.raises(StudyError, match="api_key_env"):
        parse_study(study_data)


def test_keyed_requests_agree_with_build_request_and_cache_key(
    study_data: dict[str, Any],
) -> None:
    study = parse_study(study_data)
    item = Item("a", "eu", "Why?", context=(Message("user", "Hi"),))
    for model in study.models:
        request, key = keyed_requests(study, model)(item)
        assert request == build_request(study, model, item)
        assert key == cache_key(model, request)
