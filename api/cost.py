"""A query cost limit like GitHub's: the nodes an operation may ask for, as the sum over
every field taking `first` (or `last`) of the product of those counts along its path, e.g.
`rewards(first: 50) { ... }` costs 50 and a connection of 20 inside each of them 50 + 1,000.
A missing count costs its default, or `page_size_max` when it has none. Over the ceiling
(`HONORLOOP_QUERY_COST_MAX`) the request stops before execution with `LIMIT_EXCEEDED`;
a response that asked for any reports `extensions.cost = {requestedNodes, maximum}`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast,
)
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension

from api.settings import page_size_max

COUNT_ARGUMENTS = ("first", "last")
_unbounded_default = page_size_max  # a connection whose default page is not declared
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
fragment_depth_max = 50  # spreads followed inside one another (cycles are invalid anyway)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    return _cost_of(schema, document, operation_name, variables)[0]


def _cost_of(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> tuple[int, bool]:
    """The cost, and whether it depends on the variables (a count given by one)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name is not None and op.name.value == operation_name)
    ]
    if not chosen:
        return 0, False
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0, False
    walker = _Walker(schema, fragments, dict(variables or {}))
    return walker.selection_cost(root, operation.selection_set, 1, 0), walker.read_variables


class CostCache:
    """Costs that depend only on the document, by document and operation name: a document
    the parser cache (or the trusted documents) hands out again is the same object, so a
    repeated operation is one lookup instead of a walk. A cost that reads a variable is
    computed each time. Holds the documents it keys on (their ids stay theirs)."""

    size_max = 1024  # as many as the parser and validation caches keep

    def __init__(self) -> None:
        self._costs: dict[tuple[int, str | None], tuple[DocumentNode, int]] = {}

    def cost(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> int:
        key = (id(document), operation_name)
        known = self._costs.get(key)
        if known is not None and known[0] is document:
            return known[1]
        cost, read_variables = _cost_of(schema, document, operation_name, variables)
        if not read_variables:
            if len(self._costs) >= self.size_max:
                self._costs.clear()
            self._costs[key] = (document, cost)
        return cost


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.read_variables = False  # whether a count came from a variable

    def selection_cost(
        self, parent: GraphQLNamedType, selections: SelectionSetNode, multiplier: int, depth: int
    ) -> int:
        assert depth <= fragment_depth_max, "validation refuses fragment cycles"
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection, multiplier, depth)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                if inner is not None:
                    total += self.selection_cost(
                        inner, selection.selection_set, multiplier, depth + 1
                    )
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                inner = (
                    self.schema.get_type(fragment.type_condition.name.value) if fragment else None
                )
                if fragment is not None and inner is not None:
                    total += self.selection_cost(
                        inner, fragment.selection_set, multiplier, depth + 1
                    )
        return total

    def field_cost(
        self, parent: GraphQLNamedType, node: FieldNode, multiplier: int, depth: int
    ) -> int:
        if not isinstance(parent, GraphQLObjectType) or node.name.value not in parent.fields:
            return 0  # __typename, or an abstract parent (its fragments carry the fields)
        field = parent.fields[node.name.value]
        count = self.count_of(field, node)
        cost = 0
        if count is not None:
            multiplier *= count
            cost += multiplier
        if node.selection_set is not None:
            named = get_named_type(field.type)
            cost += self.selection_cost(named, node.selection_set, multiplier, depth)
        return cost

    def count_of(self, field: GraphQLField, node: FieldNode) -> int | None:
        """The `first` or `last` given, else the field's default page, else the worst case;
        None for a field that takes neither."""
        declared = [name for name in COUNT_ARGUMENTS if name in field.args]
        if not declared:
            return None
        given = {a.name.value: a for a in node.arguments or () if a.name.value in declared}
        for name, argument in given.items():
            if not isinstance(argument.value, IntValueNode):
                self.read_variables = True  # a variable (anything else is invalid)
            value = value_from_ast(argument.value, field.args[name].type, self.variables)
            if isinstance(value, int) and value >= 0:
                return value
            return page_size_max  # not yet valid (validation or the resolver refuses it)
        defaults = [field.args[name].default_value for name in declared]
        found = next((d for d in defaults if isinstance(d, int)), None)
        return found if found is not None else _unbounded_default


class QueryCost(SchemaExtension):
    """Computes the cost once the document is valid; refuses the request over the ceiling."""

    def __init__(self, maximum: int, cache: CostCache | None = None) -> None:
        super().__init__()
        assert maximum > 0, "a cost ceiling is positive"
        self.maximum = maximum
        self.cache = cache if cache is not None else CostCache()
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        # Before strawberry checks for errors (inside the validation step), and after the
        # validation cache or the trusted documents (earlier in the list) gave their verdict.
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            self.cost = self.cache.cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            )
            if self.cost > self.maximum:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"this query asks for up to {self.cost} nodes; at most {self.maximum} "
                        "are allowed (lower `first`)",
                        extensions={
                            "code": LIMIT_EXCEEDED,
                            "cost": self.cost,
                            "maximum": self.maximum,
                        },
                    )
                ]
        yield

    def get_results(self) -> dict[str, Any]:
        if not self.cost:  # nothing counted: no `first` anywhere (keeps plain answers plain)
            return {}
        return {"cost": {"requestedNodes": self.cost, "maximum": self.maximum}}
