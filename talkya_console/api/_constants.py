"""The client's knobs, named once: timeouts, retry policy, headers."""

from __future__ import annotations

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(timeout=60.0, connect=5.0)
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

DEFAULT_MAX_RETRIES = 2
# Backoff before retry n (from 0) is uniform in [0, min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2**n)]: full jitter.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server's Retry-After is obeyed up to this many seconds; a longer one falls back to backoff.
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A 409 is retried only when the server says the same request is still running.
RETRY_CONFLICT_CODES = frozenset({"idempotency_key_in_use"})

# An access token is renewed this long before it expires (or at half its life, if sooner).
TOKEN_REFRESH_MARGIN = 60.0

# Walking a list asks for pages this large unless the caller chose a limit.
ITER_PAGE_SIZE = 100
DOWNLOAD_CHUNK_SIZE = 64 * 1024

API_PREFIX = "/v1"
USER_AGENT = "talkya-console-python"
WORKSPACE_HEADER = "Talkya-Workspace"
REQUEST_ID_HEADER = "Talkya-Request-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
