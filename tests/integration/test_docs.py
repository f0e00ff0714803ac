"""Everything a user can call or set is documented (and the docs name nothing that is gone)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from starlette.routing import Route

from yaksok.cli import main
from yaksok.config import Settings
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def command_paths(group: click.Group, prefix: str = "yaksok") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        paths.extend(command_paths(command, path) if isinstance(command, click.Group) else [path])
    return paths


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
