"""Generate pages at build time (run by mkdocs-gen-files): the home page from the README,
the contributing guide and the changelog from their files at the repository's root, and the
CLI and study-file reference pages from the code.

The README is the single source of the home page: its links into ``docs/`` are rewritten to
the site's pages. The CLI reference walks the Typer application's commands (Typer vendors
click, so they are read by duck typing); the study-file reference renders the study's JSON
Schema. Both come from the code, so they cannot drift from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mkdocs_gen_files
import typer.main

from baton.cli._app import COMMAND_ORDER
from baton.cli.main import app
from baton.study import study_json_schema


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _param_row(param: Any, ctx: Any) -> str:
    record = param.get_help_record(ctx)
    usage, help_text = record if record else (param.name, "")
    return f"| `{_cell(usage)}` | {_cell(help_text)} |"


def _command_section(path: str, command: Any) -> list[str]:
    ctx = command.context_class(command, info_name=path)
    lines = [f"## `{path}`", "", (command.help or "").strip(), ""]
    params = [p for p in command.params if p.name != "help" and not p.hidden]
    if params:
        lines += ["| parameter | what |", "|---|---|"]
        lines += [_param_row(p, ctx) for p in params]
        lines.append("")
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            lines += _command_section(f"{path} {name}", sub)
    return lines


def cli_reference() -> str:
    root = typer.main.get_command(app)
    lines = [
        "# CLI reference",
        "",
        "Generated from the `baton` command's own definitions. Every command takes "
        "`--help`; exit codes are 0 go, 1 no-go, 2 usage error or invalid input, "
        "3 inconclusive, 4 runtime error, 130 interrupted.",
        "",
    ]
    order = [n for n in COMMAND_ORDER if n in root.commands]
    order += sorted(set(root.commands) - set(order))
    for name in order:
        lines += _command_section(f"baton {name}", root.commands[name])
    return "\n".join(lines) + "\n"


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        return " or ".join(_type_of(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    return str(prop.get("type", "any"))


def _object_section(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"## {name}", "", _cell(schema.get("description", "")), ""]
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    if props:
        lines += ["| field | type | required | default | what |", "|---|---|---|---|---|"]
        for field, prop in props.items():
            default = f"`{prop['default']}`" if "default" in prop else ""
            lines.append(
                f"| `{field}` | {_cell(_type_of(prop))} | {'yes' if field in required else ''} "
                f"| {_cell(default)} | {_cell(prop.get('description', ''))} |"
            )
        lines.append("")
    return lines


def study_reference() -> str:
    schema = study_json_schema()
    lines = [
        "# Study file reference",
        "",
        "Generated from the study's JSON Schema (`baton schema` prints it; point your "
        "editor's YAML plugin at it). `baton init study.yaml` writes a commented example; "
        "`baton check` validates a file and names the field at fault.",
        "",
    ]
    lines += _object_section("Study", schema)
    for name, sub in sorted(schema.get("$defs", {}).items()):
        lines += _object_section(name, sub)
    return "\n".join(lines) + "\n"


def from_root(name: str) -> str:
    """A root file as a site page: ``docs/x.md`` links become ``x.md``, root files pages."""
    text = Path(name).read_text(encoding="utf-8")
    text = text.replace("](docs/", "](")
    text = text.replace("](CONTRIBUTING.md)", "](contributing.md)")
    text = text.replace("](CHANGELOG.md)", "](changelog.md)")
    return text.replace("](LICENSE)", "](https://www.apache.org/licenses/LICENSE-2.0)")


for source, page in (
    ("README.md", "index.md"),
    ("CONTRIBUTING.md", "contributing.md"),
    ("CHANGELOG.md", "changelog.md"),
):
    with mkdocs_gen_files.open(page, "w") as out:
        out.write(from_root(source))
with mkdocs_gen_files.open("reference/cli.md", "w") as out:
    out.write(cli_reference())
with mkdocs_gen_files.open("reference/study-file.md", "w") as out:
    out.write(study_reference())
