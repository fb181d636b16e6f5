"""Hermes against the sandbox: routes (create, list, read, update, test, delete) and events."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import HermesEventCreate, HermesRouteCreate


async def test_route_lifecycle_and_test(client: TalkyaClient) -> None:
    route = await client.hermes_routes.create(
        HermesRouteCreate(
            name="Missed calls to front desk",
            match={"kinds": ["call"], "types": ["call.missed"]},
            destination={"kind": "role", "target": "front_desk"},
        )
    )
    assert [r.id async for r in client.hermes_routes.list()] == [route.id]
    renamed = await client.hermes_routes.update(route.id, {"name": "Missed calls"})
    assert renamed.name == "Missed calls" and await client.hermes_routes.get(route.id) == renamed
    result = await client.hermes_routes.test(HermesEventCreate(kind="call", type="call.missed"))
    assert [d.route_id for d in result.deliveries] == [route.id]
    deleted = await client.hermes_routes.delete(route.id)
    assert deleted.deleted and deleted.id == route.id
    assert (await client.hermes_routes.test({"kind": "call", "type": "call.missed"})).deliveries == []


async def test_publish_list_get_events(client: TalkyaClient) -> None:
    await client.hermes_routes.create(
        {"name": "Forms", "match": {"kinds": ["form"]}, "destination": {"kind": "staff_alert", "target": "intake"}}
    )
    event = await client.hermes_events.create(HermesEventCreate(kind="form", type="form.submitted"))
    assert [d.destination.target for d in event.deliveries] == ["intake"]
    assert [e.id async for e in client.hermes_events.list(kind="form", type="form.submitted")] == [event.id]
    assert await client.hermes_events.get(event.id) == event
