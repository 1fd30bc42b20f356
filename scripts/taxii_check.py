"""TAXII 2.1 against the OASIS client: taxii2-client drives a node's TAXII server through discovery, the API
root, collections, paging (as_pages, limit and next), filters (added_after, match[type], match[id],
match[version], match[spec_version]), the manifest, an object by id, its versions, posting an envelope and
reading its status; a checker token sees only the collections its scope allows, and a wrong Accept or no
token is refused.

Usage: python3 scripts/taxii_check.py path/to/concord
"""
import json
import os
import subprocess
import sys
import tempfile

import requests
from taxii2client.v21 import Server, as_pages

sys.path.insert(0, os.path.dirname(__file__))
from concord_node import Node  # noqa: E402

INDICATORS = "".join(
    json.dumps({"kind": "domain", "value": f"fake-bank-{n}.example", "typology": "phishing", "tlp": tlp}) + "\n"
    for n, tlp in enumerate(["green"] * 120 + ["amber"] * 30 + ["red"] * 5)
)


def main():
    binary = sys.argv[1]
    failures = []

    def expect(condition, message):
        if not condition:
            failures.append(message)

    with tempfile.TemporaryDirectory() as work:
        with Node(binary, os.path.join(work, "a")) as node:
            status, _, body = node.request("POST", "/api/v1/indicators", INDICATORS.encode(), "application/x-ndjson")
            expect(status == 200, f"indicator import: {status}")
            subprocess.run(
                [binary, "simulate", "--target", node.url, "--token", node.token, "--count", "40", "--rate", "1000"],
                check=True,
                capture_output=True,
            )

            server = Server(node.url + "/taxii2/", user="analyst", password=node.token)
            expect(server.title.startswith("Concord node"), f"discovery title {server.title}")
            expect(len(server.api_roots) == 1, "one API root")
            root = server.api_roots[0]
            expect("application/taxii+json;version=2.1" in root.versions, f"versions {root.versions}")
            titles = [c.title for c in root.collections]
            print("collections:", titles)
            expect(len(titles) == 3, f"three scope collections, got {titles}")
            green = next(c for c in root.collections if c.title.startswith("TLP:CLEAR"))
            expect(green.can_read and green.can_write, "the analyst may read and write the GREEN collection")

            # Paging: every GREEN indicator exactly once across pages of at most 25 objects.
            seen, pages = [], 0
            for envelope in as_pages(green.get_objects, per_request=25):
                pages += 1
                objects = envelope.get("objects", [])
                expect(len(objects) <= 25, f"a page holds {len(objects)} objects, more than the limit")
                seen += objects
            indicators = [o for o in seen if o["type"] == "indicator"]
            expect(len(indicators) == 120, f"120 GREEN indicators paged, got {len(indicators)} in {pages} pages")
            expect(len({o["id"] for o in indicators}) == 120, "no indicator twice across pages")
            print(f"paged {len(seen)} objects in {pages} pages of at most 25")

            only = green.get_objects(type="indicator", limit=5)
            expect(all(o["type"] == "indicator" for o in only["objects"]), "match[type] keeps indicators only")
            expect(only.get("more") is True and only.get("next"), "a partial page says more and gives next")
            one_id = indicators[7]["id"]
            by_id = green.get_objects(id=one_id)
            expect([o["id"] for o in by_id["objects"]] == [one_id], "match[id] finds the one object")
            single = green.get_object(one_id)
            expect(single["objects"][0]["id"] == one_id, "object by id")
            versions = green.object_versions(one_id)
            expect(versions["versions"] == [indicators[7]["modified"]], f"versions {versions}")
            expect(green.get_objects(id=one_id, version=indicators[7]["modified"])["objects"], "match[version] by time")
            expect(not green.get_objects(spec_version="2.0").get("objects"), "match[spec_version]=2.0 finds nothing")
            manifest = green.get_manifest(limit=10)
            expect(len(manifest["objects"]) <= 10 and all("date_added" in m for m in manifest["objects"]), "manifest")
            last_added = manifest["objects"][-1]["date_added"]
            later = green.get_objects(added_after=last_added, type="indicator")
            expect(all(o["id"] not in {m["id"] for m in manifest["objects"]} for o in later.get("objects", [])), "added_after")

            # Posting an envelope: one indicator with an OR pattern, one object with no record kind.
            envelope = {
                "objects": [
                    {
                        "type": "indicator",
                        "spec_version": "2.1",
                        "id": "indicator--6a3b1c2d-0e4f-4a5b-8c7d-9e0f1a2b3c4d",
                        "created": "2026-11-01T00:00:00.000Z",
                        "modified": "2026-11-01T00:00:00.000Z",
                        "pattern": "[url:value = 'http://pay-fine-now.example/' OR domain-name:value = 'pay-fine-now.example']",
                        "pattern_type": "stix",
                        "valid_from": "2026-11-01T00:00:00Z",
                        "labels": ["impersonation"],
                    },
                    {"type": "malware", "spec_version": "2.1", "id": "malware--6a3b1c2d-0e4f-4a5b-8c7d-9e0f1a2b3c4d"},
                ]
            }
            status = green.add_objects(envelope)
            expect(status.status == "complete", f"status {status.status}")
            expect(status.total_count == 2 and status.success_count == 2, f"counts {status.total_count}/{status.success_count}")
            fresh = green.get_objects(added_after=last_added, type="indicator")
            patterns = [o["pattern"] for o in fresh.get("objects", [])]
            expect("[domain-name:value = 'pay-fine-now.example']" in patterns, f"posted indicator served back: {patterns}")

            # A checker with the default scope sees only the GREEN collection, and cannot write.
            checker = node.make_token("checker")
            limited = Server(node.url + "/taxii2/", user="checker", password=checker).api_roots[0]
            expect([c.title for c in limited.collections] == ["TLP:CLEAR and TLP:GREEN"], "checker collections")
            expect(not limited.collections[0].can_write, "a checker cannot write")

            reply = requests.get(node.url + "/taxii2/", headers={"Accept": "text/html"}, auth=("a", node.token))
            expect(reply.status_code == 406, f"wrong Accept: {reply.status_code}")
            reply = requests.get(node.url + "/taxii2/", headers={"Accept": "application/taxii+json;version=2.1"})
            expect(reply.status_code == 401 and "title" in reply.json(), f"no token: {reply.status_code}")
            reply = requests.get(
                node.url + "/taxii2/", headers={"Authorization": f"Bearer {node.token}", "Accept": "application/taxii+json"}
            )
            expect(reply.status_code == 200, f"bearer token: {reply.status_code}")

    for failure in failures:
        print("FAIL", failure)
    print("TAXII check:", "failed" if failures else "passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
