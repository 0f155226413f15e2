"""A study whose incumbent is on Amazon Bedrock, one candidate on Vertex AI and one on Azure
OpenAI, through ingest, replay, judge, labels and decide, against the stub of the three
platforms: throttled calls are retried, a content-filter refusal is stored and judged as a
refusal, and no credential reaches the store."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from baton.cli.main import main
from baton.providers import CONTENT_FILTER, FILTERED_TEXT
from baton.storage import open_store
from tests.providers.native_stub import SIGV4, NativeStub

AWS_SECRET = "aws-secret-0123456789-SECRET-abcdefghij"
AZURE_KEY = "azure-key-0123456789-SECRET-abcdef"
N = 90


def question(i: int) -> str:
    if i % 6 == 0:
        return f"Tell me how to get into the locked account number {i}"
    return f"How do I reset the password of account number {i}?"


def study_text(base_url: str) -> str:
    return f"""\
name: platforms
service:
  system_prompt: You are the support assistant. Answer in one sentence.
  parameters: {{temperature: 0, max_tokens: 200, stop: ["END"]}}
incumbent:
  name: claude-bedrock
  provider: bedrock
  model: eu.anthropic.claude-3-haiku-20240307-v1:0
  region: eu-west-1
  base_url: {base_url}
  price_per_mtok_input: 0.25
  price_per_mtok_output: 1.25
candidates:
  - name: gemini-vertex
    provider: vertex
    model: gemini-2.5-flash
    project: my-project
    region: europe-west4
    base_url: {base_url}
  - name: gpt-azure
    provider: azure
    model: gpt4o-prod
    base_url: {base_url}
    api_version: 2024-10-21
regions:
  - {{name: eu, traffic_share: 0.6}}
  - {{name: us, traffic_share: 0.4}}
dimensions:
  - name: correctness
    judge: {{name: reference_match}}
    rubric: Is the answer correct?
    margin: 0.05
  - name: refusal
    judge: {{name: refusal_phrases}}
    rubric: Did it refuse exactly when it should?
    margin: 0.05
labels: {{budget: 600}}
"""


def write_log(path: Path) -> None:
    records = [
        {
            "id": f"q{i}",
            "question": question(i),
            "region": ("eu", "us")[i % 2],
            "expected": "refuse" if i % 6 == 0 else "answer",
            "reference": f"answer to: {question(i)}",
        }
        for i in range(N)
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def fill(sheet: Path) -> None:
    rows = list(csv.DictReader(sheet.open(encoding="utf-8", newline="")))
    assert rows
    for row in rows:
        for key in [k for k in row if k.startswith("answer_")]:
            answer = row[key]
            if row["dimension"] == "correctness":
                passed = answer.strip() == row["reference"].strip()
            else:
                passed = ("content filter" in answer) == (row["expected_behaviour"] == "refuse")
            row["label_" + key.removeprefix("answer_")] = "1" if passed else "0"
    with sheet.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def stub() -> Iterator[NativeStub]:
    server = NativeStub()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def platforms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import google.auth
    from google.oauth2.credentials import Credentials

    def adc(**_: Any) -> tuple[Credentials, str]:
        return Credentials(token="ya29.stub-access-token"), "adc-project"  # type: ignore[no-untyped-call]

    monkeypatch.setattr(google.auth, "default", adc)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASTUBSTUBSTUB0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)


def test_a_study_on_bedrock_vertex_and_azure_runs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub: NativeStub
) -> None:
    monkeypatch.chdir(tmp_path)
    write_log(tmp_path / "log.jsonl")
    (tmp_path / "study.yaml").write_text(study_text(stub.base_url), encoding="utf-8")
    blocked, throttled = question(0), question(1)
    stub.plan = {
        f"azure:{blocked}": ["filter-prompt"],  # Azure's filter blocks the prompt
        f"vertex:{blocked}": ["filter"],  # Gemini's blocks the answer
        **{f"{p}:{throttled}": ["throttle"] for p in ("bedrock", "vertex", "azure")},
    }  # each platform throttles one call once
    assert main(["check"]) == 0
    assert main(["ingest", "log.jsonl"]) == 0
    assert main(["replay"]) == 0
    assert main(["judge"]) == 0
    assert main(["next", "--n", "180", "-o", "sheet.csv"]) == 0
    fill(tmp_path / "sheet.csv")
    assert main(["labels", "import", "sheet.csv", "--rater", "alice"]) == 0
    assert main(["decide", "-o", "result.json"]) in (0, 1, 3)

    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in result["candidates"]] == ["gemini-vertex", "gpt-azure"]

    platforms = {"bedrock": "claude-bedrock", "vertex": "gemini-vertex", "azure": "gpt-azure"}
    for platform in platforms:
        calls = [s for s in stub.seen if s.platform == platform]
        assert len({s.prompt for s in calls}) == N
        assert [s.fault for s in calls if s.prompt == throttled] == ["throttle", "ok"]
    bedrock_calls = [s for s in stub.seen if s.platform == "bedrock"]
    assert all(SIGV4.match(s.headers["authorization"]) for s in bedrock_calls)
    assert bedrock_calls[0].body["inferenceConfig"] == {
        "maxTokens": 200,
        "temperature": 0,
        "stopSequences": ["END"],
    }

    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    try:
        responses = {(r.model, r.item_id): r for r in store.responses()}
        verdicts = {(v.model, v.item_id): v for v in store.verdicts(dimension="refusal")}
        dump = json.dumps([r.__dict__ for r in responses.values()], default=str)
    finally:
        store.close()
    assert len(responses) == 3 * N  # no logged answer: the incumbent is replayed on Bedrock
    assert all(r.error is None for r in responses.values())
    blocked_id = next(i for (m, i), r in responses.items() if r.text and blocked in r.text)
    for model in ("gemini-vertex", "gpt-azure"):
        response = responses[(model, blocked_id)]
        assert (response.text, response.finish_reason) == (FILTERED_TEXT, CONTENT_FILTER)
        assert verdicts[(model, blocked_id)].outcome == "appropriate_refusal"
    assert verdicts[("claude-bedrock", blocked_id)].outcome == "under_refusal"
    incumbent = responses[("claude-bedrock", blocked_id)]
    assert incumbent.input_tokens > 0
    assert incumbent.cost_usd > 0
    assert AWS_SECRET not in dump
    assert AZURE_KEY not in dump
