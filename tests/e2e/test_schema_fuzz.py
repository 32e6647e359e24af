"""Property: no request built from the committed schema reaches an internal error.

Hypothesis (with hypothesis-graphql) writes queries and mutations from `schema.graphql`,
valid ones and ones with a single schema violation; each is sent over HTTP as an operator,
a service and a member, with its arguments written inline or moved into variables (two
code paths: literal parsing and variable coercion). Ids are often real global ids of
seeded members, rewards and redemptions, so requests reach the services and the stores,
not only the argument checks. Every answer must be a 200 or a 4xx with a JSON body whose
errors all carry a code, none INTERNAL_SERVER_ERROR. Both stores.

Dates stay within 1971-2099 and attribute numbers within 32 bits: the calendar range and
the attribute bounds are checked by their own specs (the core issue), not here."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import graphql
import httpx
import hypothesis_graphql as hg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from api.auth import Role
from tests.e2e.conftest import Api, Member, reward_id

SCHEMA = graphql.build_schema(
    (Path(__file__).resolve().parents[2] / "schema.graphql").read_text(encoding="utf-8")
)
# 170 x 3 roles x 2 stores = 1,020 requests; set HONORLOOP_FUZZ_EXAMPLES to run more.
examples_per_role = int(os.environ.get("HONORLOOP_FUZZ_EXAMPLES", "170"))
ROLES = ["operator", "service", "member"]
REWARDS = ["sticker_pack", "key_ring", "e2e_scarce", "e2e_closed", "nope"]
PLAIN_IDS = [
    "sticker_pack",
    "merch",
    "first_post",
    "newcomer",
    "seasoned",
    "post",
    "interaction",
    "daily_cap",
    "",
]

TEXTS = ["post", "interaction", "check_in", "article", "share", "alice", "ops", "key-1", "s-1"]
TEXTS += ["", " ", "\t", "note", "日本語", "Ω≈ç√", "e\u0301", "🙂"]
CONTROLS = ["\x00", "\x00", "\x00", "\x01", "\x1b", "\x7f", "\x85", "\n", "\r", "\t"]

PUBLIC = {"node", "economy", "rewards", "leaderboard", "hallOfFame", "explainActivity"}
MAY_RUN = {
    "operator": {"member", "registerMember", "fulfillRedemption", "cancelRedemption"}
    | {"grantHonor", "revokeHonor", "adjustPoints", "lockLevel"},
    "service": {"registerMember", "recordActivity", "recordActivities"},
    "member": {"viewer", "redeemReward", "cancelRedemption"},
}


@dataclass(frozen=True)
class Seeded:
    """What exists before fuzzing: members (one with points and a redemption)."""

    members: tuple[Member, ...]
    redemption_ids: tuple[str, ...]


def _global(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


@pytest.fixture(scope="module")
def seeded(api: Api) -> Seeded:
    members = tuple(api.register("fuzz") for _ in range(3))
    rich = members[0]
    api.give(rich, 5_000)
    api.record(rich, "interaction", subjectId="s-1")
    redeemed = api.redeem(rich, "sticker_pack", "fuzz-seed")
    assert redeemed["__typename"] == "RedeemRewardPayload", redeemed
    return Seeded(members, (redeemed["redemption"]["id"],))


def _ids(seed: Seeded) -> st.SearchStrategy[graphql.ValueNode]:
    real = [m.id for m in seed.members] + list(seed.redemption_ids)
    real += [reward_id(r) for r in REWARDS]
    forged = [_global("Member", "nobody"), _global("Nope", "x"), _global("Member", "")]
    forged += [_global(kind, "m\x00") for kind in ("Member", "Reward", "Redemption")]
    real_ids = st.sampled_from(real)
    return st.one_of(
        real_ids,
        real_ids,
        real_ids,  # mostly real, so requests reach the services
        st.sampled_from(forged),
        st.sampled_from(PLAIN_IDS),
        st.text(max_size=30),
    ).map(nodes.String)


def _datetimes() -> st.SearchStrategy[graphql.ValueNode]:
    offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
    # Hypothesis takes naive bounds and adds the zones itself (or draws naive moments).
    early, late = datetime(1971, 1, 1), datetime(2099, 12, 31)  # noqa: DTZ001
    moments = st.datetimes(min_value=early, max_value=late, timezones=offsets).map(
        lambda moment: moment.isoformat()
    )
    naive = st.datetimes(min_value=early, max_value=late).map(datetime.isoformat)
    now = st.just(datetime.now(UTC).isoformat())
    return (moments | naive | now | st.text(max_size=20)).map(nodes.String)


def _json_values() -> st.SearchStrategy[graphql.ValueNode]:
    numbers = st.integers(min_value=-(2**31), max_value=2**31) | st.floats(
        min_value=-1e9, max_value=1e9, allow_nan=False
    )
    names = st.sampled_from(["photos", "words", "interactions", "video_seconds"]) | st.text(
        max_size=70
    )
    leaf = numbers.map(_number_node) | st.text(max_size=10).map(nodes.String)
    objects = st.lists(st.tuples(names, leaf), max_size=6).map(
        lambda pairs: graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(name=graphql.NameNode(value=_name(k)), value=v)
                for k, v in pairs
            )
        )
    )
    return objects | leaf | st.just(graphql.NullValueNode())


def _name(text: str) -> str:
    """A GraphQL name (object literal keys must be names): letters, digits, underscores."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in text)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"n{cleaned}"


