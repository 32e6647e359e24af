"""Persisted operations: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ: a client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
query; the server answers `PERSISTED_QUERY_NOT_FOUND` until the client sends hash and query
together once (the hash is checked), then runs it by hash. Registered queries are kept per
process, at most `apq_cache_max` (least recently used dropped; the client simply re-sends).

Trusted documents: a manifest of the documents the front end ships, keyed by SHA-256
(`honorloop operations add FILE.graphql`). With `HONORLOOP_TRUSTED_DOCUMENTS_ONLY=1` only
they run (by hash or by their exact text): each is parsed and validated once at startup,
and requests then skip parsing and validation (`TrustedDocumentsExtension`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.validation import specified_rules
from strawberry.extensions import SchemaExtension

MANIFEST_FORMAT = "honorloop-trusted-documents/1"
APQ_VERSION = 1
apq_cache_max = 1024
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
NOT_TRUSTED = "TRUSTED_DOCUMENT_REQUIRED"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PersistedQueryError(Exception):
    """A request the persisted-operation rules refuse; `code` goes to `extensions.code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_graphql_error(self) -> GraphQLError:
        return GraphQLError(self.message, extensions={"code": self.code})


class ManifestInvalid(ValueError):
    pass


@dataclass(frozen=True)
class TrustedDocuments:
    by_hash: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> TrustedDocuments:
        """The manifest at `path`; none at all when the file does not exist."""
        file = Path(path)
        if not file.is_file():
            return cls()
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ManifestInvalid(f"{file}: not a trusted-documents manifest ({error})") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ManifestInvalid(f"{file}: its format is not {MANIFEST_FORMAT!r}")
        documents = data.get("documents")
        if not isinstance(documents, dict):
            raise ManifestInvalid(f"{file}: 'documents' must be an object of hash: text")
        for digest, text in documents.items():
            if not isinstance(text, str) or sha256_hex(text) != digest:
                raise ManifestInvalid(f"{file}: document {digest} does not match its hash")
        return cls(dict(documents))

    def with_document(self, text: str) -> tuple[TrustedDocuments, str]:
        digest = sha256_hex(text)
        return TrustedDocuments({**self.by_hash, digest: text}), digest

    def save(self, path: str | Path) -> None:
        body = {"format": MANIFEST_FORMAT, "documents": dict(sorted(self.by_hash.items()))}
        Path(path).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")

    def prepared(
        self, schema: GraphQLSchema, rules: Sequence[type[ASTValidationRule]]
    ) -> dict[str, DocumentNode]:
        """Every document parsed and validated once, keyed by its text; raises
        `ManifestInvalid` naming the first that does not validate against `schema`."""
        ready: dict[str, DocumentNode] = {}
        for digest, text in self.by_hash.items():
            try:
                document = parse(text)
            except GraphQLError as error:
                raise ManifestInvalid(f"trusted document {digest}: {error.message}") from None
            errors = validate(schema, document, [*specified_rules, *rules])
            if errors:
                raise ManifestInvalid(f"trusted document {digest}: {errors[0].message}")
            ready[text] = document
        return ready


class _Lru:
    def __init__(self, size_max: int) -> None:
        assert size_max > 0, "a cache holds something"
        self.size_max = size_max
        self.items: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: str, value: str) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size_max:
            self.items.popitem(last=False)


class PersistedQueries:
    """Turns a request's (query, extensions) into the query text to run, or refuses it."""

    def __init__(
        self, trusted: TrustedDocuments, *, trusted_only: bool, cache_max: int = apq_cache_max
    ) -> None:
        self.trusted = trusted
        self.trusted_only = trusted_only
        self.cache = _Lru(cache_max)

    def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.trusted_only and (
                query is None or sha256_hex(query) not in self.trusted.by_hash
            ):
                raise PersistedQueryError(NOT_TRUSTED, "only trusted documents run here")
            return query
        digest = _hash_of(persisted)
        if query is None:
            known = self.trusted.by_hash.get(digest)
            if known is None and not self.trusted_only:
                known = self.cache.get(digest)
            if known is None:
                raise PersistedQueryError(NOT_FOUND, "PersistedQueryNotFound")
            return known
        if sha256_hex(query) != digest:
            raise PersistedQueryError(HASH_MISMATCH, "provided sha does not match query")
        if self.trusted_only and digest not in self.trusted.by_hash:
            raise PersistedQueryError(NOT_TRUSTED, "only trusted documents run here")
        if digest not in self.trusted.by_hash:
            self.cache.put(digest, query)
        return query


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise PersistedQueryError(NOT_SUPPORTED, "persistedQuery version 1 is supported")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH_RE.match(digest):
        raise PersistedQueryError(NOT_SUPPORTED, "sha256Hash must be 64 lowercase hex digits")
    return digest


class TrustedDocumentsExtension(SchemaExtension):
    """In trusted-documents-only mode, instead of the parser and validation caches: a
    trusted text gets its document parsed and validated at startup; anything else (a
    WebSocket subscription, say) is parsed (within the token limit) and refused."""

    def __init__(self, documents: Mapping[str, DocumentNode]) -> None:
        super().__init__()
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        document = self.documents.get(context.query or "")
        if document is not None:
            context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if (context.query or "") in self.documents:
            context.pre_execution_errors = []  # validated at startup
        else:
            error = PersistedQueryError(NOT_TRUSTED, "only trusted documents run here")
            context.pre_execution_errors = [error.as_graphql_error()]
        yield
