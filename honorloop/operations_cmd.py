"""`honorloop operations add FILE.graphql ...` and `honorloop operations list`: the
trusted-documents manifest (HONORLOOP_TRUSTED_DOCUMENTS) that a front end's operations go
into, each checked against the schema before it is added."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from api.settings import Settings, SettingsError


def register(subparsers: Any) -> None:
    operations = subparsers.add_parser(
        "operations",
        help="manage the trusted documents (persisted operations) the API accepts",
        description="Trusted documents: the operations a front end ships, by SHA-256. With "
        "HONORLOOP_TRUSTED_DOCUMENTS_ONLY=1 the API runs only these.",
    )
    verbs = operations.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="add .graphql files (each one document) to the manifest")
    add.add_argument("files", nargs="+", metavar="FILE.graphql")
    add.add_argument("--manifest", help="manifest path (HONORLOOP_TRUSTED_DOCUMENTS)")
    add.set_defaults(handler=add_command)
    listing = verbs.add_parser("list", help="print the hash and operations of each document")
    listing.add_argument("--manifest", help="manifest path (HONORLOOP_TRUSTED_DOCUMENTS)")
    listing.set_defaults(handler=list_command)


def _manifest(args: argparse.Namespace) -> str:
    return str(args.manifest or Settings.from_env().trusted_documents_path)


def _operation_names(text: str) -> list[str]:
    from graphql import OperationDefinitionNode, parse

    return [
        definition.name.value if definition.name else "(anonymous)"
        for definition in parse(text).definitions
        if isinstance(definition, OperationDefinitionNode)
    ]


def add_command(args: argparse.Namespace) -> int:
    from api.persisted import ManifestInvalid, TrustedDocuments
    from api.schema import build_schema

    try:
        path = _manifest(args)
        trusted = TrustedDocuments.load(path)
    except (SettingsError, ManifestInvalid) as error:
        print(f"honorloop operations: {error}", file=sys.stderr)
        return 2
    schema = build_schema(Settings())._schema
    for name in args.files:
        try:
            text = Path(name).read_text(encoding="utf-8")
            trusted, digest = trusted.with_document(text)
            TrustedDocuments({digest: text}).prepared(schema, [])
        except (OSError, ManifestInvalid) as error:
            print(f"honorloop operations: {name}: {error}", file=sys.stderr)
            return 1
        print(f"sha256:{digest}  {name}  ({', '.join(_operation_names(text))})")
    trusted.save(path)
    print(f"{len(trusted.by_hash)} trusted documents in {path}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from api.persisted import ManifestInvalid, TrustedDocuments

    try:
        trusted = TrustedDocuments.load(_manifest(args))
    except (SettingsError, ManifestInvalid) as error:
        print(f"honorloop operations: {error}", file=sys.stderr)
        return 2
    for digest, text in sorted(trusted.by_hash.items()):
        print(f"sha256:{digest}  ({', '.join(_operation_names(text))})")
    return 0
