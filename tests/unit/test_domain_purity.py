"""The purity rule, proven: every module of `domain/` imports only the standard library
and `domain` itself — no other package of ours, no third-party package."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def foreign_imports(source: str) -> list[str]:
    """Top-level names of absolute imports that are neither stdlib nor `domain`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue  # relative imports stay inside the package
        for name in names:
            top = name.split(".")[0]
            if top != "domain" and top not in sys.stdlib_module_names:
                found.append(name)
    return found


def test_the_checker_catches_third_party_and_project_imports() -> None:
    source = """
import os, numpy as np
from persistence.memory import MemoryStore
from domain.model import Member
from . import calendar
def later():
    import sqlalchemy.orm
"""
    assert foreign_imports(source) == ["numpy", "persistence.memory", "sqlalchemy.orm"]


def test_every_domain_module_imports_only_the_standard_library_and_domain() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) >= 10, "the domain package was not found where expected"

    offenders = {
        str(path.relative_to(DOMAIN.parent)): bad
        for path in modules
        if (bad := foreign_imports(path.read_text(encoding="utf-8")))
    }

    assert offenders == {}
