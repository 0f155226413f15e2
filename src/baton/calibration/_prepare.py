"""Validate an estimation table and code its judge signals as categories (no I/O).

The table is the estimation table: one row per (item, model, dimension), with ``item_id`` and
``model`` required, ``dimension``, ``region``, ``weight`` (traffic weight) and
``inclusion_prob`` (the probability the row was chosen for human labelling) optional,
``human`` (1/0, true/false, integers for ordinal labels, empty when unlabelled) and the
automated signals named by the caller. Every error names the table, the row and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from baton.calibration._types import ALL_REGIONS
from baton.errors import InputError

__all__ = [
    "ABSTAIN",
    "DEFAULT_DIMENSION",
    "DEFAULT_REGION",
    "Prepared",
    "StratumKey",
    "group_rows",
    "prepare_table",
    "stratum_rows",
]

ABSTAIN = -1
"""The category of a row whose signal is missing: a judge that abstained, never a score."""
DEFAULT_DIMENSION = "default"
DEFAULT_REGION = "all"
MAX_INTEGER_CATEGORIES = 10
SCORE_BINS = 5
_TRUE = {"1", "true", "yes", "pass", "1.0"}
_FALSE = {"0", "false", "no", "fail", "0.0"}


@dataclass(frozen=True)
class Prepared:
    """A validated table: one row per (item, model, dimension), signals coded.

    ``frame`` columns: item_id, model, dimension, region, weight, inclusion_prob, human
    (float, NaN when unlabelled), cell (joint judge category code per dimension; ABSTAIN
    when every signal is missing), score (the first signal as a number) and judge_pass
    (the first signal binarised at the midpoint of its range, NaN when missing).
    """

    frame: pd.DataFrame
    signals: tuple[str, ...]
    binary_human: bool
    source: str


def _fail(source: str, message: str, *, row: int | None = None, field: str | None = None) -> None:
    raise InputError(message, source=source, row=row, field=field)


def _row_number(frame: pd.DataFrame, position: int) -> int:
    """Rows are numbered from 1 as a user sees them (header excluded)."""
    return int(frame.index[position]) + 1


_SHOWN_COLUMNS = 20
_SHOWN_NAME = 64


def _column_name(name: object) -> str:
    """A column's name as an error shows it: a header that is not a name (binary noise, a
    record where the header should be) is only described."""
    text = str(name)
    if len(text) <= _SHOWN_NAME and text.isprintable():
        return text
    return f"(a column name of {len(text):,} characters)"


def _require_columns(frame: pd.DataFrame, signals: Sequence[str], source: str) -> None:
    for column in ("item_id", "model", *signals):
        if column not in frame.columns:
            known = ", ".join(_column_name(c) for c in frame.columns[:_SHOWN_COLUMNS])
            if len(frame.columns) > _SHOWN_COLUMNS:
                known += f" and {len(frame.columns) - _SHOWN_COLUMNS} more"
            _fail(source, f"required column is missing (columns: {known})", field=column)
    if not signals:
        _fail(source, "name at least one automated signal column (--signal COL)", field="signal")
    if frame.empty:
        _fail(source, "the table has no rows")


def _text_column(frame: pd.DataFrame, column: str, default: str, source: str) -> pd.Series:
    """The column as text, categorical (one code per distinct value: later grouping and
    matching compare integers, not strings); an empty value names its row."""
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype="category")
    values = frame[column]
    text = pd.Categorical(values.astype(str))
    blank = np.append(text.categories.str.strip() == "", True)  # code -1: missing
    missing = values.isna().to_numpy() | blank[text.codes]
    if missing.any():
        _fail(
            source, "value is empty", row=_row_number(frame, int(np.argmax(missing))), field=column
        )
    return pd.Series(text, index=frame.index)


def _positive_column(
    frame: pd.DataFrame, column: str, source: str, *, upper: float | None = None
) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(1.0, index=frame.index)
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values <= 0) | (values > upper if upper is not None else False)
    if bad.any():
        limit = f" and at most {upper:g}" if upper is not None else ""
        position = int(np.argmax(bad.to_numpy()))
        _fail(
            source,
            f"must be a number above 0{limit}, got {frame[column].iloc[position]!r}",
            row=_row_number(frame, position),
            field=column,
        )
    return values.astype(float)


def _parse_label(value: object) -> float | None:
    """A human label as a number, NaN when absent, None when it is not a label."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    text = "" if value is None else str(value).strip().lower()
    words = {"": float("nan"), "nan": float("nan"), "none": float("nan"), "null": float("nan")}
    words.update(dict.fromkeys(_TRUE, 1.0) | dict.fromkeys(_FALSE, 0.0))
    if text in words:
        return words[text]
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number.is_integer() else None


