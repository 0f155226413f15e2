"""Judging on real data (NQ-301, under ``$BATON_DATA_DIR``) and the judge engine's own speed.

1. The ``reference_match`` check on the 3,564 answers of NQ-301 (12 QA systems × 301 Natural
   Questions, human labels adjudicated): its agreement, sensitivity and specificity with the
   humans per model, beside the data set's own exact-match judge (``auto_em``) as a sanity
   check — and how far its pass rate sits from the human one, model by model (the bias the
   calibration exists to remove).
2. The LLM-judge path with a zero-latency fake judge model, through a SQLite store: verdicts
   per second calling (template rendering, strict parsing, cache writes, group commits),
   then after editing and reverting the rubric, every verdict redone from the cache.

Run: ``make bench-judges`` (``python -m benchmarks.judges``; ``--data`` names the CSV).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from baton.domain import Item, Label, Response
from baton.judges import build_judges, judge_responses
from baton.providers import Completion, CompletionRequest, FakeProvider
from baton.steps import judge_agreement
from baton.storage import Store, open_store
from baton.study import Study, parse_study

from ._calibration_real import INCUMBENT, default_path

REGION = "nq"


def load(path: Path) -> tuple[list[Item], list[Response], list[Label], pd.DataFrame]:
    raw = pd.read_csv(path)
    raw["response"] = raw["response"].fillna("")
    items = {}
    for row in raw.drop_duplicates("item_id").itertuples():
        gold = " | ".join(ast.literal_eval(str(row.gold_answers)))
        items[str(row.item_id)] = Item(str(row.item_id), REGION, str(row.prompt), reference=gold)
    responses = [Response(str(r.item_id), str(r.model), str(r.response)) for r in raw.itertuples()]
    labels = [
        Label(str(r.item_id), str(r.model), "correctness", "adjudicated", int(bool(r.human_label)))
        for r in raw.itertuples()
    ]
    return list(items.values()), responses, labels, raw


def study_for(models: list[str], judge: dict[str, Any]) -> Study:
    others = [m for m in models if m != INCUMBENT]
    return parse_study(
        {
            "name": "nq301",
            "service": {"system_prompt": "Answer the question."},
            "incumbent": {"name": INCUMBENT, "provider": "fake", "model": INCUMBENT},
            "candidates": [{"name": m, "provider": "fake", "model": m} for m in others],
            "regions": [{"name": REGION, "traffic_share": 1.0}],
            "judge_model": {
                "name": "judge",
                "provider": "fake",
                "model": "judge",
                "price_per_mtok_input": 0.15,
                "price_per_mtok_output": 0.6,
            },
            "dimensions": [
                {"name": "correctness", "rubric": "Is it correct?", "margin": 0.05, "judge": judge}
            ],
            "labels": {"budget": 0},
        }
    )


def fresh_store(folder: str, items: list[Item], responses: list[Response]) -> Store:
    store = open_store(f"sqlite:///{Path(folder) / 'baton.db'}")
    store.add_items(items)
    store.add_responses(responses)
    return store


def judge(study: Study, store: Store, provider: FakeProvider | None = None) -> tuple[int, float]:
    providers = {"judge": provider} if provider is not None else {}
    judges = build_judges(study, base_dir=Path("."), store=store, providers=providers)
    started = time.perf_counter()
    summary = asyncio.run(
        judge_responses(study, store.items(), judges.by_dimension, store, cache=judges.drain)
    )
    return summary.written, time.perf_counter() - started


def real_data_section(path: Path) -> str:
    items, responses, labels, raw = load(path)
    models = sorted(raw["model"].unique(), key=lambda m: (m != INCUMBENT, m))
    study = study_for(models, {"name": "reference_match"})
    with tempfile.TemporaryDirectory() as folder:
        store = fresh_store(folder, items, responses)
        written, seconds = judge(study, store)
        rows = judge_agreement(study, store.verdicts(), labels)
        verdicts = {(v.item_id, v.model): v.category for v in store.verdicts()}
        store.close()
    lines = [
        f"NQ-301: reference_match judged {written:,} answers in {seconds:.2f} s "
        f"({written / seconds:,.0f} verdicts/s, store writes included)",
        "",
        "| model | human pass | reference_match pass | agreement | Se | Sp | auto_em agreement |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        own = raw[raw["model"] == row.model]
        human = own["human_label"].astype(bool)
        says = [verdicts[(str(i), row.model)] == 1 for i in own["item_id"]]
        em_agreement = float((own["auto_em"].astype(bool) == human).mean())
        lines.append(
            f"| {row.model} | {human.mean():.3f} | {sum(says) / len(says):.3f} | "
            f"{row.agreement:.3f} | {row.sensitivity:.3f} | {row.specificity:.3f} | "
            f"{em_agreement:.3f} |"
        )
    return "\n".join(lines)


def reply(request: CompletionRequest) -> Completion:
    verdict = "pass" if "Paris" in request.messages[1].content else "fail"
    return Completion(json.dumps({"rationale": "r", "verdict": verdict}), 400, 20)


def engine_section(path: Path) -> str:
    items, responses, _, raw = load(path)
    models = sorted(raw["model"].unique(), key=lambda m: (m != INCUMBENT, m))
    base = {"name": "correctness"}
    edited = {"name": "correctness", "rubric": "Is every fact in it right?"}
    with tempfile.TemporaryDirectory() as folder:
        store = fresh_store(folder, items, responses)
        provider = FakeProvider(reply_function=reply)
        calls = []
        called, t_called = judge(study_for(models, base), store, provider)
        calls.append(len(provider.requests))
        redone, t_edited = judge(study_for(models, edited), store, provider)
        calls.append(len(provider.requests) - calls[0])
        cached, t_cached = judge(study_for(models, base), store, provider)
        calls.append(len(provider.requests) - calls[0] - calls[1])
        store.close()
    return "\n".join(
        [
            "LLM judge path (correctness, zero-latency fake judge model, SQLite store):",
            f"- calling: {called:,} verdicts in {t_called:.2f} s ({called / t_called:,.0f}/s), "
            f"{calls[0]:,} judge-model calls (identical questions and answers share one)",
            f"- rubric edited: {redone:,} verdicts redone in {t_edited:.2f} s "
            f"({redone / t_edited:,.0f}/s), {calls[1]:,} calls",
            f"- rubric reverted: {cached:,} verdicts redone in {t_cached:.2f} s "
            f"({cached / t_cached:,.0f}/s), {calls[2]:,} calls: all from the cache",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_path())
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(
            f"{args.data} not found: set BATON_DATA_DIR to the folder holding nq301/ (the "
            "NQ-301 data set is not part of the repository)"
        )
    print(real_data_section(args.data))
    print()
    print(engine_section(args.data))


if __name__ == "__main__":
    main()
