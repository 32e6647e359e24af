"""Validation results kept per parsed document, found by the document's identity.

Strawberry's `ValidationCache` is an `lru_cache` over `validate_document(schema, document,
rules)`: its key hashes the document, and graphql-core's AST nodes are frozen dataclasses
whose hash walks every node of the document on every call (nothing caches it): ~50 µs for
the benchmark's viewer query, ~27 µs for `recordActivity`, 5 µs for the no-op, on every
request. The parser cache in front of it hands every request with the same text the same
document object, so the same answer is found here by the object's id, the rule classes
and the schema, at the cost of a tuple's hash. An entry keeps its document and schema
alive, so their ids cannot be reused by other objects while it is kept; a document parsed
again (the parser cache evicted it) is validated again, as strawberry's cache would.

The errors are graphql-core's for that document, schema and rules, as before
(`strawberry.schema.schema.validate_document`, the same function strawberry caches)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Rules = tuple[type[ASTValidationRule], ...]


class Validations:
    """The validation errors of documents, by (schema, document, rules), for one schema's
    requests; at most `maxsize` entries (then it starts again: that many distinct
    documents is rare, and the parser cache holds as many)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._found: dict[
            tuple[int, int, Rules], tuple[GraphQLSchema, DocumentNode, list[GraphQLError]]
        ] = {}

    def errors(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        key = (id(schema), id(document), rules)
        found = self._found.get(key)
        if found is not None and found[0] is schema and found[1] is document:
            return found[2]
        errors = validate_document(schema, document, rules)
        if len(self._found) >= self.maxsize:
            self._found.clear()
        self._found[key] = (schema, document, errors)
        return errors


class ValidationCache(SchemaExtension):
    """Strawberry's `ValidationCache` with the results found by document identity
    (`Validations`): the same errors, without hashing the document per request."""

    def __init__(self, validations: Validations) -> None:
        super().__init__()
        self.validations = validations

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # validation runs after a successful parse
        context.pre_execution_errors = self.validations.errors(
            context.schema._schema, document, context.validation_rules
        )
        yield
