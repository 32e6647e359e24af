"""Plain selections completed by plan (`api.lean_reads`) answer as graphql-core does: read
queries run through a schema with the lean executor and one without, on the same store,
and the answers (data and errors, codes, messages and paths included) are the same; on
SQLite and PostgreSQL. Then the executor alone, on a small schema whose plain fields hold
values graphql-core refuses or converts, against graphql-core's own executor."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

import graphql
import hypothesis_graphql as hg
import pytest
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from strawberry.permission import BasePermission

from api import ids
from api.auth import Role, Viewer, utc_now
from api.fields import field
from api.lean_reads import LeanExecutor, install_field_resolvers, lean_executor
from domain import services
from domain.commands import (
    AdjustPoints,
    GrantHonor,
    RecordActivity,
    RedeemReward,
    RevokeHonor,
)
from loadtests.operations import OPERATIONS
from tests.e2e.conftest import LeanPaths

SCHEMA_SDL = graphql.build_schema(
    (Path(__file__).resolve().parents[2] / "schema.graphql").read_text(encoding="utf-8")
)


def gid(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


Paths = LeanPaths


@pytest.fixture(scope="module")
def paths(lean_paths: LeanPaths) -> LeanPaths:
    """`lean_paths` with a history for the first member: ~30 ledger entries, honors (one
    revoked), a redemption."""
    runtime, first, at = lean_paths.runtime, lean_paths.member, utc_now()
    store, economy = runtime.store, runtime.economy
    for k in range(3):  # points, and the first_post honor
        record = RecordActivity(first, "post", at, f"reads-{k}", f"note-{k}", at=at)
        services.record_activity(record, store(), economy)
    for k in range(25):
        adjust = AdjustPoints(first, k + 1, "setup", "ops", f"reads-adjust-{k}", at)
        services.adjust_points(adjust, store(), economy)
    for honor in ("honorary_moderator", "mentor"):
        services.grant_honor(GrantHonor(first, honor, "setup", "ops", at), store(), economy)
    revoke = RevokeHonor(first, "mentor", "setup", "ops", at + timedelta(seconds=1))
    services.revoke_honor(revoke, store(), economy)
    services.redeem_reward(
        RedeemReward(first, "sticker_pack", 1, "reads-redeem", at), store(), economy
    )
    return lean_paths


OPERATOR = Viewer("ops-1", Role.OPERATOR)
SERVICE = Viewer("ingest", Role.SERVICE)

EVERYTHING_OF_A_MEMBER = """
fragment Everything on Member {
  __typename id handle displayName joinedAt
  points { available reserved lifetimeEarned pending debt __typename }
  level {
    __typename id title rank privileges nameColour locked progressToNext state demotionDue
    nextLevel { id rank title threshold keep nextThreshold }
    progress {
      windowDays qualifyingPoints windowPoints spend purchases nextThreshold nextSpend
      nextPurchases keepPoints keepSpend keepPurchases
    }
  }
  kocTier { id }
  honors { __typename id tier grantedAt revokedAt active honor { id title } }
  streaks { ruleId title length best lastDay }
  ledgerEntries(first: 7) {
    __typename
    edges {
      __typename cursor
      node { __typename seq transferId kind balance amount at reference memo }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
  redemptions(first: 3) {
    edges { cursor node { id quantity points status createdAt updatedAt couponCode note } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def member_viewer(paths: Paths, which: str = "member") -> Viewer:
    return Viewer(getattr(paths, which), Role.MEMBER)


def test_the_benchmarks_viewer_query_answers_alike(paths: Paths) -> None:
    answer = paths.same(OPERATIONS["ViewerLedger"], viewer=member_viewer(paths))

    viewer = answer["data"]["viewer"]
    assert answer["errors"] == []
    assert len(viewer["ledgerEntries"]["edges"]) == 20
    assert {h["active"] for h in viewer["honors"]} == {True}


@pytest.mark.parametrize("who", ["member", "other", "operator", "service", "nobody"])
def test_every_field_of_a_member_answers_alike_for_everyone(paths: Paths, who: str) -> None:
    viewer = {
        "member": member_viewer(paths),
        "other": member_viewer(paths, "other"),
        "operator": OPERATOR,
        "service": SERVICE,
        "nobody": None,
    }[who]
    document = (
        EVERYTHING_OF_A_MEMBER
        + """
    query($id: ID!) { viewer { ...Everything } member(id: $id) { ...Everything }
                      node(id: $id) { ... on Member { ...Everything } } }
    """
    )

    answer = paths.same(document, {"id": gid("Member", paths.member)}, viewer)

    assert answer["errors"], "each token is refused one root field or another"


def test_another_members_private_fields_are_refused_alike_inside_plain_answers(
    paths: Paths,
) -> None:
    document = """
    query($id: ID!) { node(id: $id) { ... on Member {
      handle honors { id active } points { available } ledgerEntries { edges { node { seq } } }
    } } }
    """
    answer = paths.same(
        document, {"id": gid("Member", paths.member)}, member_viewer(paths, "other")
    )

    assert answer["data"]["node"]["points"] is None
    assert {tuple(e["path"]) for e in answer["errors"]} == {
        ("node", "points"),
        ("node", "ledgerEntries"),
    }


def test_aliases_fragments_and_merged_fields_answer_alike(paths: Paths) -> None:
    document = """
    query { viewer {
      a: ledgerEntries(first: 3) { edges { ...E n: node { seq s2: seq kind } } }
      b: ledgerEntries(first: 2) { edges { ... on LedgerEntryEdge { node { at amount } } } }
      points { ...P available }
      honors { ... on HonorAward { id } id tier }
    } }
    fragment E on LedgerEntryEdge { cursor n: node { amount __typename } }
    fragment P on Points { reserved available }
    """
    answer = paths.same(document, viewer=member_viewer(paths))

    assert list(answer["data"]["viewer"]["a"]["edges"][0]["n"]) == [
        "amount",
        "__typename",
        "seq",
        "s2",
        "kind",
    ]


@pytest.mark.parametrize("with_kind", [True, False])
def test_skip_and_include_by_variables_answer_alike(paths: Paths, with_kind: bool) -> None:
    document = """
    query($k: Boolean!) { viewer { ledgerEntries(first: 3) { edges { node {
      seq kind @include(if: $k) amount @skip(if: $k)
      ... on LedgerEntry @include(if: $k) { memo }
    } } } } }
    """
    answer = paths.same(document, {"k": with_kind}, member_viewer(paths))

    node = answer["data"]["viewer"]["ledgerEntries"]["edges"][0]["node"]
    assert ("kind" in node) is with_kind
    assert ("amount" in node) is not with_kind


def test_pages_and_cursors_answer_alike(paths: Paths) -> None:
    page = """
    query($first: Int!, $after: String) { viewer { ledgerEntries(first: $first, after: $after) {
      edges { cursor node { seq } } pageInfo { hasNextPage hasPreviousPage endCursor }
    } } }
    """
    viewer = member_viewer(paths)
    after = None
    seen: list[int] = []
    while True:
        answer = paths.same(page, {"first": 8, "after": after}, viewer)
        entries = answer["data"]["viewer"]["ledgerEntries"]
        seen += [e["node"]["seq"] for e in entries["edges"]]
        if not entries["pageInfo"]["hasNextPage"]:
            break
        after = entries["pageInfo"]["endCursor"]

    assert len(seen) > 24  # four pages
    assert seen == sorted(set(seen), reverse=True)  # newest first, none twice
    for first, after in [(0, None), (101, None), (-1, None), (3, "not a cursor"), (3, "")]:
        refused = paths.same(page, {"first": first, "after": after}, viewer)
        assert refused["errors"] or first == 0, (first, after)


VIEWER_PAGES = """
query($first: Int!, $after: String) { viewer { id
  ledgerEntries(first: $first, after: $after) { edges { cursor node { seq } } }
  redemptions(first: $first, after: $after) { edges { cursor node { id } } }
  quests(first: $first, after: $after) { edges { cursor } }
  friendQuests(first: $first, after: $after) { edges { cursor } }
  referrals(first: $first, after: $after) { edges { cursor } }
} }
"""

ANOTHER_MEMBERS_PAGES = """
query($id: ID!, $first: Int!, $after: String) { member(id: $id) { id handle
  ledgerEntries(first: $first, after: $after) { edges { node { seq } } }
  redemptions(after: $after) { edges { cursor } }
} }
"""

ROOT_FIELDS_WITH_ARGUMENTS = """
query($first: Int!, $after: String, $id: ID) {
  rewards(first: $first, after: $after, tier: $id) { edges { node { id } } }
  lastRewards: rewards(last: $first, before: $after) { edges { node { id } } }
  hallOfFame(first: $first, season: $id) { member { id } }
  flaggedRoleHolders(first: $first) { __typename }
  roleHallOfFame(first: $first) { __typename }
  flaggedReferrers(first: $first, after: $id) { __typename }
  heldReferrals(first: $first, after: $after) { edges { cursor } }
}
"""

CAMPAIGN = "query($id: ID!) { campaign(id: $id) { __typename } }"

# Control characters in a cursor or an id: the first refused, by name, after the permission.
ARGUMENT_VALUES: list[dict[str, Any]] = [
    {"first": 3, "after": None},
    {"first": 3, "after": "nope"},
    {"first": 3, "after": "nul\x00"},
    {"first": 3, "after": "bell\x07", "id": "tier\x1b"},
    {"first": 3, "id": "\x00"},
    {"first": 101, "after": "\x00"},
    {"first": -1, "after": None, "id": "merch"},
    {"first": 0, "after": ids.encode_cursor("ledger", 5)},
    {"first": 2, "after": ids.encode_cursor("ledger", "\x00")},
]


@pytest.mark.parametrize("values", range(len(ARGUMENT_VALUES)))
@pytest.mark.parametrize("who", ["member", "other", "operator", "nobody"])
def test_fields_with_arguments_answer_alike(paths: Paths, values: int, who: str) -> None:
    """`ledgerEntries(first:, after:)`, the other pages, `id` and the root fields with
    scalar arguments have direct resolvers too: pages, refused pages, control characters
    (refused after the permission, naming the argument) and denials answer alike."""
    viewer = {
        "member": member_viewer(paths),
        "other": member_viewer(paths, "other"),
        "operator": OPERATOR,
        "nobody": None,
    }[who]
    variables = dict(ARGUMENT_VALUES[values])
    page_variables = {k: v for k, v in variables.items() if k != "id"}

    paths.same(VIEWER_PAGES, page_variables, viewer)
    paths.same(ANOTHER_MEMBERS_PAGES, {**page_variables, "id": gid("Member", paths.member)}, viewer)
    paths.same(ROOT_FIELDS_WITH_ARGUMENTS, variables, viewer)
    paths.same(CAMPAIGN, {"id": variables.get("id") or "nope"}, viewer)


def test_fields_with_scalar_arguments_have_direct_resolvers(paths: Paths) -> None:
    """The fields named in `install_field_resolvers` are the lean ones: the same answers
    as above, without strawberry's argument conversion and chain of extensions."""
    types = paths.lean._schema.type_map
    for type_name, field_name in [
        ("Member", "id"),
        ("Member", "ledgerEntries"),
        ("Member", "redemptions"),
        ("Reward", "id"),
        ("Redemption", "id"),
        ("Query", "rewards"),
        ("Query", "hallOfFame"),
    ]:
        found = types[type_name]
        assert isinstance(found, graphql.GraphQLObjectType)
        resolver = found.fields[field_name].resolve
        assert resolver is not None
        assert resolver.__qualname__.split(".")[0] in {"_sync_resolver", "_async_resolver"}, (
            type_name,
            field_name,
        )


PUBLIC_READS = [
    "{ economy { id name dailyCap { __typename } levels { id rank title threshold keep } "
    "honors { id title description tiers { name at } manual hallOfFame maxHolders criteria } "
    "rules { id kind points title } rewardTiers { id } } }",
    "{ rewards(first: 50) { edges { cursor node { id title price stock remaining tier { id } "
    "minLevel { id } availableFrom availableUntil fulfilment } } "
    "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
    "{ rewards(last: 2) { edges { node { id } } pageInfo { hasPreviousPage startCursor } } }",
    '{ rewards(first: 1, after: "nope") { edges { node { id } } } }',
    "{ leaderboard(period: ALL_TIME, first: 5) { rank points member { id handle "
    "points { available } honors { id } } } }",
    "{ hallOfFame { member { handle } level { id } honors { id tier honor { id } } } }",
    "{ quests(first: 5) { edges { node { id title kind } } pageInfo { hasNextPage } } }",
    "{ seasons { __typename } roles { __typename } }",
]


@pytest.mark.parametrize("document", PUBLIC_READS)
@pytest.mark.parametrize("who", ["member", "operator", "nobody"])
def test_the_other_reads_answer_alike(paths: Paths, document: str, who: str) -> None:
    viewer = {"member": member_viewer(paths), "operator": OPERATOR, "nobody": None}[who]
    paths.same(document, viewer=viewer)


def test_a_redemption_through_node_answers_alike(paths: Paths) -> None:
    found = paths.same(
        "{ viewer { redemptions { edges { node { id } } } } }", viewer=member_viewer(paths)
    )
    redemption = found["data"]["viewer"]["redemptions"]["edges"][0]["node"]["id"]
    document = """
    query($id: ID!) { node(id: $id) { __typename id ... on Redemption {
      quantity points status reward { id title price } member { id handle }
    } } }
    """
    for viewer in (member_viewer(paths), member_viewer(paths, "other"), OPERATOR, None):
        paths.same(document, {"id": redemption}, viewer)


def test_the_viewer_completes_its_entries_by_plan(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut is taken: graphql-core executes the viewer's resolver fields and a few
    leaves beside them, not the 20 entries' fields one by one (it did ~118 fields)."""
    executed: list[str] = []
    execute_field = LeanExecutor.execute_field

    def counted(self: LeanExecutor, parent_type: Any, *args: Any) -> Any:
        executed.append(parent_type.name)
        return execute_field(self, parent_type, *args)

    monkeypatch.setattr(LeanExecutor, "execute_field", counted)
    paths.run(True, OPERATIONS["ViewerLedger"], {}, member_viewer(paths))

    assert "LedgerEntry" not in executed
    assert "LedgerEntryEdge" not in executed
    assert len(executed) <= 10, executed


# --- generated queries --------------------------------------------------------------------

QUERY_ROOTS = [
    "viewer",
    "member",
    "node",
    "economy",
    "rewards",
    "leaderboard",
    "hallOfFame",
    "quests",
    "seasons",
    "roles",
    "campaigns",
]


def _documents(paths: Paths) -> st.SearchStrategy[graphql.DocumentNode]:
    ids = [gid("Member", paths.member), gid("Member", paths.other), gid("Reward", "sticker_pack")]
    scalars = {
        "ID": st.sampled_from([*ids, "newcomer", "nope"]).map(nodes.String),
        "Int": st.sampled_from([0, 1, 2, 5, 20, 101, -1]).map(nodes.Int),
        "String": st.sampled_from(["", "x", gid("Member", "x")]).map(nodes.String),
        "DateTime": st.just(datetime.now(UTC).isoformat()).map(nodes.String),
        "JSON": st.just(nodes.String("x")),
    }

    def keep(document: graphql.DocumentNode) -> graphql.DocumentNode:
        return document

    return st.one_of(
        [
            hg.queries(SCHEMA_SDL, fields=[name], custom_scalars=scalars, print_ast=keep)
            for name in QUERY_ROOTS
        ]
    )


@pytest.mark.parametrize("who", ["member", "operator"])
def test_generated_queries_answer_alike(paths: Paths, who: str) -> None:
    viewer = member_viewer(paths) if who == "member" else OPERATOR

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(document=_documents(paths))
    def run(document: graphql.DocumentNode) -> None:
        paths.same(graphql.print_ast(document), viewer=viewer)

    run()


# --- the executor alone, on values graphql-core refuses or converts ------------------------


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Thing(Named):
    size: int
    label: str | None


@strawberry.type
class Leaf:
    count: int
    maybe_count: int | None
    text: str
    flag: bool
    ratio: float
    colour: Colour
    maybe_colour: Colour | None
    at: datetime
    ident: strawberry.ID


@strawberry.type
class Box:
    leaves: list[Leaf]
    maybe_leaves: list[Leaf | None] | None
    leaf: Leaf | None
    thing: Thing | None
    things: list[Thing] | None
    numbers: list[int] | None


def _leaf(**changes: Any) -> Leaf:
    values: dict[str, Any] = {
        "count": 1,
        "maybe_count": None,
        "text": "t",
        "flag": True,
        "ratio": 0.5,
        "colour": Colour.RED,
        "maybe_colour": Colour.BLUE,
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "ident": strawberry.ID("i"),
    }
    values.update(changes)
    return Leaf(**values)  # a strawberry type checks no types: any value goes


class Raises:
    """A value whose attribute read fails."""

    @property
    def count(self) -> int:
        raise RuntimeError("boom")


async def _later(value: Any) -> Any:
    return value


def _box_cases() -> dict[str, Callable[[], dict[str, Any]]]:
    """Each case made afresh per schema: a generator or a coroutine is used up."""
    good = _leaf()
    cases: dict[str, dict[str, Any] | Callable[[], dict[str, Any]]] = {
        "plain": {"leaves": [good, _leaf(count=2)]},
        "a tuple": {"leaves": (good,)},
        "a generator": lambda: {"leaves": (x for x in [good])},
        "a null in a non-null field": {"leaves": [good, _leaf(text=None)]},
        "a null in a nullable list": {"maybe_leaves": [good, None, _leaf(count=None)]},
        "an int out of range": {"leaves": [_leaf(count=2**31)]},
        "a negative int at the edge": {"leaves": [_leaf(count=-(2**31), maybe_count=2**31 - 1)]},
        "a bool in an int": {"leaves": [_leaf(count=True)]},
        "a float in an int": {"leaves": [_leaf(count=3.0), _leaf(count=3.5)]},
        "a string in an int": {"leaves": [_leaf(count="12")]},
        "an int in a string": {"leaves": [_leaf(text=7, ident=8)]},
        "an int in a float": {"leaves": [_leaf(ratio=2)]},
        "an enum's value": {"leaves": [_leaf(colour="red")]},
        "not an enum value": {"leaves": [_leaf(colour="green", maybe_colour="green")]},
        "a naive datetime and a string": {"leaves": [_leaf(at=datetime(2026, 1, 1))]},  # noqa: DTZ001
        "a date that is a string": {"leaves": [_leaf(at="2026")]},
        "an exception as a value": {"leaves": [_leaf(text=ValueError("v"))], "leaf": ValueError()},
        "an attribute that raises": {"leaf": Raises()},
        "a coroutine": lambda: {"leaf": _leaf(text=_later("awaited"))},
        "another object type": {"thing": _leaf(), "things": [Thing(name="n", size=1, label=None)]},
        "a dict": {"leaf": {"count": 1}},
        "a list where an object is": {"leaf": [good]},
        "a string where a list is": {"numbers": "123"},
        "a set where a list is": {"numbers": {1}},
    }
    return {
        name: case if callable(case) else (lambda case=case: case)  # type: ignore[misc]
        for name, case in cases.items()
    }


BOX_QUERY = """
query($k: Boolean!) { box {
  leaves { count maybeCount text flag ratio colour maybeColour at ident __typename }
  maybeLeaves { count alias: count text @include(if: $k) }
  leaf { count text ...F }
  thing { name size label __typename }
  things { ... on Named { name } size }
  numbers
} }
fragment F on Leaf { colour at }
"""


def _box_schema(lean: bool, box: dict[str, Any]) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def box(self) -> Box:
            values: dict[str, Any] = {
                "leaves": [],
                "maybe_leaves": None,
                "leaf": None,
                "thing": None,
                "things": None,
                "numbers": [1, 2],
            }
            values.update(box)
            return Box(**values)

    return strawberry.Schema(
        query=Query,
        types=[Thing],
        execution_context_class=lean_executor() if lean else None,
    )


@pytest.mark.parametrize("case", list(_box_cases()))
@pytest.mark.parametrize("with_directive", [True, False])
def test_the_executor_answers_odd_values_as_graphql_core_does(
    case: str, with_directive: bool
) -> None:
    answers = []
    for lean in (True, False):
        box = _box_cases()[case]()
        result = asyncio.run(_box_schema(lean, box).execute(BOX_QUERY, {"k": with_directive}))
        answers.append({"data": result.data, "errors": [e.formatted for e in result.errors or ()]})

    assert answers[0] == answers[1], case


# --- the direct resolvers, on permissions that allow, refuse or answer oddly ---------------


class Allow(BasePermission):
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return True


class Refuse(BasePermission):
    message = "refused"
    error_extensions: ClassVar[dict[str, object]] = {"code": "FORBIDDEN"}  # type: ignore[misc]

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


class Odd(BasePermission):
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return "yes"  # type: ignore[return-value]


@strawberry.type
class Guarded:
    size: int

    @field(permissions=[Allow])
    def allowed(self, info: strawberry.Info) -> int:
        return self.size + len(info.path.as_list())

    @field(permissions=[Allow, Refuse])
    def refused(self) -> int | None:
        return self.size

    @field(permissions=[Odd])
    def odd(self) -> int | None:
        return self.size

    @field(permissions=[Allow])
    async def allowed_later(self, info: strawberry.Info) -> int:
        return self.size * 2

    @field(permissions=[Refuse, Allow])
    async def refused_later(self) -> int:
        return self.size

    @field(permissions=[Odd])
    async def odd_later(self) -> int | None:
        return self.size

    @strawberry.field
    def fails(self) -> int | None:
        raise ValueError("resolver failed")

    @field(permissions=[Refuse])
    def refused_with(self, text: str | None = None) -> int | None:
        return self.size

    @field(permissions=[Allow])
    def echo(
        self,
        info: strawberry.Info,
        text: str = "d",
        count: int | None = None,
        flag: bool = False,
        ratio: float = 0.5,
        ident: strawberry.ID | None = None,
    ) -> str | None:
        return f"{self.size} {text!r} {count} {flag} {ratio} {ident!r} {info.path.key}"

    @field(permissions=[Allow])
    async def echo_later(self, first: int = 2, after: str | None = None) -> str | None:
        return f"{self.size} {first} {after!r}"

    @field()
    def free(self, note: str = "") -> str | None:  # a free-text name: tabs and line breaks pass
        return note

    @field()
    def with_root(self, root: Any, text: str = "r") -> str | None:  # keeps strawberry's resolver
        return f"{text} {root.size}"

    @field()
    def raising(self, text: str = "") -> int | None:
        raise ValueError(f"resolver failed on {text!r}")

    @strawberry.field
    @classmethod
    def kind(cls, root: Any, info: strawberry.Info) -> str:
        return f"{cls.__name__} {root.size} {info.path.key}"


GUARDED_QUERY = """
query($text: String, $count: Int, $ident: ID, $note: String) {
  guarded { size allowed refused odd allowedLater oddLater fails }
  more: guarded { refusedLater }
  args: guarded {
    refusedWith(text: $text) echo(text: $text, count: $count, ident: $ident)
    defaults: echo echoLater(after: $text) e2: echoLater(first: $count)
    free(note: $note) withRoot(text: $text) raising(text: $text) kind
  }
}
"""

GUARDED_VARIABLES: list[dict[str, Any]] = [
    {},
    {"text": "t", "count": 3, "ident": "i", "note": "a\tb\nc"},
    {"text": "t\x00", "count": None, "ident": "i", "note": "x"},
    {"text": "t", "ident": "\x07", "note": "\x00"},
    {"text": None, "count": 7, "ident": None, "note": None},
]


def _guarded_schema(lean: bool) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def guarded(self) -> list[Guarded] | None:
            return [Guarded(size=1), Guarded(size=2)]

    schema = strawberry.Schema(query=Query)
    if lean:
        install_field_resolvers(schema)
    return schema


@pytest.mark.parametrize("variables", range(len(GUARDED_VARIABLES)))
def test_direct_resolvers_check_permissions_as_strawberry_does(variables: int) -> None:
    """Permissions that allow, refuse or answer oddly; scalar arguments given, defaulted
    and null; control characters (after the permission, before the resolver), a free-text
    argument, a root parameter (strawberry's resolver kept), a classmethod."""
    lean_schema = _guarded_schema(True)
    guarded = lean_schema._schema.type_map["Guarded"]
    assert isinstance(guarded, graphql.GraphQLObjectType)
    assert guarded.fields["allowedLater"].resolve.__qualname__.startswith("_async_resolver")
    for name in ("refusedWith", "echo", "free", "raising", "kind"):
        assert guarded.fields[name].resolve.__qualname__.startswith("_sync_resolver"), name
    assert guarded.fields["echoLater"].resolve.__qualname__.startswith("_async_resolver")
    assert not guarded.fields["withRoot"].resolve.__qualname__.startswith("_sync_resolver")

    answers: list[dict[str, Any]] = []
    for schema in (lean_schema, _guarded_schema(False)):
        result = asyncio.run(schema.execute(GUARDED_QUERY, GUARDED_VARIABLES[variables]))
        answers.append({"data": result.data, "errors": [e.formatted for e in result.errors or ()]})

    assert answers[0] == answers[1]
    assert answers[0]["data"] is not None
    assert answers[0]["data"]["more"] is None  # a refused non-null field nulls its parent
    assert answers[0]["data"]["args"] is not None


@given(kind=st.sampled_from(["ledger", "redemption", "quest"]), value=st.text() | st.integers())
def test_cursors_are_urlsafe_base64_of_kind_and_value(kind: str, value: str | int) -> None:
    expected = base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()

    assert ids.encode_cursor(kind, value) == expected
