"""Counters and gauges, rendered as Prometheus text at `GET /metrics`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable


def _labels(**labels: str | int) -> str:
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
    return "{" + inner + "}" if inner else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Plain counters on the event loop; gauges are read from the hub when scraped."""

    def __init__(self) -> None:
        self.events_in: Counter[str] = Counter()
        self.duplicates: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.stream_refused: Counter[str] = Counter()
        self.slow_disconnects: Counter[str] = Counter()
        self.catch_up_events: Counter[str] = Counter()
        self.resets: Counter[str] = Counter()

    def render(
        self,
        subscribers: Callable[[], Iterable[tuple[str, int]]],
        lags: Callable[[], Iterable[tuple[str, int, int]]],
    ) -> str:
        """The exposition text; `subscribers` yields (workspace, count), `lags` (workspace, id, lag)."""
        lines: list[str] = []

        def family(name: str, kind: str, help_: str, rows: Iterable[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(f"{name}{labels} {value:g}" for labels, value in rows)

        def by(counter: Counter[str], key: str) -> list[tuple[str, float]]:
            return [(_labels(**{key: k}), v) for k, v in sorted(counter.items())]

        family("talkya_relay_events_in_total", "counter", "Webhook events stored.", by(self.events_in, "workspace"))
        family(
            "talkya_relay_duplicates_total", "counter", "Deliveries already stored.", by(self.duplicates, "workspace")
        )
        family("talkya_relay_refused_total", "counter", "Webhook deliveries refused.", by(self.refused, "reason"))
        family(
            "talkya_relay_stream_refused_total",
            "counter",
            "Stream connections refused, or closed for a revoked token.",
            by(self.stream_refused, "reason"),
        )
        family(
            "talkya_relay_slow_consumer_disconnects_total",
            "counter",
            "Subscribers disconnected for a full buffer.",
            by(self.slow_disconnects, "workspace"),
        )
        family("talkya_relay_resets_total", "counter", "Reset frames sent.", by(self.resets, "workspace"))
        family(
            "talkya_relay_catch_up_events_total",
            "counter",
            "Events filled in from GET /v1/events.",
            by(self.catch_up_events, "workspace"),
        )
        family(
            "talkya_relay_subscribers",
            "gauge",
            "Connected subscribers.",
            [(_labels(workspace=ws), n) for ws, n in subscribers()],
        )
        family(
            "talkya_relay_subscriber_lag",
            "gauge",
            "Events stored but not yet sent, per subscriber.",
            [(_labels(workspace=ws, subscriber=sid), lag) for ws, sid, lag in lags()],
        )
        return "\n".join(lines) + "\n"
