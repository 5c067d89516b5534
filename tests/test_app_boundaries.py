"""The four apps install into any Wagtail site: none imports the project package, and each
imports only from the apps to its left (members <- courses <- lms <- mailings)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["members", "courses", "lms", "mailings"]
PROJECT = "training_site"


def _imports(app):
    """(file, imported module) for every absolute import in the app's shipped code."""
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield path.relative_to(ROOT), name


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_neither_the_site_nor_an_app_to_its_right(app):
    to_the_right = set(APPS[APPS.index(app) + 1 :])
    wrong = [
        f"{path}: {name}"
        for path, name in _imports(app)
        if name.split(".")[0] == PROJECT or name.split(".")[0] in to_the_right
    ]
    assert not wrong, "\n".join(wrong)
