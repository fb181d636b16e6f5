"""Routing rules against the sandbox: read, and merge an update."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import RoutingRulesUpdate


async def test_get_and_update_greeting(client: TalkyaClient) -> None:
    rules = await client.routing_rules.get()
    update = RoutingRulesUpdate.model_validate({"greeting": {"text": "Hello from TrueBliss."}})
    updated = await client.routing_rules.update(update)
    assert updated.greeting.text == "Hello from TrueBliss."
    assert updated.greeting.voice == rules.greeting.voice  # a section merges field by field
    assert updated.booking == rules.booking
    assert (await client.routing_rules.get()).greeting.text == "Hello from TrueBliss."
