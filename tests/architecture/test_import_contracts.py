"""The import contracts of pyproject.toml pass on the project and fail on a violation.

``lint-imports`` runs in ``make lint``; these tests prove each contract really
bites, on a copy of the project's Python files with one violating module added.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomli

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACTS = tomli.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["contracts"]


def copy_project(target: Path) -> Path:
    """Copy the Python packages and the contracts; data files are not needed."""
    for package in ("actions", "bot"):
        shutil.copytree(
            ROOT / package,
            target / package,
            ignore=lambda _dir, names: [
                n for n in names if n == "__pycache__" or (not n.endswith(".py") and "." in n)
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` as ``make lint`` does, without a cache."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def contract_name(contract_id: str) -> str:
    """Return the human name a contract is reported under."""
    return next(str(c["name"]) for c in CONTRACTS if c["id"] == contract_id)


def test_the_project_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


def test_bot_common_may_import_no_other_package_of_the_project() -> None:
    forbidden = set(next(c for c in CONTRACTS if c["id"] == "common-is-pure")["forbidden_modules"])
    siblings = {
        f"bot.{path.stem}"
        for path in (ROOT / "bot").iterdir()
        if path.name != "common"
        and (path.suffix == ".py" and path.stem != "__init__" or (path / "__init__.py").exists())
    }
    assert siblings | {"actions"} <= forbidden


@pytest.mark.parametrize(
    ("module", "violation", "contract_id"),
    [
        ("bot/common/_violation.py", "import bot.backend.config", "common-is-pure"),
        ("bot/common/_violation.py", "from bot.knowledge import loader", "common-is-pure"),
        ("actions/_violation.py", "from bot.backend import errors", "rasa-side-talks-http"),
        ("bot/channels/_violation.py", "import bot.console.fields", "rasa-side-talks-http"),
        ("bot/backend/_violation.py", "from bot.console import app", "backend-below-console"),
        ("bot/backend/_violation.py", "import actions.backend_client", "backend-below-console"),
        ("bot/console/_violation.py", "from bot.channels import web_auth", "console-not-rasa-side"),
        ("bot/console/_violation.py", "import actions.validators", "console-not-rasa-side"),
        ("bot/serving/_violation.py", "from bot.bench import stats", "bench-is-a-leaf"),
        ("actions/_violation.py", "import bot.bench.load", "bench-is-a-leaf"),
    ],
)
def test_a_violating_import_breaks_its_contract(
    tmp_path: Path, module: str, violation: str, contract_id: str
) -> None:
    project = copy_project(tmp_path)
    assert lint_imports(project).returncode == 0  # the copy alone is clean
    (project / module).write_text(f"{violation}  # deliberately wrong\n", encoding="utf-8")
    result = lint_imports(project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract_name(contract_id)} BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout
