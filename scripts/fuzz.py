"""Fuzz the sandbox against its own OpenAPI with schemathesis (not part of the suite).

Every operation of `/v1/openapi.json` gets hypothesis-generated requests, sent in-process (ASGI) to a
demo sandbox with the demo key's headers and a fresh Idempotency-Key per call. Checks: no 5xx, and
responses conform (status code documented, content type, headers, body schema).

    .venv/bin/pip install schemathesis   # not a project dependency
    .venv/bin/python scripts/fuzz.py [--max-examples 30] [--path-prefix /v1/patients]

Exit status 1 when any operation failed a check; the first failures per operation are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository, so `benchmarks` and the package import

try:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )
except ImportError:  # pragma: no cover - a helper script
    sys.exit("schemathesis is not installed: .venv/bin/pip install schemathesis")
from hypothesis import HealthCheck, given, settings

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits

DEMO_HEADERS = {"Authorization": "Bearer tk_test_truebliss", "Talkya-Workspace": "ws_truebliss"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=30)
    parser.add_argument("--path-prefix", default="/v1/")
    parser.add_argument(
        "--skip-status-check",
        action="store_true",
        help="leave out status_code_conformance (the schema documents only 2xx and 422 today)",
    )
    args = parser.parse_args()

    app = create_app(":memory:", seed="demo", patients=50, limits=Limits(rate_limit=None))
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", app)
    failures: dict[str, list[str]] = defaultdict(list)
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        if not operation.path.startswith(args.path_prefix):
            continue
        checks = [c for c in CHECKS if not (args.skip_status_check and c is status_code_conformance)]
        run = make_test(operation, args.max_examples, checks, calls, statuses, failures)
        try:
            run()
        except Exception as exc:  # generation errors (an unsatisfiable schema, ...)
            failures[f"{operation.method.upper()} {operation.path}"].append(f"could not generate: {exc!r}"[:400])

    elapsed = time.monotonic() - started
    print(
        f"{len(calls)} operations, {sum(calls.values())} calls in {elapsed:.0f} s; statuses {dict(sorted(statuses.items()))}"
    )
    for label, items in sorted(failures.items()):
        print(f"\nFAIL {label}")
        for item in items:
            print(f"  - {item}")
    print(f"\n{len(failures)} operations with failures")
    sys.exit(1 if failures else 0)


def make_test(operation, max_examples, checks, calls, statuses, failures):  # type: ignore[no-untyped-def]
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        headers = {**DEMO_HEADERS, "Idempotency-Key": f"fuzz-{uuid.uuid4()}"}
        calls[label] += 1
        try:
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=checks, headers=headers)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # recorded, not raised: no shrinking, the run goes on (FailureGroup too)
            if len(failures[label]) < 3:
                text = [line for line in str(exc).strip().splitlines() if not line.startswith(("curl", "Reproduce"))]
                failures[label].append(" | ".join(line for line in text[:12] if line.strip())[:900])

    return run


if __name__ == "__main__":
    main()
