"""The schema: roots plus the extensions that keep it fast and bounded.

`python -m api.schema` prints the SDL (what `make schema` writes to `schema.graphql`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import strawberry
from graphql import DocumentNode, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions import ValidationCache as StrawberryValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from api.cost import CostCache, QueryCost
from api.datetimes import install as install_datetimes
from api.errors import classify, is_unexpected
from api.lean import install as install_lean
from api.lean_reads import install_field_resolvers, lean_executor
from api.metrics import MetricsExtension
from api.mutations import Mutation
from api.operation_checks import OperationChoice
from api.persisted import TrustedDocuments, TrustedDocumentsExtension
from api.pipeline import Pipeline
from api.queries import Query
from api.settings import Settings
from api.subscriptions import Subscription
from api.validation_cache import ValidationCache, Validations

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

documents_cached_max = 1024  # distinct operation texts kept parsed and validated


_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)


class Schema(strawberry.Schema):
    """Every error leaves with an `extensions.code`; unexpected exceptions are logged (only
    they: expected errors are the client's business) and then masked. When introspection
    is off (production), "Did you mean ...?" suggestions are cut from messages too: they
    would reveal the names introspection hides."""

    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_unexpected(error):
                StrawberryLogger.error(error, execution_context)
            classify(error)
            if self.hide_suggestions:
                error.message = _SUGGESTION.sub("", error.message)


def build_schema(
    settings: Settings, *, tracer_provider: TracerProvider | None = None, lean: bool = True
) -> strawberry.Schema:
    """`lean`: the ledger mutations answered by their lean resolvers (`api.lean`), plain
    selections completed by plan and direct resolvers (`api.lean_reads`), validation
    results found by document (`api.validation_cache`), the schema extensions run as one
    (`api.pipeline`) and `DateTime` input read without dateutil in its common shape
    (`api.datetimes`); without it, strawberry's own way for each. The schema is the same
    either way, and so are the answers."""
    tokens = settings.query_tokens_max
    cost_max = settings.query_cost_max
    # Validation rules are built once: the validation cache keys on the rule classes, and
    # each limiter instance makes new ones.
    rules = [
        *QueryDepthLimiter(max_depth=settings.query_depth_max).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.query_aliases_max).validation_rules,
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    costs = CostCache()  # shared by the requests, as the parser and validation caches
    validations = Validations(documents_cached_max)  # found by document (api/validation_cache.py)
    prepared: dict[str, DocumentNode] = {}  # trusted documents, filled once the schema exists
    caches: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=documents_cached_max),  # caches are shared per maxsize
        (lambda: ValidationCache(validations))
        if lean
        else (lambda: StrawberryValidationCache(maxsize=documents_cached_max)),
    ]
    if settings.trusted_documents_only:  # parsed and validated at startup instead
        caches = [lambda: TrustedDocumentsExtension(prepared)]
    parts: list[Callable[[], SchemaExtension]] = [
        *caches,
        lambda: MaxTokensLimiter(max_token_count=tokens),
        lambda: AddValidationRules(rules),
        lambda: QueryCost(cost_max, costs),  # after validation: the nodes asked for (api/cost.py)
        MetricsExtension,  # requests, latency and errors by code (api/metrics.py)
        OperationChoice,
    ]
    # Run as one extension: the same hooks in the same order, without strawberry's context
    # manager per hook and request (api/pipeline.py).
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = (
        [lambda: Pipeline(parts)] if lean else list(parts)
    )
    if tracer_provider is not None:
        from api.tracing import graphql_extension

        extensions.append(graphql_extension(tracer_provider))
    schema = Schema(
        query=Query,
        mutation=BenchMutation if settings.bench_noop else Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=lean_executor() if lean else None,
    )
    if settings.trusted_documents_only:
        trusted = TrustedDocuments.load(settings.trusted_documents_path)
        prepared.update(trusted.prepared(schema._schema, rules))
    schema.hide_suggestions = not settings.introspection_enabled
    if lean:
        install_lean(schema._schema)
        install_field_resolvers(schema)
        install_datetimes(schema._schema)
    return schema


@strawberry.type
class BenchMutation(Mutation):
    """The mutations plus a no-op, served only when a benchmark enables it
    (`bench_noop`): the ceiling of a mutation on this stack, with nothing to do."""

    @strawberry.mutation
    def bench_noop(self) -> bool:
        return True


def sdl() -> str:
    """The schema's SDL, independent of settings (extensions do not change it)."""
    return build_schema(Settings()).as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
