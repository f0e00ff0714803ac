"""The layers in pyproject.toml hold, and an import against them fails the check.

``scripts/test`` runs ``lint-imports`` on the tree; these tests prove the contracts bite, by
running it on a copy of the package with one forbidden import added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with this repository's contracts, on the ``yaksok`` in ``package_parent``."""
    shutil.copy(ROOT / "pyproject.toml", package_parent / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    command = [str(LINT_IMPORTS), "--no-cache"]
    return subprocess.run(command, cwd=package_parent, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of ``src/yaksok`` in a fresh folder, without bytecode; the folder is returned."""
    shutil.copytree(
        ROOT / "src" / "yaksok", tmp_path / "yaksok", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def add_line(package_parent: Path, module: str, line: str) -> None:
    path = package_parent / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")


def test_the_package_keeps_every_contract(package_copy: Path) -> None:
    result = lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "yaksok.domain.clock",
            "from yaksok.services import runtime",
            "Each layer imports only the layers below it",
        ),
        (
            "yaksok.services.lookups",
            "from yaksok.web import app",
            "Each layer imports only the layers below it",
        ),
        (
            "yaksok.web.app",
            "from yaksok.workers import scheduler",
            "Each layer imports only the layers below it",
        ),
        ("yaksok.web.live_hub", "from yaksok.store import tables", "reach the store only through"),
        ("yaksok.workers.scheduler", "import sqlalchemy", "Only the store speaks SQL"),
    ],
)
def test_an_import_against_the_layers_fails_the_check(
    package_copy: Path, module: str, line: str, contract: str
) -> None:
    add_line(package_copy, module, line)
    result = lint_imports(package_copy)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split()), result.stdout
    assert module in broken, result.stdout
