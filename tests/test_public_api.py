"""The public surface is what ``baton.__all__`` names, and importing it changes nothing global."""

from __future__ import annotations

import subprocess
import sys

import baton


def test_public_names_are_exactly_these() -> None:
    assert sorted(baton.__all__) == [
        "BatonError",
        "DemoOptions",
        "Estimates",
        "JudgePrior",
        "Study",
        "StudyResult",
        "__version__",
        "check",
        "decide",
        "estimate",
        "ingest",
        "init",
        "judge",
        "judge_dry_run",
        "labels_export",
        "labels_import",
        "load_study",
        "next_units",
        "plan",
        "replay_dry_run",
        "report_estimate",
        "run_demo",
        "simulate_study",
        "status",
        "study_json_schema",
    ]
    for name in baton.__all__:
        assert getattr(baton, name) is not None


def test_importing_baton_adds_no_warning_filter_or_logging_handler() -> None:
    # Third-party libraries set their own filters on import (numpy, scipy): import them
    # first, so what is measured is Baton's own code.
    code = (
        "import logging, warnings\n"
        "import numpy, pandas, scipy.optimize, scipy.special, scipy.stats, sqlalchemy\n"
        "before = (list(warnings.filters), list(logging.getLogger().handlers))\n"
        "import baton\n"
        "after = (list(warnings.filters), list(logging.getLogger().handlers))\n"
        "assert before == after, (before, after)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