def _number_node(value: int | float) -> graphql.ValueNode:
    return nodes.Int(value) if isinstance(value, int) else nodes.Float(value)


def _texts() -> st.SearchStrategy[graphql.ValueNode]:
    """Strings worth trying: the economy's words, keys and handles, and the awkward ones
    (control characters, blanks, the longest and one longer, any character at all)."""
    handles = st.from_regex(r"[a-z][a-z0-9_]{2,12}", fullmatch=True)  # new members too
    words = st.one_of(
        st.sampled_from(TEXTS), handles, st.text(st.characters(codec="utf-8"), max_size=40)
    )
    awkward = st.tuples(words, st.sampled_from(CONTROLS), words).map("".join)
    sizes = st.sampled_from([40, 41, 80, 81, 200, 201, 500, 501]).map(lambda n: "x" * n)
    return st.one_of(words, awkward, sizes).map(nodes.String)


def _ints() -> st.SearchStrategy[graphql.ValueNode]:
    edges = st.sampled_from([0, 1, -1, 2, 100, 101, 10_000_000, 10_000_001, 2**31 - 1, -(2**31)])
    return (edges | st.integers(min_value=-(2**31), max_value=2**31 - 1)).map(nodes.Int)


def _scalars(seed: Seeded) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    return {
        "ID": _ids(seed),
        "DateTime": _datetimes(),
        "JSON": _json_values(),
        "String": _texts(),
        "Int": _ints(),
    }


def _documents(seed: Seeded, role: str) -> st.SearchStrategy[graphql.DocumentNode]:
    """One root field per document (drawing one is ~20 ms; a document of any subset of the
    root fields costs ~100 ms), valid or with one schema violation; the operations the role
    may run are drawn three times as often as the others (which mostly meet FORBIDDEN)."""
    scalars = _scalars(seed)
    assert SCHEMA.query_type is not None
    assert SCHEMA.mutation_type is not None

    def keep(document: object) -> object:
        return document

    def one(kind: str, name: str, mode: hg.Mode) -> st.SearchStrategy[Any]:
        make = hg.queries if kind == "query" else hg.mutations
        return make(SCHEMA, fields=[name], custom_scalars=scalars, print_ast=keep, mode=mode)

    chosen: list[st.SearchStrategy[Any]] = []
    for kind, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        for name, field in root.fields.items():
            weight = 3 if name in MAY_RUN[role] or name in PUBLIC else 1
            chosen.extend([one(kind, name, hg.Mode.POSITIVE)] * weight)
            if any(graphql.is_required_argument(a) for a in field.args.values()):
                chosen.append(one(kind, name, hg.Mode.NEGATIVE))  # something to violate
    return st.one_of(chosen)


def _root_type(operation: graphql.OperationDefinitionNode) -> graphql.GraphQLObjectType | None:
    if operation.operation is graphql.OperationType.MUTATION:
        return SCHEMA.mutation_type
    return SCHEMA.query_type


def with_variables(document: graphql.DocumentNode) -> tuple[str, dict[str, Any]]:
    """The document with each root field's arguments moved into variables."""
    definitions: list[graphql.VariableDefinitionNode] = []
    values: dict[str, Any] = {}
    operation = document.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = _root_type(operation)
    selections: list[graphql.SelectionNode] = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, graphql.FieldNode) or root is None:
            selections.append(selection)
            continue
        field = root.fields.get(selection.name.value)
        arguments: list[graphql.ArgumentNode] = []
        for argument in selection.arguments or ():
            declared = field.args.get(argument.name.value) if field else None
            if declared is None:
                arguments.append(argument)
                continue
            name = f"v{len(definitions)}"
            type_node = graphql.parse_type(str(declared.type))
            definitions.append(
                graphql.VariableDefinitionNode(
                    variable=graphql.VariableNode(name=graphql.NameNode(value=name)),
                    type=type_node,
                )
            )
            values[name] = graphql.value_from_ast_untyped(argument.value)
            arguments.append(
                graphql.ArgumentNode(
                    name=argument.name,
                    value=graphql.VariableNode(name=graphql.NameNode(value=name)),
                )
            )
        selections.append(
            graphql.FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=tuple(arguments),
                directives=selection.directives,
                selection_set=selection.selection_set,
            )
        )
    rewritten = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(definitions),
        directives=operation.directives,
        selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
    )
    return graphql.print_ast(graphql.DocumentNode(definitions=(rewritten,))), values


def _token(api: Api, role: str, seed: Seeded) -> str:
    if role == "member":
        return api.member_token(seed.members[0])
    return api.token("fuzz", Role(role))


def assert_no_internal_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert isinstance(body, dict), body
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code is not None, error
        assert code != "INTERNAL_SERVER_ERROR", error


def _fuzz(api: Api, seed: Seeded, role: str) -> Callable[[], None]:
    @settings(
        max_examples=examples_per_role,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(document=_documents(seed, role), as_variables=st.booleans())
    def run(document: graphql.DocumentNode, as_variables: bool) -> None:
        if as_variables:
            query, variables = with_variables(document)
        else:
            query, variables = graphql.print_ast(document), {}
        response = api.client.post(
            api.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {_token(api, role, seed)}"},
        )
        assert_no_internal_error(response)

    return run


@pytest.mark.parametrize("role", ROLES)
def test_no_generated_request_reaches_an_internal_error(
    api: Api, seeded: Seeded, role: str
) -> None:
    _fuzz(api, seeded, role)()
