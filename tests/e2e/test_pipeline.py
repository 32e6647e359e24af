"""The request pipeline (`api.pipeline`: the schema's extensions run as one;
`api.validation_cache`: validation found by document) answers as strawberry's own: each
document runs through the default schema and one built with `lean=False` (each extension
on its own, strawberry's `ValidationCache`), and the answers, errors and `extensions`
are the same, for documents refused in each phase (parse, token limit, validation, depth,
aliases, cost, variables), answered with errors and answered; on SQLite and PostgreSQL.
Then the pieces alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import graphql
import pytest
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from api.auth import Role, Viewer
from api.pipeline import Pipeline
from api.validation_cache import Validations
from loadtests.operations import OPERATIONS
from tests.e2e.conftest import LeanPaths

DEEP = "{ viewer " + "{ level { nextLevel " * 6 + "{ id }" + " } }" * 6 + " }"
MANY_ALIASES = "{ " + " ".join(f"a{n}: economy {{ id }}" for n in range(40)) + " }"
MANY_TOKENS = "{ " + "economy { id } " * 700 + "}"

DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    ("{ economy { id name } }", {}),
    ("{ economy { id ", {}),  # a syntax error
    (MANY_TOKENS, {}),
    ("{ noSuchField }", {}),
    ("{ economy { id } } { economy { name } }", {}),  # anonymous twice
    (DEEP, {}),
    (MANY_ALIASES, {}),
    ("{ rewards(first: 100) { edges { node { id } } } }", {}),
    (
        "query($n: Int!) { leaderboard(period: DAY, first: $n) { points "
        "member { ledgerEntries(first: $n) { edges { cursor } } } } }",
        {"n": 100},  # over the cost ceiling by a variable
    ),
    ("query($n: Int!) { rewards(first: $n) { edges { cursor } } }", {"n": "many"}),
    ("query($n: Int!) { rewards(first: $n) { edges { cursor } } }", {}),
    ('{ rewards(first: 2, after: "nope") { edges { cursor } } }', {}),
    ("query A { economy { id } } query B { economy { name } }", {}),  # no operationName
    ("mutation { recordActivity(input: {}) { __typename } }", {}),
    (OPERATIONS["ViewerLedger"], {}),
    (
        OPERATIONS["RecordActivity"],
        {
            "input": {
                "memberId": "bm9wZQ==",
                "kind": "post",
                "occurredAt": "2026-12-04T01:00:00+00:00",
                "idempotencyKey": "pipeline-1",
                "subjectId": "s",
            }
        },
    ),
]


@pytest.fixture(scope="module")
def paths(lean_paths: LeanPaths) -> LeanPaths:
    return lean_paths


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
@pytest.mark.parametrize("who", ["member", "service", "nobody"])
def test_every_phase_answers_alike(paths: LeanPaths, index: int, who: str) -> None:
    document, variables = DOCUMENTS[index]
    viewer = {
        "member": Viewer(paths.member, Role.MEMBER),
        "service": Viewer("ingest", Role.SERVICE),
        "nobody": None,
    }[who]

    for _ in range(2):  # the second time from the caches
        lean, plain = paths.pair(document, variables, viewer)
        assert lean == plain, document


def test_the_cost_is_reported_in_extensions_alike(paths: LeanPaths) -> None:
    answer = paths.same("{ rewards(first: 7) { edges { cursor } } }")

    assert answer["extensions"]["cost"]["requestedNodes"] >= 7


# --- the pieces ---------------------------------------------------------------------------


def test_validations_are_found_by_document_and_rules(paths: LeanPaths) -> None:
    schema = paths.lean._schema
    validations = Validations(maxsize=2)
    document = graphql.parse("{ economy { id } noSuchField }")
    rules: tuple[Any, ...] = ()

    first = validations.errors(schema, document, rules)
    assert validations.errors(schema, document, rules) is first  # found, not validated again
    assert [e.message for e in first] == [
        e.message for e in validate_document(schema, document, rules)
    ]
    again = graphql.parse("{ economy { id } noSuchField }")  # equal, another object
    assert validations.errors(schema, again, rules) is not first
    with_a_rule = (graphql.validation.NoSchemaIntrospectionCustomRule,)
    assert validations.errors(schema, document, with_a_rule) is not first
    assert len(validations._found) <= 2  # started again when full


class Recording(SchemaExtension):
    """Records when each of its hooks runs, as `name:phase:before|after`."""

    log: list[str]

    def __init__(self, name: str, log: list[str], fail: str | None = None) -> None:
        super().__init__()
        self.name, self.log, self.fail = name, log, fail

    def _hook(self, phase: str) -> Iterator[None]:
        self.log.append(f"{self.name}:{phase}:before")
        if self.fail == phase:
            raise RuntimeError(f"{self.name} failed in {phase}")
        yield
        self.log.append(f"{self.name}:{phase}:after")

    def on_operation(self) -> Iterator[None]:
        yield from self._hook("operation")

    def on_parse(self) -> Iterator[None]:
        yield from self._hook("parse")

    def on_validate(self) -> Iterator[None]:
        yield from self._hook("validate")

    def on_execute(self) -> Iterator[None]:
        yield from self._hook("execute")

    def get_results(self) -> dict[str, Any]:
        return {self.name: len(self.log), "shared": self.name}


@pytest.mark.parametrize("fail", [None, "parse", "validate", "execute"])
def test_a_pipeline_runs_hooks_in_strawberrys_order(fail: str | None) -> None:
    """The same hooks, in the same order, with the same results, as the same extensions
    listed one by one; and the same exception when a hook raises."""
    import asyncio

    import strawberry

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            return "hi"

    logs: dict[bool, list[str]] = {True: [], False: []}
    answers: dict[bool, Any] = {}
    for piped in (True, False):
        log = logs[piped]
        factories = [
            lambda log=log: Recording("a", log),
            lambda log=log: Recording("b", log, fail),
            lambda log=log: Recording("c", log),
        ]
        extensions = [lambda f=factories: Pipeline(f)] if piped else factories
        schema = strawberry.Schema(query=Query, extensions=extensions)
        try:
            result = asyncio.run(schema.execute("{ hello }"))
            answers[piped] = (result.data, result.errors, result.extensions)
        except RuntimeError as error:
            answers[piped] = str(error)

    assert logs[True] == logs[False]
    assert answers[True] == answers[False]
    if fail is None:
        assert answers[True][2] == {"a": 24, "b": 24, "c": 24, "shared": "c"}  # 3 x 4 phases x 2


def test_a_pipeline_refuses_hooks_it_cannot_run_alike() -> None:
    class Async(SchemaExtension):
        async def on_execute(self) -> Any:
            yield

    class Resolving(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: str, **kwargs: Any) -> Any:
            return _next(root, info, *args, **kwargs)

    for kind in (Async, Resolving):
        with pytest.raises(TypeError):
            Pipeline([kind])
