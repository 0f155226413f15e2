"""``baton labels import`` / ``baton labels export``: human labels from anywhere (a
spreadsheet, Label Studio, Argilla) into the study's store, and the tasks to label out."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from baton.cli._app import JSON_OPTION, STORE_OPTION, app, console
from baton.cli._render import print_json
from baton.steps import ExportFormat, LabelFormat, labels_export, labels_import

labels_app = typer.Typer(
    help="Labels from a spreadsheet, Label Studio or Argilla: export tasks, import labels.",
    no_args_is_help=True,
)
app.add_typer(labels_app, name="labels")

_STUDY_OPTION = typer.Option(
    Path("study.yaml"), "--study", help="The study file (default: study.yaml)."
)

FIELDS_HELP = """
Every format carries, per unit (an item on one dimension): unit (a random token; which
model wrote which answer is kept in the store under it), item_id, region, dimension,
rubric, context, prompt, style_guide / expected_behaviour / reference (where the dimension
is judged by it), inclusion_prob, and answer_A, answer_B, ... (the models' answers in a
random order per unit).

Labels are pass or fail (also 1/0, yes/no, true/false):

- sheet (.csv, .jsonl, .parquet): columns label_A, label_B, ... ; rater (unless --rater);
  note. An empty label cell is no label.

- Label Studio (JSON export): tasks whose data holds the fields above; per annotation
  (cancelled ones are left out), results with from_name label_A, label_B, ... of type
  choices, value.choices [pass] or [fail]; the rater is completed_by (label-studio:ID or
  its email). Labelling config: a Text per answer_X and a Choices name=label_X
  toName=answer_X with choices pass and fail.

- Argilla v2 (records.to_json): records with id = unit, fields (the text above),
  metadata (item_id, region, dimension, inclusion_prob) and responses label_A, label_B,
  ... : lists of {value: pass|fail, user_id, status} (draft and discarded ones are left
  out); the rater is argilla:USER_ID. Settings: a TextField per answer_X and a
  LabelQuestion label_X with labels pass and fail.
"""


@labels_app.command("import")
def import_command(
    path: Path = typer.Argument(..., metavar="FILE", help="The filled sheet or the export."),
    rater: str | None = typer.Option(
        None, "--rater", help="The rater of every label (else the file's rater field)."
    ),
    fmt: str | None = typer.Option(
        None,
        "--format",
        help="sheet, label-studio or argilla (default: by the suffix; a .json file by its shape).",
    ),
    study: Path = _STUDY_OPTION,
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> int:
    """Check and store the labels of a filled sheet, a Label Studio or an Argilla export.

    All or nothing: a file with any error (an unknown unit or position, a value that is not
    pass or fail, a label without a rater, a label given twice) stores nothing, and the
    error names the file, the row and the field. Importing the same file again adds
    nothing. Each label keeps its unit's inclusion probability.
    """
    if fmt is not None and fmt not in ("sheet", "label-studio", "argilla"):
        raise typer.BadParameter("sheet, label-studio or argilla", param_hint="--format")
    kind: LabelFormat | None = fmt  # type: ignore[assignment]
    result = labels_import(study, path, rater=rater, fmt=kind, store=store)
    if as_json:
        print_json(result.to_dict())
        return 0
    console.print(
        f"{escape(str(path))} ({result.format}): {result.labels:,} labels on "
        f"{result.units:,} units from {', '.join(map(escape, result.raters)) or 'nobody'}; "
        f"{result.written:,} stored, {result.labels - result.written:,} already in the store"
    )
    return 0


import_command.__doc__ = (import_command.__doc__ or "") + FIELDS_HELP


@labels_app.command("export")
def export_command(
    output: Path = typer.Option(..., "-o", "--output", help="The file to write."),
    fmt: str = typer.Option(
        "csv", "--format", help="csv (a labelling sheet), label-studio or argilla."
    ),
    n: int = typer.Option(
        40, "--n", min=1, help="Labels to ask for (every model's answer counts)."
    ),
    study: Path = _STUDY_OPTION,
    store: str | None = STORE_OPTION,
    seed: int = typer.Option(0, help="Seed of the draw."),
    as_json: bool = JSON_OPTION,
) -> int:
    """Write the next tasks to label (chosen as `baton next` does) for another tool.

    csv: the labelling sheet of `baton next -o`; label-studio: a JSON list of tasks
    {"data": {...}} to import into a Label Studio project; argilla: a JSON list of records
    {"id", "fields", "metadata"} to add to an Argilla dataset.
    """
    if fmt not in ("csv", "label-studio", "argilla"):
        raise typer.BadParameter("csv, label-studio or argilla", param_hint="--format")
    kind: ExportFormat = fmt  # type: ignore[assignment]
    export = labels_export(study, n, output, fmt=kind, store=store, seed=seed)
    if as_json:
        print_json({"output": str(output), "format": fmt, "units": len(export.sheet.rows)})
        return 0
    console.print(f"wrote {escape(str(output))}: {len(export.sheet.rows):,} units ({fmt})")
    return 0


export_command.__doc__ = (export_command.__doc__ or "") + FIELDS_HELP
