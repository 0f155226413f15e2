from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from baton.cli.main import main

from ..calibration._sim import paired_table


@pytest.fixture
def table_path(tmp_path: Path) -> Path:
    frame, _ = paired_table(
        np.random.default_rng(0),
        thetas={"inc": 0.8, "cand": 0.8},
        judge={"inc": (0.9, 0.9), "cand": (0.9, 0.9)},
        n_judged=200,
        n_labelled=30,
        regions=("eu", "us"),
    )
    path = tmp_path / "scores.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_estimate_reads_every_format_and_writes_json(
    table_path: Path, tmp_path: Path, suffix: str
) -> None:
    import pandas as pd

    frame = pd.read_csv(table_path, dtype={"item_id": str})
    path = tmp_path / f"scores{suffix}"
    if suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif suffix == ".parquet":
        import duckdb

        duckdb.from_df(frame).write_parquet(str(path))
    else:
        path = table_path
    out = tmp_path / "result.json"
    code = main(
        [
            "estimate",
            str(path),
            "--signal",
            "judge",
            "--baseline",
            "inc",
            "--margin",
            "0.05",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == 1
    assert {e["region"] for e in data["estimates"]} == {"eu", "us", "ALL"}
    assert all(0 <= c["p_noninferior"] <= 1 for c in data["comparisons"])


def test_a_bad_table_is_one_line_naming_the_column(
    table_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["estimate", str(table_path), "--signal", "nope"])
    assert code == 2
    err = capsys.readouterr().err
    assert "field 'nope'" in err
    assert "Traceback" not in err


def test_an_unknown_method_is_a_usage_error(table_path: Path) -> None:
    assert main(["estimate", str(table_path), "--signal", "judge", "--method", "magic"]) == 2
