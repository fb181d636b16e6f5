"""The relay: webhook intake, durable event log, WebSocket fan-out, and the console-side subscriber.

`app.create_relay_app` is the server (`webhooks` intake, `stream` fan-out through `hub`, `log` in
SQLite, `catchup` from `GET /v1/events`); `subscriber.RelaySubscriber` is what a console iterates;
`cli.add_relay_parser` / `cli.run_relay` are the `talkya-console relay` command.
"""
