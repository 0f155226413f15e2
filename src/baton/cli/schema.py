"""``baton schema``: print the JSON Schema of study.yaml."""

from __future__ import annotations

import json

from baton.cli._app import app
from baton.study import study_json_schema


@app.command()
def schema() -> int:
    """Print the JSON Schema of study.yaml (point your editor's YAML plugin at it)."""
    print(json.dumps(study_json_schema(), indent=2))
    return 0
