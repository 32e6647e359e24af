"""The lean read path: graphql-core's executor with a shortcut for the parts of an answer
that are plain data (`LeanExecutor`, passed to strawberry from `api.schema.build_schema`).

Most of a read's answer is plain: `ledgerEntries { edges { node { seq kind amount at } } }`
is one resolver (`Member.ledger_entries`) and then ~100 fields that only read an attribute
of a dataclass and serialize it. graphql-core runs each of them as a field: it builds a
`GraphQLResolveInfo` and a `Path`, calls strawberry's basic-field resolver (three calls
deep to reach `getattr`), checks the result for awaitables, then completes it through
`complete_value` (non-null, list, leaf, object, one method each). That was ~12 µs a field
and two thirds of the viewer's event-loop time (docs/performance.md).

Here, when graphql-core is about to complete an object or a list whose selection is plain
all the way down, the whole value is completed by a plan made once for that selection (per
operation, or per request when the operation has directives: `Plans`): for each response
key, the attribute to read and how to complete what it holds.
A selection is plain when every field in it, and in the objects under it, is a strawberry
basic field (an attribute: no resolver, permission or field extension, so nothing strawberry
would run but `getattr`), takes no arguments, and returns a scalar, an enum, a list of
plain values or an object type strawberry made (its `is_type_of`, when it has one, is
strawberry's, which reads only the value). `__typename` is the type's name.

The answers are graphql-core's own, by construction and by fallback:

- the fields come from graphql-core's `collect_subfields` for this request (fragments,
  `@skip`/`@include` with this request's variables, aliases, merged fields, in its order);
- leaves go through the type's own `coerce_output_value` (the scalars' exact types that it
  returns unchanged are returned unchanged; an enum member's name is remembered once found);
- anything that is not plainly a value, or that graphql-core would answer with an error
  (a null in a non-null field, a failed `is_type_of`, a scalar that refuses its value, an
  awaitable, an exception, a list that is not a `list` or `tuple`), abandons the shortcut
  for that object or list, and graphql-core completes it as it always did, so an error
  has its message, locations and path, and nulls propagate, exactly as before. The shortcut
  only reads attributes, so doing it again costs time, never a different answer.

It is off when a schema extension resolves fields (tracing's spans are per resolver),
under `@defer` (a deferred fragment is delivered apart), and for lists when the schema
knows `@stream`. `tests/e2e/test_lean_reads.py` runs read queries through a schema with
and one without it and compares the whole answers, errors included.

The fields that do have a resolver, with no arguments or only built-in scalar ones and
nothing around it but permission classes and the control-character check, are called
directly (`install_field_resolvers`, below)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, cast

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from graphql.type import GraphQLBoolean, GraphQLID, GraphQLInt, GraphQLString
from strawberry.exceptions import (
    PermissionReturnedAwaitableInSyncContextError,
    PermissionReturnedNonBooleanError,
)
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryMaybe, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from api.text_checks import RefuseControlCharacters

Info = GraphQLResolveInfo[Any]
Complete = Callable[[Any, Info], Any]
"""Completes one value as graphql-core would, or raises (`_Abandon` or the error that
stopped it): the caller then lets graphql-core complete it instead."""

_BACKREF: Final = GraphQLCoreConverter.DEFINITION_BACKREF
graphql_int_min: Final = -(2**31)
graphql_int_max: Final = 2**31 - 1


class _Abandon(Exception):
    """Not plainly a value: let graphql-core complete it (and raise what it raises)."""


_ABANDON: Final = _Abandon()
_NOT_PLANNED: Final = object()  # a selection found not to be plain, remembered as such
operations_planned_max = 1024  # operations whose plans a schema keeps (as many as documents)

PlanKey = tuple[int, ...]  # id of the type, then ids of the selection's field nodes


class Plans:
    """The plans of one schema's operations, kept across requests: a plan depends only on
    the schema, the operation's text and, through `@skip`/`@include`, its variables, so an
    operation without directives is planned once (the parser cache hands every request
    the same nodes). Each entry keeps its operation and fragments alive, so the ids in its
    keys cannot be reused by other nodes while it is kept. An operation with directives is
    planned per request instead."""

    def __init__(self) -> None:
        self._operations: dict[
            int,
            tuple[
                OperationDefinitionNode, tuple[FragmentDefinitionNode, ...], dict[PlanKey, object]
            ],
        ] = {}

    def of(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> dict[PlanKey, object] | None:
        """The plans of a directive-free operation (None when it has directives)."""
        found = self._operations.get(id(operation))
        if found is not None and found[0] is operation and _same(found[1], fragments):
            return found[2]
        if not _without_directives(operation, fragments):
            return None
        if len(self._operations) >= operations_planned_max:
            self._operations.clear()  # rare (that many distinct operations): start again
        plans: dict[PlanKey, object] = {}
        self._operations[id(operation)] = (operation, tuple(fragments.values()), plans)
        return plans


def _same(
    kept: tuple[FragmentDefinitionNode, ...], fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    """The same fragment nodes (the executor makes a new dict of them per request)."""
    return len(kept) == len(fragments) and all(
        a is b for a, b in zip(kept, fragments.values(), strict=True)
    )


class LeanExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing plain selections by plan (the module's doc).
    Made per schema by `lean_executor`, each with its plans."""

    plans: ClassVar[Plans]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self._lean = middleware is None or not middleware.middlewares
        self._lean_lists = self._lean and self.schema.get_directive("stream") is None
        kept = self.plans.of(self.operation, self.fragment_definitions) if self._lean else None
        # Per request when the operation has directives: the nodes are alive all request.
        self._plans: dict[PlanKey, object] = {} if kept is None else kept

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: Info,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self._lean and position_context is None:
            completed = self._by_plan(return_type, field_details_list, info, result)
            if completed is not _NOT_PLANNED:
                return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: Info,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self._lean_lists and position_context is None:
            completed = self._by_plan(return_type, field_details_list, info, result)
            if completed is not _NOT_PLANNED:
                return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _by_plan(
        self, type_: GraphQLOutputType, details: FieldDetailsList, info: Info, result: Any
    ) -> Any:
        """The value completed by its selection's plan, or `_NOT_PLANNED` when the selection
        is not plain or the plan gave up: then graphql-core completes it, error and all."""
        complete = self._plan(type_, details)
        if complete is None:
            return _NOT_PLANNED
        try:
            return complete(result, info)
        except Exception:  # graphql-core answers it again, error and all
            return _NOT_PLANNED

    # --- plans ---------------------------------------------------------------------------

    def _plan(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete | None:
        """How to complete a value of `type_` selected by `details`, or None when the
        selection is not plain."""
        if len(details) == 1:
            key: PlanKey = (id(type_), id(details[0].node))
        else:
            key = (id(type_), *(id(d.node) for d in details))
        plan = self._plans.get(key)
        if plan is None:
            made = self._make(type_, details)
            self._plans[key] = plan = _NOT_PLANNED if made is None else made
        return None if plan is _NOT_PLANNED else cast(Complete, plan)

    def _make(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete | None:
        if is_non_null_type(type_):
            inner = self._make(type_.of_type, details)
            return None if inner is None else _non_null(inner)
        if is_list_type(type_):
            if not self._lean_lists:
                return None
            item = self._make(type_.of_type, details)
            return None if item is None else _list(item)
        if is_leaf_type(type_):
            return _leaf(type_, self.is_awaitable)
        if is_object_type(type_):
            return self._object(type_, details)
        return None  # an interface or a union: its resolve_type decides, per value

    def _object(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Complete | None:
        if not _plain_is_type_of(object_type):
            return None
        grouped, deferred, _ = self.collect_subfields(object_type, details)
        if deferred:
            return None
        fields: list[tuple[str, str | None, Complete | None]] = []
        for response_key, sub_details in grouped.items():
            node = sub_details[0].node
            name = node.name.value
            if name == "__typename":
                fields.append((response_key, None, None))
                continue
            field = self.schema.get_field(object_type, name)
            attribute = _attribute(field, bool(node.arguments))
            if field is None or attribute is None:
                return None
            complete = self._plan(field.type, sub_details)
            if complete is None:
                return None
            fields.append((response_key, attribute, complete))
        return _object(object_type, tuple(fields), self.is_awaitable)


def lean_executor() -> type[LeanExecutor]:
    """A `LeanExecutor` class with plans of its own, for one schema."""
    return type("LeanExecutor", (LeanExecutor,), {"plans": Plans()})


def _without_directives(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    """Whether no selection in the operation or its fragments carries a directive (or a
    fragment argument): then what is selected does not depend on the variables."""
    pending: list[SelectionSetNode] = [operation.selection_set]
    for fragment in fragments.values():
        if fragment.directives:
            return False
        pending.append(fragment.selection_set)
    while pending:
        for selection in pending.pop().selections:
            if selection.directives:
                return False
            if not isinstance(selection, FieldNode) and getattr(selection, "arguments", None):
                return False  # a fragment spread with arguments (graphql-core's experiment)
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return True


def _attribute(field: GraphQLField | None, has_arguments: bool) -> str | None:
    """The attribute a field reads, when it is a strawberry basic field without
    arguments; else None."""
    if field is None or has_arguments or field.args:
        return None
    if not getattr(field.resolve, "_is_default", False):  # strawberry's basic-field resolver
        return None
    definition = (field.extensions or {}).get(_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    if definition.default_resolver is not getattr:
        return None
    if type(definition).get_result is not StrawberryField.get_result:
        return None  # a field class of its own may read the value another way
    return definition.python_name


def _plain_is_type_of(object_type: GraphQLObjectType) -> bool:
    """Whether the type has no `is_type_of`, or strawberry's (which reads only the value:
    a type's own `is_type_of` could read the info, which a plan does not have per field)."""
    if object_type.is_type_of is None:
        return True
    definition = (object_type.extensions or {}).get(_BACKREF)
    return isinstance(definition, StrawberryObjectDefinition) and definition.is_type_of is None


# --- completions --------------------------------------------------------------------------


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any, info: Info) -> Any:
        completed = inner(value, info)
        if completed is None:
            raise _ABANDON  # graphql-core's "Cannot return null for non-nullable field"
        return completed

    return complete


def _list(item: Complete) -> Complete:
    def complete(value: Any, info: Info) -> Any:
        if value is None or value is Undefined:
            return None
        kind = type(value)
        if kind is not list and kind is not tuple:
            raise _ABANDON  # another iterable (or none): graphql-core's way
        return [item(v, info) for v in value]

    return complete


def _object(
    object_type: GraphQLObjectType,
    fields: tuple[tuple[str, str | None, Complete | None], ...],
    is_awaitable: Callable[[Any], bool],
) -> Complete:
    type_name = object_type.name
    is_type_of = object_type.is_type_of

    def complete(value: Any, info: Info) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception) or is_awaitable(value):
            raise _ABANDON
        if is_type_of is not None and is_type_of(value, info) is not True:
            raise _ABANDON  # graphql-core's "Expected value of type ..." (or an awaitable)
        answer: dict[str, Any] = {}
        for response_key, attribute, complete_field in fields:
            if attribute is None or complete_field is None:
                answer[response_key] = type_name
            else:
                answer[response_key] = complete_field(getattr(value, attribute), info)
        return answer

    return complete


def _leaf(type_: GraphQLLeafType, is_awaitable: Callable[[Any], bool]) -> Complete:
    if type_ is GraphQLInt:
        return _int(type_, is_awaitable)
    exact_types: dict[GraphQLScalarType, type] = {
        GraphQLString: str,
        GraphQLID: str,
        GraphQLBoolean: bool,
    }
    exact = exact_types.get(type_) if isinstance(type_, GraphQLScalarType) else None
    coerce = type_.coerce_output_value
    # A strawberry enum answers a member of its class by the member (a linear search of
    # its values each time): the name found for a member is kept. Only for members of
    # that very class, which hash and compare by identity.
    members = getattr(type_, "wrapped_cls", None) if isinstance(type_, GraphQLEnumType) else None
    names: dict[Any, Any] = {}

    def complete(value: Any, info: Info) -> Any:
        if value is None or value is Undefined:
            return None
        if type(value) is exact:
            return value  # what coerce_output_value returns for its own type
        if members is not None and type(value) is members:
            name = names.get(value)
            if name is not None:
                return name
        if isinstance(value, Exception) or is_awaitable(value):
            raise _ABANDON
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _ABANDON  # graphql-core's "... to return non-nullable value"
        if members is not None and type(value) is members:
            names[value] = coerced
        return coerced

    return complete


def _int(type_: GraphQLLeafType, is_awaitable: Callable[[Any], bool]) -> Complete:
    coerce = type_.coerce_output_value

    def complete(value: Any, info: Info) -> Any:
        if value is None or value is Undefined:
            return None
        if type(value) is int and graphql_int_min <= value <= graphql_int_max:
            return value  # what coerce_output_value returns for an int in range
        if isinstance(value, Exception) or is_awaitable(value):
            raise _ABANDON
        return coerce(value)  # out of range: it raises, and graphql-core reports it

    return complete


# --- resolver fields ----------------------------------------------------------------------

StrawberryInfo = strawberry.Info[Any, Any]
Call = Callable[[Any, StrawberryInfo, dict[str, Any]], Any]
Step = BasePermission | RefuseControlCharacters  # one check before the resolver, in order

_PLAIN_ARGUMENTS: Final = frozenset({int, str, bool, float, strawberry.ID})
"""Argument types whose values strawberry's `convert_arguments` passes on unchanged (the
built-in scalars: `convert_argument` returns a scalar's value as graphql-core coerced it)."""


def install_field_resolvers(schema: strawberry.Schema) -> None:
    """Lean resolvers for the fields strawberry answers with a resolver function (or a
    classmethod, as relay's `id`) whose arguments, if any, are built-in scalars, behind at
    most permission classes and the control-character check (`Member.points`, `level`,
    `honors`, `id`, `ledgerEntries(first:, after:)`, `Query.viewer`, ...): the same
    function called with the same `Info` and arguments, after the same checks in the same
    order. Strawberry's own resolver for such a field converts the arguments, maps them
    through every extension and builds a chain of partials around the checks on every
    call; here the call is direct. Mutations and subscriptions keep theirs (`api.lean` has
    the ledger mutations'); a field with an argument of another type, another extension
    or an exception handler keeps strawberry's."""
    if schema.schema_converter._exception_handler_specs:
        return
    info_class: type[StrawberryInfo] = schema.config.info_class
    graphql_schema = schema._schema
    skipped = {graphql_schema.mutation_type, graphql_schema.subscription_type}
    registry = schema.schema_converter.scalar_registry
    for named in graphql_schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named in skipped:
            continue
        if named.name.startswith("__"):
            continue
        for field in named.fields.values():
            lean = _lean_resolver(field, info_class, schema.config, registry)
            if lean is not None:
                field.resolve = lean


def _lean_resolver(
    field: GraphQLField,
    info_class: type[StrawberryInfo],
    config: StrawberryConfig,
    registry: Mapping[object, object],
) -> Callable[..., Any] | None:
    definition = (field.extensions or {}).get(_BACKREF)
    if not isinstance(definition, StrawberryField):
        return None
    resolver = definition.base_resolver
    if (
        type(definition).get_result is not StrawberryField.get_result
        or definition.is_subscription
        or type(resolver) is not StrawberryResolver
        or not _plain_function(resolver.wrapped_func)
        or inspect.isasyncgenfunction(resolver._unbound_wrapped_func)
    ):
        return None
    names = _argument_names(definition, config, registry)
    steps = _steps(definition)
    if names is None or steps is None or len(names) != len(field.args):
        return None
    checked = any(isinstance(step, RefuseControlCharacters) for step in steps)
    if checked and (resolver.parent_parameter is not None or resolver.root_parameter is not None):
        return None  # strawberry's check would also walk the source passed as root
    call = _call(resolver)
    if definition.is_async:
        return _async_resolver(definition, info_class, names, steps, call)
    return _sync_resolver(definition, info_class, names, steps, call)


def _plain_function(wrapped: object) -> bool:
    """A function, or a classmethod bound to its type (as `StrawberryResolver.bind` leaves
    relay's `Node.id`)."""
    if inspect.isfunction(wrapped):
        return True
    return (
        inspect.ismethod(wrapped)
        and isinstance(wrapped.__self__, type)
        and inspect.isfunction(wrapped.__func__)
    )


def _argument_names(
    definition: StrawberryField, config: StrawberryConfig, registry: Mapping[object, object]
) -> tuple[tuple[str, str], ...] | None:
    """(GraphQL name, Python name) of each argument, in strawberry's order, when each is a
    built-in scalar (or an optional one, not a `Maybe`); else None."""
    names: list[tuple[str, str]] = []
    for argument in definition.arguments:
        type_ = argument.type
        if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
            type_ = type_.of_type
        if type_ not in _PLAIN_ARGUMENTS or type_ not in registry:
            return None
        if argument.python_name is None:
            return None
        names.append((config.name_converter.from_argument(argument), argument.python_name))
    return tuple(names)


def _steps(definition: StrawberryField) -> list[Step] | None:
    """The checks strawberry's chain of field extensions runs before the resolver, in the
    order it runs them (the last extension outermost), when the extensions are only
    strawberry's permission extension (raising on refusal, sync-capable) and
    `RefuseControlCharacters` as a query field has it, unchanged; else None."""
    found: list[Step] = []
    for extension in reversed(definition.extensions):
        kind = type(extension)
        if kind.map_arguments is not FieldExtension.map_arguments:
            return None
        if kind is RefuseControlCharacters and isinstance(extension, RefuseControlCharacters):
            if extension.as_union:
                return None
            found.append(extension)
            continue
        if (
            kind is not PermissionExtension
            or not isinstance(extension, PermissionExtension)
            or extension.fail_silently
            or not extension.supports_sync
        ):
            return None
        found.extend(extension.permissions)
    return found


def _call(resolver: StrawberryResolver[Any]) -> Call:
    """The resolver called as strawberry calls it: the source as `self` (or by its root or
    parent parameter's name), the info by its parameter's name, the arguments by their
    Python names."""
    function = cast(Callable[..., Any], resolver.wrapped_func)  # a function: checked
    as_self = resolver.self_parameter is not None
    by_name = [
        p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
    ]
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    def call(source: Any, info: StrawberryInfo, kwargs: dict[str, Any]) -> Any:
        for name in by_name:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = info
        return function(source, **kwargs) if as_self else function(**kwargs)

    return call


def _sync_resolver(
    definition: StrawberryField,
    info_class: type[StrawberryInfo],
    names: tuple[tuple[str, str], ...],
    steps: list[Step],
    call: Call,
) -> Callable[..., Any]:
    def resolve(source: Any, info: Info, **arguments: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=definition)
        kwargs = {python: arguments[name] for name, python in names if name in arguments}
        for step in steps:
            if isinstance(step, RefuseControlCharacters):  # as its resolve
                refusal = step.refusal(kwargs)
                if refusal is not None:
                    return refusal
                continue
            allowed = step.has_permission(source, strawberry_info)  # as PermissionExtension's
            if inspect.isawaitable(allowed):
                if inspect.iscoroutine(allowed):
                    allowed.close()
                raise PermissionReturnedAwaitableInSyncContextError(step)
            if not isinstance(allowed, bool):
                raise PermissionReturnedNonBooleanError(step, allowed)
            if not allowed:
                return step.on_unauthorized()
        return call(source, strawberry_info, kwargs)

    return resolve


def _async_resolver(
    definition: StrawberryField,
    info_class: type[StrawberryInfo],
    names: tuple[tuple[str, str], ...],
    steps: list[Step],
    call: Call,
) -> Callable[..., Any]:
    async def resolve(source: Any, info: Info, **arguments: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=definition)
        kwargs = {python: arguments[name] for name, python in names if name in arguments}
        for step in steps:
            if isinstance(step, RefuseControlCharacters):  # as its resolve_async
                refusal = step.refusal(kwargs)
                if refusal is not None:
                    return refusal
                continue
            allowed = step.has_permission(source, strawberry_info)  # as PermissionExtension's
            if inspect.isawaitable(allowed):
                allowed = await allowed
            if not isinstance(allowed, bool):
                if inspect.iscoroutine(allowed):
                    allowed.close()
                raise PermissionReturnedNonBooleanError(step, allowed)
            if not allowed:
                return step.on_unauthorized()
        result = call(source, strawberry_info, kwargs)
        return await result if inspect.isawaitable(result) else result

    return resolve
