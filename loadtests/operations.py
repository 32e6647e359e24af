"""The GraphQL operations shared by the load tests and the benchmarks, read from
`operations.graphql` next to this module (a data file, so the benchmarks use the same
documents without the load tests importing project code)."""

from __future__ import annotations

from pathlib import Path

OPERATIONS_FILE = Path(__file__).with_name("operations.graphql")


def operation_name(document: str) -> str:
    """The name after `query` / `mutation` in a one-operation document."""
    return document.split("(", 1)[0].split("{", 1)[0].split()[1]


def load_operations(path: Path = OPERATIONS_FILE) -> dict[str, str]:
    """Each blank-line-separated block of the file that is not a comment, by its name."""
    operations: dict[str, str] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#")]
        if not lines:
            continue
        document = "\n".join(lines)
        name = operation_name(document)
        assert name not in operations, f"{path}: operation {name} twice"
        operations[name] = document
    return operations


OPERATIONS = load_operations()
