"""The relay: webhook intake, durable event log, WebSocket fan-out, and the console-side subscriber."""
