"""Plain selections completed by plan (`api.lean_reads`) answer as graphql-core does: read
queries run through a schema with the lean executor and one without, on the same store,
and the answers (data and errors, codes, messages and paths included) are the same; on
SQLite and PostgreSQL. Then the executor alone, on a small schema whose plain fields hold
values graphql-core refuses or converts, against graphql-core's own executor."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import secrets
from collections.abc import Callable, Iterator
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
from api.app import load_economy, open_sql_store
from api.auth import Role, Viewer, utc_now
from api.context import Context
from api.economy_types import GuideIndex
from api.events import Broker
from api.fields import field
from api.lean_reads import LeanExecutor, install_field_resolvers, lean_executor
from api.loaders import Loaders
from api.runtime import Runtime, db_executor
from api.schema import build_schema
from domain import services
from domain.commands import (
    AdjustPoints,
    GrantHonor,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    RevokeHonor,
)
from domain.guide import build_guide
from loadtests.operations import OPERATIONS
from tests.e2e.conftest import DATABASES, database_url, e2e_settings

SCHEMA_SDL = graphql.build_schema(
    (Path(__file__).resolve().parents[2] / "schema.graphql").read_text(encoding="utf-8")
)


def gid(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


@dataclasses.dataclass
class Paths:
    """Both schemas over one runtime, with members that have a history."""

    lean: strawberry.Schema
    plain: strawberry.Schema
    runtime: Runtime
    member: str  # raw id: ~30 ledger entries, honors (one revoked), a redemption
    other: str  # raw id of a second member

    def run(
        self, lean: bool, document: str, variables: dict[str, Any], viewer: Viewer | None
    ) -> dict[str, Any]:
        schema = self.lean if lean else self.plain
        context = Context(self.runtime, Loaders.create(self.runtime), viewer=viewer)
        result = asyncio.run(schema.execute(document, variables, context_value=context))
        return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}

    def both(
        self, document: str, variables: dict[str, Any] | None = None, viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """The lean answer, once it is known to be the plain one."""
        lean = self.run(True, document, variables or {}, viewer)
        plain = self.run(False, document, variables or {}, viewer)
        assert lean == plain
        return lean


@pytest.fixture(scope="module", params=DATABASES)
def paths(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Paths]:
    directory: Path = tmp_path_factory.mktemp("lean-reads")
    with database_url(request.param, directory) as url:
        settings = e2e_settings(directory, url)
        economy = load_economy(settings.economy_path)
        opened = open_sql_store(settings, economy)
        executor = db_executor()
        try:
            at = utc_now()
            ids = []
            for n in range(2):
                member = services.register_member(
                    RegisterMember(f"reads{n}-{secrets.token_hex(3)}", "Reads", at),
                    opened.store(),
                    economy,
                )
                services.adjust_points(
                    AdjustPoints(member.id, 10_000, "setup", "ops", f"reads-give-{n}", at),
                    opened.store(),
                    economy,
                )
                ids.append(member.id)
            first = ids[0]
            for k in range(3):  # points, and the first_post honor
                services.record_activity(
                    RecordActivity(first, "post", at, f"reads-{k}", f"note-{k}", at=at),
                    opened.store(),
                    economy,
                )
            for k in range(25):
                adjust = AdjustPoints(first, k + 1, "setup", "ops", f"reads-adjust-{k}", at)
                services.adjust_points(adjust, opened.store(), economy)
            for honor in ("honorary_moderator", "mentor"):
                grant = GrantHonor(first, honor, "setup", "ops", at)
                services.grant_honor(grant, opened.store(), economy)
            revoke = RevokeHonor(first, "mentor", "setup", "ops", at + timedelta(seconds=1))
            services.revoke_honor(revoke, opened.store(), economy)
            redeem = RedeemReward(first, "sticker_pack", 1, "reads-redeem", at)
            services.redeem_reward(redeem, opened.store(), economy)
            guide = GuideIndex(build_guide(economy))
            runtime = Runtime(settings, economy, guide, opened.store, Broker(), executor)
            yield Paths(build_schema(settings), build_schema(settings, lean=False), runtime, *ids)
        finally:
            executor.shutdown(wait=True)
            opened.close()


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
    answer = paths.both(OPERATIONS["ViewerLedger"], viewer=member_viewer(paths))

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

    answer = paths.both(document, {"id": gid("Member", paths.member)}, viewer)

    assert answer["errors"], "each token is refused one root field or another"


def test_another_members_private_fields_are_refused_alike_inside_plain_answers(
    paths: Paths,
) -> None:
    document = """
    query($id: ID!) { node(id: $id) { ... on Member {
      handle honors { id active } points { available } ledgerEntries { edges { node { seq } } }
    } } }
    """
    answer = paths.both(
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
    answer = paths.both(document, viewer=member_viewer(paths))

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
    answer = paths.both(document, {"k": with_kind}, member_viewer(paths))

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
        answer = paths.both(page, {"first": 8, "after": after}, viewer)
        entries = answer["data"]["viewer"]["ledgerEntries"]
        seen += [e["node"]["seq"] for e in entries["edges"]]
        if not entries["pageInfo"]["hasNextPage"]:
            break
        after = entries["pageInfo"]["endCursor"]

    assert len(seen) > 24  # four pages
    assert seen == sorted(set(seen), reverse=True)  # newest first, none twice
    for first, after in [(0, None), (101, None), (-1, None), (3, "not a cursor"), (3, "")]:
        refused = paths.both(page, {"first": first, "after": after}, viewer)
        assert refused["errors"] or first == 0, (first, after)


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
    paths.both(document, viewer=viewer)


def test_a_redemption_through_node_answers_alike(paths: Paths) -> None:
    found = paths.both(
        "{ viewer { redemptions { edges { node { id } } } } }", viewer=member_viewer(paths)
    )
    redemption = found["data"]["viewer"]["redemptions"]["edges"][0]["node"]["id"]
    document = """
    query($id: ID!) { node(id: $id) { __typename id ... on Redemption {
      quantity points status reward { id title price } member { id handle }
    } } }
    """
    for viewer in (member_viewer(paths), member_viewer(paths, "other"), OPERATOR, None):
        paths.both(document, {"id": redemption}, viewer)


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
        paths.both(graphql.print_ast(document), viewer=viewer)

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


GUARDED_QUERY = """
{ guarded { size allowed refused odd allowedLater oddLater fails }
  more: guarded { refusedLater } }
"""


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


def test_direct_resolvers_check_permissions_as_strawberry_does() -> None:
    lean_schema = _guarded_schema(True)
    guarded = lean_schema._schema.type_map["Guarded"]
    assert isinstance(guarded, graphql.GraphQLObjectType)
    assert guarded.fields["allowedLater"].resolve.__qualname__.startswith("_async_resolver")

    answers: list[dict[str, Any]] = []
    for schema in (lean_schema, _guarded_schema(False)):
        result = asyncio.run(schema.execute(GUARDED_QUERY))
        answers.append({"data": result.data, "errors": [e.formatted for e in result.errors or ()]})

    assert answers[0] == answers[1]
    assert answers[0]["data"] is not None
    assert answers[0]["data"]["more"] is None  # a refused non-null field nulls its parent


@given(kind=st.sampled_from(["ledger", "redemption", "quest"]), value=st.text() | st.integers())
def test_cursors_are_urlsafe_base64_of_kind_and_value(kind: str, value: str | int) -> None:
    expected = base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()

    assert ids.encode_cursor(kind, value) == expected
