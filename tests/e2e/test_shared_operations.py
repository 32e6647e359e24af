"""The operations file shared by the load tests and the benchmarks holds valid, named,
distinct operations of the committed schema."""

from __future__ import annotations

from pathlib import Path

import graphql
import pytest

from loadtests.operations import OPERATIONS, load_operations

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_shared_operation_validates_against_the_schema(name: str) -> None:
    schema = graphql.build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = graphql.parse(OPERATIONS[name])
    assert graphql.validate(schema, document) == []
    (operation,) = document.definitions
    assert isinstance(operation, graphql.OperationDefinitionNode)
    assert operation.name is not None
    assert operation.name.value == name


def test_an_operation_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "operations.graphql"
    path.write_text("query A { economy { id } }\n\nquery A { economy { id } }\n")
    with pytest.raises(AssertionError, match="operation A twice"):
        load_operations(path)


def test_comment_blocks_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "operations.graphql"
    path.write_text("# a note\n\nquery B { economy { id } }\n")
    assert load_operations(path) == {"B": "query B { economy { id } }"}
