#!/usr/bin/env python3
"""Validates the node's OpenAPI document against the OpenAPI 3.1 specification.

Usage: python3 scripts/check_openapi.py [path/to/openapi.json]

The path defaults to Sources/ConcordWeb/Resources/openapi.json next to this script's repository.
Prints `openapi: 1 passed, 0 failed` when the document is valid; otherwise prints what is wrong,
then `openapi: 0 passed, 1 failed`, and exits 1. Needs `pip install openapi-spec-validator`.
"""
import json
import pathlib
import sys


def main() -> int:
    if len(sys.argv) > 1:
        path = pathlib.Path(sys.argv[1])
    else:
        path = pathlib.Path(__file__).resolve().parent.parent / "Sources/ConcordWeb/Resources/openapi.json"

    try:
        from openapi_spec_validator import validate
    except ImportError:
        print("openapi-spec-validator is not installed: pip install openapi-spec-validator", file=sys.stderr)
        return 2

    problem = None
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        if document.get("openapi") != "3.1.0":
            problem = f"expected an OpenAPI 3.1.0 document, got openapi={document.get('openapi')!r}"
        else:
            validate(document)
    except OSError as error:
        problem = f"cannot read {path}: {error}"
    except json.JSONDecodeError as error:
        problem = f"{path} is not valid JSON: {error}"
    except Exception as error:  # the validator's own error types vary between versions
        problem = f"{path} is not a valid OpenAPI document: {error}"

    if problem is None:
        print("openapi: 1 passed, 0 failed")
        return 0
    print(problem, file=sys.stderr)
    print("openapi: 0 passed, 1 failed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
