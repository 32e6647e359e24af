"""No caller string with a control character reaches a store: PostgreSQL cannot keep a
NUL and SQLite can, so both refuse it alike, before anything is written, with a typed error
naming the field (`InvalidInput { field }` for mutations, BAD_USER_INPUT for queries)."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import pytest
from strawberry.types.base import StrawberryObjectDefinition

from api.auth import utc_now
from api.schema import build_schema
from api.settings import Settings
from api.text_checks import RefuseControlCharacters
from tests.e2e.conftest import ADJUST, RECORD, REGISTER, Api, global_id

CONTROLS = ["\x00", "\x1b", "\x7f", "\x85"]
CONTROL_IDS = ["nul", "esc", "del", "c1"]


def _refused(payload: dict[str, Any], field: str) -> None:
    assert payload["__typename"] == "InvalidInput", payload
    assert payload["field"] == field, payload


def _with_field(query: str) -> str:
    return query.replace(
        "... on UserError { message }", "... on UserError { message } ... on InvalidInput { field }"
    )


@pytest.mark.parametrize("control", CONTROLS, ids=CONTROL_IDS)
def test_a_control_character_in_display_name_is_invalid_input_and_registers_nobody(
    api: Api, control: str
) -> None:
    handle = f"ctl_{secrets.token_hex(3)}"

    refused = api.data(
        _with_field(REGISTER),
        {"input": {"handle": handle, "displayName": f"Al{control}ice"}},
        api.service,
    )["registerMember"]
    again = api.data(REGISTER, {"input": {"handle": handle, "displayName": "Alice"}}, api.service)

    _refused(refused, "input.displayName")
    assert again["registerMember"]["__typename"] == "RegisterMemberPayload"


def test_a_nul_in_external_id_or_handle_is_invalid_input(api: Api) -> None:
    for changes, field in (
        ({"externalId": "ext\x00-1"}, "input.externalId"),
        ({"handle": "nul\x00handle"}, "input.handle"),
    ):
        item = {"handle": f"ext_{secrets.token_hex(3)}", "displayName": "Ext", **changes}

        payload = api.data(_with_field(REGISTER), {"input": item}, api.service)["registerMember"]

        _refused(payload, field)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subjectId": "note\x00-1"}, "input.subjectId"),
        ({"idempotencyKey": "key\x00"}, "input.idempotencyKey"),
        ({"kind": "post\x00"}, "input.kind"),
        ({"attributes": {"photos\x00": 1}}, "input.attributes"),
    ],
)
def test_a_nul_in_an_activity_is_invalid_input_and_earns_nothing(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    member = api.register("act")
    item = {
        "memberId": member.id,
        "kind": "post",
        "idempotencyKey": secrets.token_hex(8),
        "occurredAt": utc_now().isoformat(),
        **changes,
    }

    payload = api.data(RECORD, {"input": item}, api.service)["recordActivity"]
    points = api.data("{ viewer { points { available } } }", token=api.member_token(member))[
        "viewer"
    ]["points"]

    _refused(payload, field)
    assert points == {"available": 0}


def test_a_nul_in_one_item_of_a_batch_refuses_only_that_item(api: Api) -> None:
    member = api.register("batch")
    good = {
        "memberId": member.id,
        "kind": "interaction",
        "subjectId": "s-1",
        "idempotencyKey": secrets.token_hex(8),
        "occurredAt": utc_now().isoformat(),
    }
    bad = {**good, "idempotencyKey": "k\x00"}

    body = api.post(
        "mutation($in: [RecordActivityInput!]!) { recordActivities(input: $in) { __typename "
        "... on InvalidInput { field } } }",
        {"in": [good, bad]},
        api.service,
    )

    payload = body["data"]["recordActivities"]
    _refused(payload, "input[1].idempotencyKey")


def test_a_nul_in_an_adjustment_reason_is_invalid_input_but_line_breaks_are_free_text(
    api: Api,
) -> None:
    member = api.register("adj")

    def adjust(reason: str) -> dict[str, Any]:
        item = {
            "memberId": member.id,
            "amount": 5,
            "reason": reason,
            "idempotencyKey": secrets.token_hex(8),
        }
        payload: dict[str, Any] = api.data(_with_field(ADJUST), {"input": item}, api.operator)[
            "adjustPoints"
        ]
        return payload

    refused = adjust("goodwill\x00")
    kept = adjust("goodwill\nline two\ttabbed")

    _refused(refused, "input.reason")
    assert kept["__typename"] == "AdjustPointsPayload"
    assert kept["balance"] == 5


def test_a_nul_in_a_redemption_key_is_invalid_input(api: Api) -> None:
    member = api.register("red")

    payload = api.redeem(member, "e2e_scarce", "key\x00")

    _refused(payload, "input.idempotencyKey")


def test_a_nul_inside_a_member_global_id_is_invalid_input_in_a_mutation(api: Api) -> None:
    item = {
        "memberId": global_id("Member", "mem\x00x"),
        "amount": 5,
        "reason": "r",
        "idempotencyKey": secrets.token_hex(8),
    }

    payload = api.data(_with_field(ADJUST), {"input": item}, api.operator)["adjustPoints"]

    _refused(payload, "input.memberId")


@pytest.mark.parametrize(("root", "token_role"), [("node", "member"), ("member", "operator")])
def test_a_nul_inside_an_id_argument_is_bad_user_input(
    api: Api, root: str, token_role: str
) -> None:
    query = f"query($id: ID!) {{ {root}(id: $id) {{ id }} }}"
    member = api.register("ids")
    token = api.member_token(member) if token_role == "member" else api.operator

    body = api.post(query, {"id": global_id("Member", "mem\x00x")}, token)

    assert body["data"] == {root: None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "id"


def test_a_nul_in_an_explained_subject_is_bad_user_input(api: Api) -> None:
    member = api.register("explain")

    body = api.post(
        "query($in: ExplainActivityInput!) { explainActivity(input: $in) { __typename } }",
        {"in": {"kind": "post", "subjectId": "n\x00"}},
        api.member_token(member),
    )

    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "input.subjectId"


def test_a_nul_in_a_reward_tier_filter_is_bad_user_input(api: Api) -> None:
    body = api.post("query($t: ID) { rewards(tier: $t) { edges { cursor } } }", {"t": "m\x00"})

    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_a_global_id_that_is_not_utf8_is_bad_user_input(api: Api) -> None:
    raw = base64.b64encode(b"Member:\xff\xfe").decode()

    body = api.post("query($id: ID!) { member(id: $id) { id } }", {"id": raw}, api.operator)

    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_a_lone_surrogate_in_the_body_is_a_400_and_registers_nobody(api: Api) -> None:
    handle = f"sur_{secrets.token_hex(3)}"
    variables = {"input": {"handle": handle, "displayName": "Al\ud800ice"}}

    response = api.client.post(
        api.url,
        content=json.dumps({"query": REGISTER, "variables": variables}).encode(),  # as \\ud800
        headers={"Authorization": f"Bearer {api.service}", "Content-Type": "application/json"},
    )
    again = api.data(REGISTER, {"input": {"handle": handle, "displayName": "Al"}}, api.service)

    assert response.status_code == 400
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["BAD_REQUEST"]
    assert again["registerMember"]["__typename"] == "RegisterMemberPayload"


def test_every_field_with_arguments_checks_them_and_only_those() -> None:
    """Fields made with `api.fields.field` carry the check exactly when they take
    arguments (on one without, it would only be another layer to run); the lean mutations
    (`api.lean`) check their arguments themselves, as `test_lean_mutations` shows."""
    schema = build_schema(Settings())
    unchecked, needless = [], []
    for named in schema.schema_converter.type_map.values():
        definition = named.definition
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for f in definition.fields:
            checked = any(isinstance(e, RefuseControlCharacters) for e in f.extensions)
            if f.base_resolver is not None and f.arguments and not checked:
                unchecked.append(f"{definition.name}.{f.python_name}")
            if checked and not f.arguments:
                needless.append(f"{definition.name}.{f.python_name}")

    assert unchecked == []
    assert needless == []
