"""Webhook signatures: `Talkya-Signature: t=<unix>,v1=<hex>` over `"{t}.{raw body}"` (Stripe's scheme)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "Talkya-Signature"
WEBHOOK_ID_HEADER = "Talkya-Webhook-Id"
DEFAULT_TOLERANCE = 300


class SignatureError(ValueError):
    """Why a signature was refused; `reason` is a short code fit for a metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 hex, keyed by the secret's UTF-8 bytes with its `whsec_` prefix."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secrets: Iterable[str], body: bytes, timestamp: int | None = None) -> str:
    """The header value; one `v1=` entry per secret (two during a rotation)."""
    t = int(time.time()) if timestamp is None else timestamp
    parts = [f"t={t}"] + [f"v1={compute_signature(s, t, body)}" for s in secrets]
    return ",".join(parts)


def parse_header(header: str) -> tuple[int, list[str]]:
    """The timestamp and the `v1` signatures; other schemes are ignored."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise SignatureError("malformed_header", "The timestamp is not a number.") from exc
        elif key == "v1":
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("malformed_header", "The signature header has no timestamp.")
    if not signatures:
        raise SignatureError("no_v1_signature", "The signature header has no v1 signature.")
    return timestamp, signatures


def verify(
    header: str | None,
    body: bytes,
    secrets: Iterable[str],
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a delivery before its body is parsed; returns the signed timestamp or raises."""
    if not header:
        raise SignatureError("missing_header", "The request has no Talkya-Signature header.")
    timestamp, signatures = parse_header(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("timestamp_out_of_tolerance", "The signature timestamp is too old or ahead.")
    for secret in secrets:
        expected = compute_signature(secret, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return timestamp
    raise SignatureError("bad_signature", "No signature matches a secret of this endpoint.")
