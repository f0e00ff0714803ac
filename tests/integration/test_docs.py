"""Everything a user can call or set is documented (and the docs name nothing that is gone)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from starlette.routing import Route

from yaksok.cli import COMMANDS, main
from yaksok.config import Settings
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def command_paths(group: click.Group, prefix: str = "yaksok") -> list[str]:
    """Every command below ``group``, as click lists them (the top group loads its own lazily)."""
    context = click.Context(group)
    paths = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, f"{prefix} lists {name} but cannot load it"
        path = f"{prefix} {name}"
        paths.extend(command_paths(command, path) if isinstance(command, click.Group) else [path])
    return paths


def test_the_cli_lists_and_loads_every_command() -> None:
    paths = command_paths(main)
    assert {" ".join(path.split()[:2]) for path in paths} == {f"yaksok {name}" for name in COMMANDS}
    for path in ("yaksok serve", "yaksok replay", "yaksok bench reservations", "yaksok waiting-room set"):
        assert path in paths


@pytest.mark.parametrize("command", command_paths(main))
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in (ROOT / "README.md").read_text(), f"{command} is not in README.md"


def test_every_setting_is_in_the_operations_guide() -> None:
    settings = set(re.findall(r"YAKSOK_[A-Z_]+", (ROOT / "src/yaksok/config.py").read_text()))
    guide = (ROOT / "docs/operations.md").read_text()
    assert settings, "config.py reads no YAKSOK_ variables?"
    assert sorted(s for s in settings if s not in guide) == []


def test_every_admin_route_is_in_the_api_guide(sqlite_rt: Runtime) -> None:
    app = create_app(sqlite_rt, Settings(database_url="unused", run_scheduler=False))
    guide = (ROOT / "docs/api.md").read_text()
    missing = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/v1/"):
            path = route.path.removeprefix("/api/v1")
            for method in sorted((route.methods or set()) - {"HEAD"}):
                documented = re.sub(r"\{[^}]+\}", "{x}", f"`{method} {path}")
                if documented not in re.sub(r"\{[^}]+\}", "{x}", guide):
                    missing.append(f"{method} {path}")
    assert missing == []
