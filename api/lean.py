"""The lean path of the ledger mutations: `recordActivity`, `recordActivities` and
`redeemReward` answered by graphql-core resolvers of their own, installed over the ones
strawberry built for the same fields (`install`, from `api.schema.build_schema`).

Strawberry stays the schema's author: the fields, their inputs and their result unions are
declared in `api.mutations` as before, so the SDL, introspection, validation, the query
cost, the schema extensions and every other field are untouched. What the lean resolver
saves is the per-field machinery of the hottest mutations (docs/performance.md):

- the input goes from the variables graphql-core coerced (a dict by the schema's field
  names, scalars parsed) straight into the domain command: no input dataclass on the way;
- the permission is one role check on the context (the same class, message and code as
  the field's strawberry permission, which it replaces: `api.permissions._Roles.require`);
- the control-character check walks those coerced values once, by the input type
  (`api.text_checks.refused_coerced`: the same first refusal, by the same path);
- no strawberry `Info`, field-extension chain or argument conversion per call.

What a resolver answers is what the strawberry resolver answers: the same payload and error
objects (a domain error becomes its schema type through `api.errors.user_error`;
`InvalidInput` for a refused argument), the same loaders renewed after the command, the
same runtime (group commit, transient-failure retries, events published to the broker).
`tests/e2e/test_lean_mutations.py` runs each case through both and compares the answers.

Union members also resolve by class (`cache_union_types`): strawberry's resolver looks for
the type implementing the object among the schema's types on every answer; a plain
(non-generic, not cast) strawberry object resolves to the same type every time, so its
first answer is kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema, GraphQLUnionType
from graphql.type.definition import GraphQLAbstractType, GraphQLTypeResolver
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError, InvalidGlobalIDError
from strawberry.types.base import has_object_definition
from strawberry.types.cast import get_strawberry_type_cast

from api import ids
from api import inputs as i
from api.auth import utc_now
from api.context import Context
from api.errors import invalid_input, user_error
from api.loaders import Loaders
from api.mutations import RedeemRewardPayload, activity_payload, record_batch
from api.permissions import IsMember, IsService
from api.text_checks import refused_coerced
from api.types import Redemption
from domain import commands as c
from domain import services
from domain.errors import DomainError

LeanResolver = Callable[..., Awaitable[object]]

_service = IsService()
_member = IsMember()


async def _attempt(context: Context, act: Callable[[], Awaitable[object]]) -> object:
    """`api.commanding.attempt` on the context: a domain error becomes its schema type,
    and the loaders are renewed so the payload reads what the command wrote."""
    try:
        return await act()
    except DomainError as error:
        return user_error(error)
    finally:
        context.loaders = Loaders.create(context.runtime)


def _global_id(value: str) -> relay.GlobalID:
    """A GlobalID argument as strawberry converts it, failing as it does."""
    try:
        return relay.GlobalID.from_id(value)
    except GlobalIDValueError as error:
        raise InvalidGlobalIDError(f'Value cannot represent a GlobalID: "{value}".') from error


def _with_global_id(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {**data, name: _global_id(data[name])}


def _refusal(field: GraphQLField, arguments: Mapping[str, Any], data: object) -> object | None:
    """`InvalidInput` for the first control character in the arguments (the input with its
    global ids decoded), else None."""
    refused = refused_coerced({**arguments, "input": data}, field)
    return None if refused is None else invalid_input(*refused)


def _record_activity(field: GraphQLField) -> LeanResolver:
    async def resolve(_root: object, info: GraphQLResolveInfo[Context], **arguments: Any) -> object:
        # In strawberry's order: arguments converted, then the permission, then the text.
        data = _with_global_id(arguments["input"], "memberId")
        context = info.context
        principal = _service.require(context).principal
        refusal = _refusal(field, arguments, data)
        if refusal is not None:
            return refusal

        async def act() -> object:
            runtime = context.runtime
            cmd = i.record_activity_of(data, principal, at=runtime.clock())
            return activity_payload(await runtime.record_activity(cmd))

        return await _attempt(context, act)

    return resolve


def _record_activities(field: GraphQLField) -> LeanResolver:
    async def resolve(_root: object, info: GraphQLResolveInfo[Context], **arguments: Any) -> object:
        items = [_with_global_id(item, "memberId") for item in arguments["input"]]
        context = info.context
        principal = _service.require(context).principal
        refusal = _refusal(field, arguments, items)
        if refusal is not None:
            return refusal

        async def act() -> object:
            runtime = context.runtime
            at = runtime.clock()
            return await record_batch(
                runtime,
                items,
                lambda item, field: i.record_activity_of(item, principal, field, at=at),
            )

        return await _attempt(context, act)

    return resolve


def _redeem_reward(field: GraphQLField) -> LeanResolver:
    async def resolve(_root: object, info: GraphQLResolveInfo[Context], **arguments: Any) -> object:
        data = _with_global_id(arguments["input"], "rewardId")
        context = info.context
        viewer = _member.require(context)
        refusal = _refusal(field, arguments, data)
        if refusal is not None:
            return refusal

        async def act() -> object:
            assert viewer.member_id is not None, "a member token names its member"
            cmd = c.RedeemReward(
                member_id=viewer.member_id,
                reward_id=ids.node_id(data["rewardId"], "Reward", "rewardId"),
                quantity=data["quantity"],
                idempotency_key=data["idempotencyKey"],
                at=utc_now(),
                caller=viewer.principal,
            )
            result = await context.runtime.command(services.redeem_reward, cmd)
            return RedeemRewardPayload(
                redemption=Redemption.of(result.redemption), replayed=result.replayed
            )

        return await _attempt(context, act)

    return resolve


LEAN_MUTATIONS: dict[str, Callable[[GraphQLField], LeanResolver]] = {
    "recordActivity": _record_activity,
    "recordActivities": _record_activities,
    "redeemReward": _redeem_reward,
}


def install(schema: GraphQLSchema) -> None:
    """The lean resolvers over strawberry's, on the schema's mutation type."""
    mutation = schema.mutation_type
    assert mutation is not None, "the schema has mutations"
    for name, lean in LEAN_MUTATIONS.items():
        field = mutation.fields[name]
        field.resolve = lean(field)
    cache_union_types(schema)


def cache_union_types(schema: GraphQLSchema) -> None:
    for named in schema.type_map.values():
        if isinstance(named, GraphQLUnionType) and named.resolve_type is not None:
            named.resolve_type = _by_class(named.resolve_type)


def _by_class(resolve: GraphQLTypeResolver) -> GraphQLTypeResolver:
    known: dict[type, str] = {}

    def resolve_type(
        root: Any, info: GraphQLResolveInfo[Any], abstract: GraphQLAbstractType
    ) -> Any:
        kind = type(root)
        name = known.get(kind)
        if name is not None and get_strawberry_type_cast(root) is None:
            return name
        found = resolve(root, info, abstract)
        if isinstance(found, str) and _plain(root):
            known[kind] = found
        return found

    return resolve_type


def _plain(root: object) -> bool:
    """A strawberry object whose type does not depend on its values: not cast to another
    type, not an instance of a generic type."""
    if get_strawberry_type_cast(root) is not None or not has_object_definition(root):
        return False
    definition = root.__strawberry_definition__
    return not definition.is_graphql_generic and definition.concrete_of is None
