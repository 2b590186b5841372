"""Schemathesis hooks of scripts/fuzz-api (loaded through SCHEMATHESIS_HOOKS).

The record import takes JSON Lines (`application/x-ndjson`), which schemathesis cannot serialize by
itself: a generated list becomes one JSON value per line, anything else one line."""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def json_lines(context, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, list):
        return "\n".join(json.dumps(item) for item in value).encode()
    return json.dumps(value).encode()
