"""Every mutation can answer bad input as data: its result union holds `InvalidInput`
(the argument checks answer control characters and malformed ids with it, whatever the
mutation), so such input never reaches an internal error."""

from __future__ import annotations

from graphql import GraphQLNonNull, GraphQLUnionType

from api.schema import build_schema
from api.settings import Settings


def test_every_mutation_result_union_holds_invalid_input() -> None:
    schema = build_schema(Settings())._schema
    assert schema.mutation_type is not None
    missing: list[str] = []
    for name, field in schema.mutation_type.fields.items():
        result = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if isinstance(result, GraphQLUnionType) and "InvalidInput" not in {
            member.name for member in result.types
        }:
            missing.append(name)

    assert missing == []
