"""Messenger: channels named once per workspace, messages from the right author, newest first
with cursors that never skip or repeat, and a `message.created` event without the text."""

from __future__ import annotations

import pytest

from talkya_console.sandbox.db import Where
from talkya_console.wire import ALL_SCOPES, Event, File, Message
from talkya_console.wire.common import now
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk

WS = "ws_truebliss"


@pytest.fixture
async def channel(api):
    body = {"name": "front-desk", "purpose": "front_desk", "member_ids": ["usr_102", "usr_103"]}
    response = await api.post("/v1/channels", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _send(api, channel_id: str, **body) -> dict:
    response = await api.post("/v1/messages", json={"channel_id": channel_id, "text": "Hello", **body})
    assert response.status_code == 201, response.text
    return response.json()


def _created_events(sandbox) -> list[Event]:
    return list(reversed(sandbox.db.all("event", WS, Event, Where().eq("type", "message.created"))))


# -- channels -----------------------------------------------------------------------------------


async def test_a_channel_is_created_with_its_members(channel):
    assert channel["id"].startswith("ch_") and channel["object"] == "channel"
    assert channel["member_ids"] == ["usr_102", "usr_103"] and channel["last_message_at"] is None


async def test_a_duplicate_channel_name_is_409(api, channel):
    assert_error(await api.post("/v1/channels", json={"name": "front-desk"}), 409, "channel_exists", param="name")


async def test_the_same_name_is_free_in_another_workspace(api, channel):
    response = await api.post("/v1/channels", json={"name": "front-desk"}, headers=NORTHSIDE_HEADERS)
    assert response.status_code == 201


async def test_channel_names_are_slugs(api):
    assert_error(await api.post("/v1/channels", json={"name": "Front Desk!"}), 422, "parameter_invalid", "name")


async def test_unknown_members_are_refused(api):
    body = {"name": "billing", "member_ids": ["usr_107", "usr_999"]}
    assert_error(await api.post("/v1/channels", json=body), 422, "unknown_user", param="member_ids[1]")


async def test_channels_filter_by_purpose(api, channel):
    await api.post("/v1/channels", json={"name": "billing", "purpose": "billing"})
    found = await walk(api, "/v1/channels", purpose="front_desk")
    assert [c["id"] for c in found] == [channel["id"]]


async def test_update_changes_description_and_members(api, channel):
    path = f"/v1/channels/{channel['id']}"
    response = await api.patch(path, json={"description": "Both locations", "member_ids": ["usr_104"]})
    assert response.status_code == 200, response.text
    stored = (await api.get(path)).json()
    assert (stored["description"], stored["member_ids"]) == ("Both locations", ["usr_104"])
    assert_error(await api.patch(path, json={"member_ids": ["usr_nope"]}), 422, "unknown_user", "member_ids[0]")
    assert_error(await api.patch(path, json={"member_ids": None}), 422, "parameter_invalid", "member_ids")
    assert_error(await api.patch(path, json={"name": "renamed"}), 422, "parameter_unknown", "name")


# -- messages -----------------------------------------------------------------------------------


async def test_an_api_key_posts_as_a_system_author_and_the_channel_moves(api, channel):
    message = await _send(api, channel["id"], text="Running 10 minutes behind")
    assert message["id"].startswith("msg_") and message["kind"] == "text"
    assert message["author"] == {"type": "system", "id": None, "name": "demo (all scopes)"}
    stored = (await api.get(f"/v1/channels/{channel['id']}")).json()
    assert stored["last_message_at"] == message["created_at"]
    assert (await api.get(f"/v1/messages/{message['id']}")).json() == message


async def test_a_bot_reply_is_from_the_bot(api, channel):
    message = await _send(api, channel["id"], kind="bot_reply", text="Booked for Thursday.")
    assert message["author"]["type"] == "bot"


async def test_a_staff_members_key_posts_as_them(api, sandbox, channel):
    sandbox.auth.add_key("tk_test_jordan", WS, "jordan's key", ALL_SCOPES, user_id="usr_102")
    headers = {"Authorization": "Bearer tk_test_jordan"}
    response = await api.post("/v1/messages", json={"channel_id": channel["id"], "text": "On it"}, headers=headers)
    assert response.json()["author"] == {"type": "user", "id": "usr_102", "name": "Jordan Reyes"}


async def test_message_created_carries_ids_not_text(api, sandbox, channel):
    patient = (await api.post("/v1/patients", json=patient_body())).json()
    message = await _send(
        api,
        channel["id"],
        kind="staff_alert",
        text="Rosa called about a rash",
        patient_id=patient["id"],
        mentions=["usr_110", "usr_110"],
    )
    assert message["mentions"] == ["usr_110"]
    events = _created_events(sandbox)
    assert [e.data for e in events] == [
        {
            "message_id": message["id"],
            "channel_id": channel["id"],
            "kind": "staff_alert",
            "patient_id": patient["id"],
            "mentions": ["usr_110"],
        }
    ]
    assert "rash" not in events[0].model_dump_json()


async def test_mentions_of_unknown_users_are_422(api, sandbox, channel):
    body = {"channel_id": channel["id"], "text": "@someone", "mentions": ["usr_102", "usr_nope"]}
    assert_error(await api.post("/v1/messages", json=body), 422, "unknown_user", param="mentions[1]")
    northside_user = {"channel_id": channel["id"], "text": "@Ben", "mentions": ["usr_202"]}
    assert_error(await api.post("/v1/messages", json=northside_user), 422, "unknown_user", param="mentions[0]")
    assert _created_events(sandbox) == []


async def test_references_must_exist(api, channel):
    missing_channel = await api.post("/v1/messages", json={"channel_id": "ch_nope", "text": "Hi"})
    assert_error(missing_channel, 404, "resource_missing", param="channel_id")
    body = {"channel_id": channel["id"], "text": "Hi", "patient_id": "pat_nope"}
    assert_error(await api.post("/v1/messages", json=body), 404, "resource_missing", param="patient_id")
    body = {"channel_id": channel["id"], "text": "See file", "file_ids": ["file_nope"]}
    assert_error(await api.post("/v1/messages", json=body), 404, "resource_missing", param="file_ids[0]")
    empty = await api.post("/v1/messages", json={"channel_id": channel["id"], "text": "   "})
    assert_error(empty, 422, "message_empty", param="text")


async def test_files_become_attachments(api, sandbox, channel):
    file = File(
        id="file_consentform01",
        filename="consent.pdf",
        content_type="application/pdf",
        size=2048,
        sha256="0" * 64,
        created_at=now(),
    )
    sandbox.db.insert("file", WS, file)
    message = await _send(api, channel["id"], text="", file_ids=[file.id])
    assert message["attachments"] == [
        {"file_id": file.id, "filename": "consent.pdf", "content_type": "application/pdf", "size": 2048}
    ]


async def test_250_messages_page_newest_first_without_skips_or_repeats(api, channel):
    other = (await api.post("/v1/channels", json={"name": "providers"})).json()
    sent = [(await _send(api, channel["id"], text=f"message {i}"))["id"] for i in range(250)]
    await _send(api, other["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"channel_id": channel["id"], "limit": 40, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/messages", params=params)).json()
        seen.extend(m["id"] for m in page["data"])
        if len(seen) == 40:  # a message arriving mid-walk lands before the cursor, not in the walk
            await _send(api, channel["id"], text="late")
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == list(reversed(sent))


async def test_messages_filter_by_patient(api, channel):
    patient = (await api.post("/v1/patients", json=patient_body())).json()
    linked = await _send(api, channel["id"], patient_id=patient["id"])
    await _send(api, channel["id"])
    assert [m["id"] for m in await walk(api, "/v1/messages", patient_id=patient["id"])] == [linked["id"]]


def test_a_busy_channel_pages_through_its_index(sandbox):
    """10,000 messages in one channel: every page is an index seek from the cursor, not a scan."""
    stamp = now()
    author = {"type": "bot", "name": "Talkya AI"}
    rows = []
    for i in range(10_000):
        message = Message(id=f"msg_busy{i:08d}", channel_id="ch_busy", author=author, text="x", created_at=stamp)
        rows.append((message.id, "message", WS, 1_700_000_000_000_000 + i, message.model_dump_json()))
    sandbox.db.executemany("INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)", rows)
    where = Where().eq("channel_id", "ch_busy")
    seen, cursor = 0, None
    while True:
        page = sandbox.db.page("message", WS, limit=100, cursor=cursor, where=where)
        if seen == 6100:
            assert Message.model_validate_json(page.rows[0]).id == "msg_busy00003899"
        seen += len(page.rows)
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == 10_000
    plan = sandbox.db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT ts, id, data FROM records WHERE workspace_id = ? AND kind = ? "
        "AND json_extract(data, '$.channel_id') = ? AND (ts, id) < (?, ?) ORDER BY ts DESC, id DESC LIMIT ?",
        (WS, "message", "ch_busy", 1_700_000_000_005_000, "msg_busy00005000", 26),
    ).fetchall()
    detail = " ".join(row[-1] for row in plan)
    assert "records_by_channel" in detail and "TEMP B-TREE" not in detail


async def test_read_only_key_cannot_post_and_other_workspace_cannot_read(api, channel):
    response = await api.post(
        "/v1/messages", json={"channel_id": channel["id"], "text": "Hi"}, headers=READONLY_HEADERS
    )
    assert "messages:write" in assert_error(response, 403, "insufficient_scope")["message"]
    response = await api.post("/v1/channels", json={"name": "x"}, headers=READONLY_HEADERS)
    assert "channels:write" in assert_error(response, 403, "insufficient_scope")["message"]
    message = await _send(api, channel["id"])
    assert (await api.get(f"/v1/messages/{message['id']}", headers=READONLY_HEADERS)).status_code == 200
    assert_error(await api.get(f"/v1/messages/{message['id']}", headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    assert_error(await api.get(f"/v1/channels/{channel['id']}", headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    theirs = await api.post("/v1/messages", json={"channel_id": channel["id"], "text": "Hi"}, headers=NORTHSIDE_HEADERS)
    assert_error(theirs, 404, "resource_missing", param="channel_id")
    assert (await api.get("/v1/messages", params={"channel_id": channel["id"]}, headers=NORTHSIDE_HEADERS)).json()[
        "data"
    ] == []
