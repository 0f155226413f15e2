"""``baton check``: validate a study.yaml and summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape

from baton.analysis import study_family
from baton.cli._app import JSON_OPTION, STUDY_ARGUMENT, app, console
from baton.cli._render import print_json
from baton.steps import StudyCheck
from baton.steps import check as check_step
from baton.study import Study


def _summary(path: Path, checked: StudyCheck) -> dict[str, Any]:
    study = checked.study
    return {
        "path": str(path),
        "name": study.name,
        "fingerprint": checked.fingerprint,
        "incumbent": {
            "name": study.incumbent.name,
            "provider": study.incumbent.provider,
            "model": study.incumbent.model,
        },
        "candidates": [
            {"name": c.name, "provider": c.provider, "model": c.model} for c in study.candidates
        ],
        "regions": {r.name: r.traffic_share for r in study.regions},
        "dimensions": {
            d.name: {"margin": d.margin, "judge": d.judge.name} for d in study.dimensions
        },
        "label_budget": study.labels.budget,
    }


def _decision_rule(study: Study) -> str:
    """The rule the study's decisions are made by, in one line."""
    family = study_family(study)
    decision = study.decision
    each = (
        f"each candidate at {family.candidate_confidence:.4g} (false go for any candidate "
        f"≤ {family.family_alpha:.3g})"
        if family.rule == "control" and family.candidates > 1
        else f"at {decision.confidence:.4g}"
    )
    pooled = "Δ pooled across regions" if decision.pool_regions else "each region on its own"
    return f"{decision.design} design, {each}, {pooled}"


@app.command()
def check(path: Path = STUDY_ARGUMENT, as_json: bool = JSON_OPTION) -> int:
    """Validate a study file; an error names the file and the field at fault."""
    checked = check_step(path)
    if as_json:
        print_json(_summary(path, checked))
        return 0
    study = checked.study
    console.print(
        f"{escape(str(path))}: study [bold]{escape(study.name)}[/] is valid "
        f"(fingerprint {checked.fingerprint})"
    )
    for role, model in (
        ("incumbent", study.incumbent),
        *(("candidate", c) for c in study.candidates),
    ):
        console.print(
            f"  {role:<10} {escape(model.name)} ({escape(model.provider)}:{escape(model.model)})"
        )
    regions = ", ".join(f"{r.name} {r.traffic_share:.0%}" for r in study.regions)
    console.print(f"  regions    {escape(regions)}")
    dims = ", ".join(f"{d.name} (margin {d.margin * 100:.1f} pp)" for d in study.dimensions)
    console.print(f"  dimensions {escape(dims)}")
    console.print(f"  labels     budget {study.labels.budget}")
    console.print(f"  decisions  {escape(_decision_rule(study))}")
    for warning in checked.warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    return 0
