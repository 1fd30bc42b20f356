"""STIX 2.1 against the OASIS tools: a node's export passes stix2-validator in strict mode, its patterns pass
stix2-patterns, stix2 parses it, and bundles made by stix2-generator import without a crash, every object
getting a result.

Usage: python3 scripts/stix_check.py path/to/concord
"""
import json
import os
import random
import subprocess
import sys
import tempfile

from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance
import stix2
import stix2generator

sys.path.insert(0, os.path.dirname(__file__))
from concord_node import Node  # noqa: E402

INDICATORS = """\
{"kind": "phone", "value": "+66 81 234 5678", "typology": "investment", "confidence": 90, "tlp": "green"}
{"kind": "url", "value": "https://scam-shop.example/pay?x=1", "typology": "purchase", "tlp": "amber"}
{"kind": "domain", "value": "scam-shop.example", "typology": "purchase", "tlp": "clear"}
{"kind": "wallet", "value": "0x52908400098527886E0F7030069857D2E4169EE7", "typology": "investment"}
{"kind": "handle", "value": "telegram:@fastmoney_th", "typology": "job", "tlp": "green"}
{"kind": "bank_account", "value": "GB82WEST12345698765432", "typology": "romance", "tlp": "amber+strict"}
{"kind": "bank_account", "value": "123-4-56789-0", "bank": "004", "typology": "romance"}
{"kind": "email", "value": "Boss@Scam-Mail.example", "typology": "bec", "tlp": "red"}
{"kind": "ip", "value": "2001:db8::1", "typology": "phishing"}
{"kind": "ip", "value": "203.0.113.7", "typology": "phishing"}
"""

GENERATED_TYPES = [
    "indicator", "report", "sighting", "identity", "campaign", "malware", "relationship", "url", "domain-name",
    "ipv4-addr", "ipv6-addr", "email-addr", "user-account", "marking-definition", "observed-data", "attack-pattern",
    "note", "threat-actor", "infrastructure", "location", "file", "network-traffic",
]


def main():
    binary = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        with Node(binary, os.path.join(work, "a")) as node:
            subprocess.run(
                [binary, "simulate", "--target", node.url, "--token", node.token, "--count", "300", "--rate", "1000"],
                check=True,
                capture_output=True,
            )
            status, _, body = node.request("POST", "/api/v1/indicators", INDICATORS.encode(), "application/x-ndjson")
            lines = [json.loads(line) for line in body.decode().splitlines()]
            if status != 200 or lines[-1]["summary"]["created"] != 10:
                failures.append(f"indicator import: {status} {lines[-1]}")
            withdrawn = lines[0]["id"]
            status, _, body = node.request("POST", f"/api/v1/records/{withdrawn}/retract", b'{"reason": "wrong number"}')
            if status not in (200, 201):
                failures.append(f"retract: {status} {body[:200]}")
            # A report naming a flagged number, so that the export holds a sighting.
            report = {
                "typology": "investment",
                "narrative": "Paid a deposit to a fake broker.",
                "identifiers": [{"kind": "url", "value": "https://scam-shop.example/pay?x=1"}],
            }
            node.request("POST", "/api/v1/reports", json.dumps(report).encode())

            status, headers, body = node.request("GET", "/api/v1/stix/bundle")
            if status != 200:
                failures.append(f"GET /api/v1/stix/bundle: {status}")
            bundle = json.loads(body)
            files = {"API": bundle}
            exported = os.path.join(work, "export.json")
            node.__exit__()
            subprocess.run(
                [binary, "export", "--data-dir", node.directory, "--format", "stix", "--output", exported],
                check=True,
                capture_output=True,
            )
            with open(exported) as f:
                files["concord export"] = json.load(f)
            node.__enter__()

            for name, document in files.items():
                counts = {}
                for o in document["objects"]:
                    counts[o["type"]] = counts.get(o["type"], 0) + 1
                print(f"{name}: {len(document['objects'])} objects {dict(sorted(counts.items()))}")
                for needed in ("indicator", "report", "sighting", "campaign", "identity", "marking-definition"):
                    if needed not in counts:
                        failures.append(f"{name}: no {needed} object")
                if not any(o.get("revoked") for o in document["objects"]):
                    failures.append(f"{name}: the withdrawn indicator is not revoked")
                results = validate_instance(document, ValidationOptions(version="2.1", strict=True, enforce_refs=True))
                if not results.is_valid or results.warnings or results.errors:
                    failures.append(f"{name}: stix2-validator strict: {[str(e) for e in results.errors][:5]}")
                else:
                    print(f"{name}: stix2-validator --strict --enforce-refs: valid, no warnings")
                for o in document["objects"]:
                    if o["type"] == "indicator":
                        errors = run_validator(o["pattern"])
                        if errors:
                            failures.append(f"{name}: pattern {o['pattern']}: {errors}")
                parsed = stix2.parse(document, allow_custom=True)
                if len(parsed.objects) != len(document["objects"]):
                    failures.append(f"{name}: stix2.parse read {len(parsed.objects)} objects")

            # Bundles from stix2-generator: any object STIX defines, with odd but valid values.
            generator = stix2generator.create_object_generator()
            random.seed(2026)
            for round_number in range(3):
                objects = []
                for n in range(600):
                    try:
                        objects.append(generator.generate(GENERATED_TYPES[(n + round_number) % len(GENERATED_TYPES)]))
                    except Exception as error:  # the generator's own limits, not ours
                        print(f"generator could not make an object: {error}")
                generated = {"type": "bundle", "id": "bundle--0b2c5c3e-3c6a-4a1e-9d3e-5e9f7a6b1c2d", "objects": objects}
                status, _, body = node.request(
                    "POST", "/api/v1/stix/bundle", json.dumps(generated, default=str).encode(), "application/stix+json"
                )
                if status != 200:
                    failures.append(f"generated bundle {round_number}: {status} {body[:300]}")
                    continue
                lines = [json.loads(line) for line in body.decode().splitlines()]
                summary = lines[-1]["summary"]
                indexes = [line["index"] for line in lines[:-1]]
                if indexes != list(range(len(objects))) or summary["objects"] != len(objects):
                    failures.append(f"generated bundle {round_number}: results do not cover every object once")
                print(f"generated bundle {round_number}: {summary}")
            status, _, _ = node.request("GET", "/readyz")
            if status != 200:
                failures.append("the node is not ready after the generated bundles")

    for failure in failures:
        print("FAIL", failure)
    print("STIX check:", "failed" if failures else "passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
