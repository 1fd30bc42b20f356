"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

- `problem_json_for_errors`: every 4xx/5xx answer must be an RFC 9457 problem, i.e. have the
  Content-Type application/problem+json and a JSON object body whose `status` (when present) is the
  HTTP status. The built-in `content_type_conformance` check only looks at statuses the document
  declares for the operation; this one covers every error status, documented or not.
- A serializer for the NDJSON media types of POST /api/v1/check and POST /api/v1/indicators, whose
  schema describes one line: an array becomes one JSON line per item, anything else one line.
"""
import json

import schemathesis

NDJSON_MEDIA_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


@schemathesis.serializer(*NDJSON_MEDIA_TYPES)
def ndjson_serializer(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode("utf-8")


def _media_type(response):
    values = response.headers.get("content-type") or []
    if isinstance(values, str):
        values = [values]
    return values[0].split(";", 1)[0].strip().lower() if values else ""


@schemathesis.check
def problem_json_for_errors(ctx, response, case):
    """Every 4xx/5xx answer is application/problem+json with a JSON object body."""
    status = response.status_code
    if status < 400:
        return None
    media_type = _media_type(response)
    if media_type != "application/problem+json":
        shown = media_type or "no Content-Type"
        raise AssertionError(f"{status} answered with {shown}, not application/problem+json")
    if case.method.upper() == "HEAD":
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{status} problem body is not JSON") from None
    if not isinstance(body, dict):
        raise AssertionError(f"{status} problem body is not a JSON object")
    if "status" in body and body["status"] != status:
        raise AssertionError(f"{status} problem body says status {body['status']!r}")
    return None
