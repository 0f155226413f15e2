from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baton import estimate
from baton.calibration._prepare import ABSTAIN, _joint_cells, prepare_table
from baton.errors import InputError


def table(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "item_id": ["1", "1", "2", "2"],
        "model": ["a", "b", "a", "b"],
        "human": [1, None, 0, 1],
        "judge": [1, 0, 1, 1],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_missing_column_is_named() -> None:
    with pytest.raises(InputError, match=r"field 'model'"):
        prepare_table(table().drop(columns="model"), ["judge"], source="t.csv")
    with pytest.raises(InputError, match=r"field 'score'"):
        prepare_table(table(), ["score"], source="t.csv")


@pytest.mark.parametrize("bad", ["maybe", 0.5, "2.5"])
def test_label_that_is_not_a_label_names_row_and_column(bad: object) -> None:
    with pytest.raises(InputError) as info:
        prepare_table(table(human=[1, bad, 0, 1]), ["judge"], source="t.csv")
    assert "t.csv, row 2, field 'human'" in str(info.value)


def test_unknown_baseline_names_the_models() -> None:
    with pytest.raises(InputError, match=r"baseline 'c' is not a model.*a, b"):
        estimate(table(), ["judge"], baseline="c")


def test_stratum_with_no_rows_is_named() -> None:
    frame = table(region=["eu", "eu", "us", "eu"])
    with pytest.raises(InputError, match=r"model='a', region='eu'|model='b', region='us'"):
        prepare_table(frame, ["judge"])


def test_duplicate_rows_and_bad_weights_are_named() -> None:
    with pytest.raises(InputError, match=r"row 2, field 'item_id'"):
        prepare_table(table(model=["a", "a", "b", "b"]), ["judge"])
    with pytest.raises(InputError, match=r"row 3, field 'weight'"):
        prepare_table(table(weight=[1, 1, 0, 1]), ["judge"])
    with pytest.raises(InputError, match=r"row 1, field 'inclusion_prob'"):
        prepare_table(table(inclusion_prob=[1.5, 1, 1, 1]), ["judge"])


def test_labels_accept_booleans_and_words() -> None:
    prepared = prepare_table(table(human=[True, "", "false", "1"]), ["judge"])
    assert prepared.frame["human"].tolist()[0] == 1.0
    assert np.isnan(prepared.frame["human"].tolist()[1])
    assert prepared.frame["human"].tolist()[2:] == [0.0, 1.0]
    assert prepared.binary_human


def test_likert_stays_categories_scores_are_binned_missing_abstains() -> None:
    n = 200
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "item_id": [str(i) for i in range(n)],
            "model": "a",
            "likert": rng.integers(1, 6, n),
            "score": rng.random(n),
        }
    )
    frame.loc[0, "likert"] = None
    frame.loc[0, "score"] = None
    likert = prepare_table(frame, ["likert"]).frame
    assert likert["cell"].nunique() == 6  # five levels and the abstention
    assert likert.loc[0, "cell"] == ABSTAIN
    binned = prepare_table(frame, ["score"]).frame
    assert binned.loc[binned["cell"] != ABSTAIN, "cell"].nunique() == 5
    both = prepare_table(frame, ["likert", "score"]).frame
    assert both["cell"].nunique() > 6


def test_joint_cells_number_signal_combinations_in_sorted_order() -> None:
    """Joint judge cells are the combinations' ranks in sorted order (as ``np.unique`` over
    rows numbers them), ABSTAIN where every signal is missing."""
    rng = np.random.default_rng(2)
    coded = [rng.integers(0, k, 500).astype(float) for k in (3, 5, 2)]
    for column in coded:
        column[rng.random(500) < 0.2] = np.nan
    coded[0][:3] = coded[1][:3] = coded[2][:3] = np.nan
    joint = np.nan_to_num(np.column_stack(coded), nan=-1.0)
    expected = np.unique(joint, axis=0, return_inverse=True)[1].reshape(-1)
    expected[np.isnan(np.column_stack(coded)).all(axis=1)] = ABSTAIN
    np.testing.assert_array_equal(_joint_cells(coded), expected)