def _human_column(frame: pd.DataFrame, source: str) -> tuple[pd.Series, bool]:
    if "human" not in frame.columns:
        return pd.Series(np.nan, index=frame.index), True
    column = frame["human"]
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        numeric = column.astype(float)
        fractional = numeric.notna() & (numeric != numeric.round())
        if not fractional.any():
            labelled = numeric.dropna()
            return numeric, bool(labelled.isin([0.0, 1.0]).all())
    parsed = [_parse_label(v) for v in column.tolist()]
    for position, value in enumerate(parsed):
        if value is None:
            _fail(
                source,
                f"a human label is 1/0, true/false, an integer or empty, got "
                f"{frame['human'].iloc[position]!r}",
                row=_row_number(frame, position),
                field="human",
            )
    human = pd.Series(parsed, index=frame.index, dtype=float)
    labelled = human.dropna()
    return human, bool(labelled.isin([0.0, 1.0]).all())


def _signal_numbers(values: pd.Series) -> pd.Series:
    """A signal as numbers (words such as "pass" read as labels are); NaN where missing."""
    if not pd.api.types.is_numeric_dtype(values.dtype):
        values = values.map(lambda v: _parse_label(v) if isinstance(v, str) else v)
    return pd.to_numeric(values, errors="coerce").astype(float)


def _signal_codes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Categories of one signal, and the signal as a number; NaN where it is missing."""
    numeric = _signal_numbers(values)
    present = numeric.dropna()
    if present.empty:
        return pd.Series(np.nan, index=values.index), numeric
    integral = bool((present == present.round()).all())
    if integral and present.nunique() <= MAX_INTEGER_CATEGORIES:
        return numeric, numeric
    edges = np.unique(np.quantile(present, np.linspace(0, 1, SCORE_BINS + 1)[1:-1]))
    codes = pd.Series(
        np.searchsorted(edges, numeric.to_numpy(), side="right"), index=values.index, dtype=float
    )
    return codes.where(numeric.notna()), numeric


def _joint_cells(coded: list[NDArray[np.float64]]) -> NDArray[np.int64]:
    """One category code per combination of the signals' categories, numbered in the
    combinations' sorted order; ABSTAIN where every signal is missing."""
    missing = np.all([np.isnan(c) for c in coded], axis=0)
    cell = np.zeros(missing.size, dtype=np.int64)
    for column in coded:
        values, codes = np.unique(np.nan_to_num(column, nan=-1.0), return_inverse=True)
        cell = np.unique(cell * values.size + codes, return_inverse=True)[1]
    return np.where(missing, ABSTAIN, cell)


def _judge_pass(score: NDArray[np.float64]) -> NDArray[np.float64]:
    """The score binarised at the midpoint of its range; NaN where it is missing."""
    low, high = np.nanmin(score), np.nanmax(score)
    return np.where(np.isnan(score), np.nan, (score > (low + high) / 2).astype(float))


