"""Webhook endpoints and the delivery log against the sandbox."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import WebhookEndpointCreate


async def test_endpoint_lifecycle(client: TalkyaClient) -> None:
    endpoint = await client.webhook_endpoints.create(
        WebhookEndpointCreate(url="https://example.com/hooks", events=["patient.created", "lead.*"])
    )
    assert endpoint.secret and endpoint.secret.startswith("whsec_")
    read = await client.webhook_endpoints.get(endpoint.id)
    assert read.secret is None  # shown once
    assert [e.id async for e in client.webhook_endpoints.list()] == [endpoint.id]
    disabled = await client.webhook_endpoints.update(endpoint.id, {"status": "disabled"})
    assert disabled.status == "disabled"
    rotated = await client.webhook_endpoints.rotate_secret(endpoint.id, expires_in=3600)
    assert rotated.secret and rotated.secret != endpoint.secret and rotated.previous_secret_expires_at
    assert (await client.webhook_endpoints.delete(endpoint.id)).deleted


async def test_a_patient_created_is_delivered_to_an_endpoint_for_every_event(client: TalkyaClient, new_patient) -> None:
    endpoint = await client.webhook_endpoints.create({"url": "https://example.com/hooks", "events": ["*"]})
    await client.patients.create(new_patient())
    events = [e async for e in client.events.list(type="patient.created")]
    deliveries = [d async for d in client.webhook_deliveries.list(endpoint_id=endpoint.id, event_id=events[0].id)]
    assert [d.event_type for d in deliveries] == ["patient.created"]
    assert await client.webhook_deliveries.get(deliveries[0].id) == deliveries[0]