def _code_signals(frame: pd.DataFrame, signals: Sequence[str], source: str) -> pd.DataFrame:
    """Per dimension: a joint category code over the signals, the first signal as a score,
    and that score binarised at the midpoint of the dimension's range (``judge_pass``)."""
    n = len(frame)
    cell, score = np.full(n, ABSTAIN, dtype=np.int64), np.full(n, np.nan)
    judge_pass = np.full(n, np.nan)
    dimension = pd.factorize(frame["dimension"])[0]
    for d in range(int(dimension.max()) + 1):
        rows = np.flatnonzero(dimension == d)
        coded = []
        for position, signal in enumerate(signals):
            codes, numeric = _signal_codes(frame[signal].iloc[rows])
            if codes.isna().all():
                _fail(source, "the signal has no usable value in this dimension", field=signal)
            coded.append(codes.to_numpy(float))
            if position == 0:
                score[rows] = numeric.to_numpy(float)
        cell[rows] = _joint_cells(coded)
        judge_pass[rows] = _judge_pass(score[rows])
    return frame.assign(cell=cell, score=score, judge_pass=judge_pass)


def _check_keys(frame: pd.DataFrame, source: str) -> None:
    duplicated = frame.duplicated(["item_id", "model", "dimension"]).to_numpy()
    if duplicated.any():
        position = int(np.argmax(duplicated))
        _fail(
            source,
            "a second row for the same item_id, model and dimension",
            row=_row_number(frame, position),
            field="item_id",
        )
    strata = frame.groupby(["dimension", "model", "region"]).size()
    dims, models, regions = (frame[c].unique() for c in ("dimension", "model", "region"))
    for dim in dims:
        for model in models:
            for region in regions:
                if (dim, model, region) not in strata.index:
                    _fail(
                        source,
                        f"stratum dimension={dim!r}, model={model!r}, "
                        f"region={region!r} has no rows",
                    )


def prepare_table(
    table: pd.DataFrame, signals: Sequence[str], *, source: str = "<table>"
) -> Prepared:
    """Validate ``table`` and code its signals; raise InputError naming row and column."""
    frame = table.reset_index(drop=True)
    _require_columns(frame, signals, source)
    out = pd.DataFrame(
        {
            "item_id": _text_column(frame, "item_id", "", source),
            "model": _text_column(frame, "model", "", source),
            "dimension": _text_column(frame, "dimension", DEFAULT_DIMENSION, source),
            "region": _text_column(frame, "region", DEFAULT_REGION, source),
            "weight": _positive_column(frame, "weight", source),
            "inclusion_prob": _positive_column(frame, "inclusion_prob", source, upper=1.0),
        }
    )
    out["human"], binary = _human_column(frame, source)
    for signal in signals:
        out[signal] = frame[signal]
    _check_keys(out, source)
    coded = _code_signals(out, signals, source)
    return Prepared(coded, tuple(signals), binary, source)


Positions = NDArray[np.intp]
StratumKey = tuple[str, str, str]  # dimension, model, region


def _group_key(key: object) -> tuple[str, ...]:
    return tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))


def group_rows(frame: pd.DataFrame, columns: list[str]) -> dict[tuple[str, ...], Positions]:
    """Row positions of each group of ``columns`` (in the frame's order), groups sorted by
    their values."""
    indices = frame.groupby(columns, sort=True).indices
    groups = {_group_key(key): np.asarray(rows, dtype=np.intp) for key, rows in indices.items()}
    return {key: groups[key] for key in sorted(groups)}


def stratum_rows(frame: pd.DataFrame) -> dict[StratumKey, Positions]:
    """Row positions of each (dimension, model) over every region (region ALL) followed by
    those of each of its regions, (dimension, model) and regions sorted."""
    regional = group_rows(frame, ["dimension", "model", "region"])
    out: dict[StratumKey, Positions] = {}
    for (dim, model), rows in group_rows(frame, ["dimension", "model"]).items():
        out[(dim, model, ALL_REGIONS)] = rows
        out.update({(d, m, r): v for (d, m, r), v in regional.items() if (d, m) == (dim, model)})
    return out
