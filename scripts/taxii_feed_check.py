"""A Concord node subscribed to the OASIS reference TAXII server: medallion runs on 127.0.0.1 with its memory
backend, objects are posted to it with taxii2-client, and the node, told of the collection with
`concord feed add`, pulls them on its schedule (and again after more arrive) into GREEN records, each once.

Usage: python3 scripts/taxii_feed_check.py path/to/concord
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from taxii2client.v21 import Collection

sys.path.insert(0, os.path.dirname(__file__))
from concord_node import Node, free_port  # noqa: E402

COLLECTION = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"


def indicators(first, count):
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-11-01T00:00:00.000Z",
            "modified": "2026-11-01T00:00:00.000Z",
            "pattern": f"[domain-name:value = 'parcel-fee-{n}.example']",
            "pattern_type": "stix",
            "valid_from": "2026-11-01T00:00:00Z",
            "labels": ["phishing"],
        }
        for n in range(first, first + count)
    ]


def start_medallion(work, port):
    data = {
        "/discovery": {"title": "medallion", "api_roots": [f"http://127.0.0.1:{port}/feeds/"]},
        "feeds": {
            "information": {"title": "feeds", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 10485760},
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "parcel scam domains",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    with open(os.path.join(work, "data.json"), "w") as f:
        json.dump(data, f)
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": os.path.join(work, "data.json"),
        },
        "users": {"feeder": "feeder password"},
        "taxii": {"max_page_size": 100},
    }
    with open(os.path.join(work, "config.json"), "w") as f:
        json.dump(config, f)
    process = subprocess.Popen(
        ["medallion", "--host", "127.0.0.1", "--port", str(port), os.path.join(work, "config.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/taxii2/", timeout=2)
        except urllib.error.HTTPError:
            return process  # up: it wants credentials
        except OSError:
            time.sleep(0.3)
    raise SystemExit("medallion did not start")


def indicator_count(node):
    count, after = 0, 0
    while True:
        status, _, body = node.request("GET", f"/api/v1/records?kind=indicator&limit=1000&after={after}")
        page = json.loads(body)
        count += len(page["records"])
        if not page["has_more"]:
            return count, page["records"]
        after = page["next_cursor"]


def wait_for(node, wanted, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        count, _ = indicator_count(node)
        if count >= wanted:
            return count
        time.sleep(1)
    return indicator_count(node)[0]


def main():
    binary = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        medallion = start_medallion(work, port)
        try:
            collection = Collection(
                f"http://127.0.0.1:{port}/feeds/collections/{COLLECTION}/", user="feeder", password="feeder password"
            )
            status = collection.add_objects({"objects": indicators(0, 250)})
            if status.success_count != 250:
                failures.append(f"medallion took {status.success_count} of 250")
            node = Node(binary, os.path.join(work, "node"), organisation="Pacific FIU", jurisdiction="FJ")
            subprocess.run(
                [
                    binary, "feed", "add", "--data-dir", node.directory, "medallion",
                    "--collection", f"http://127.0.0.1:{port}/feeds/collections/{COLLECTION}/",
                    "--user", "feeder", "--secret-env", "FEED_SECRET", "--tlp", "green", "--interval", "10",
                    "--page-size", "100",
                ],
                check=True,
                capture_output=True,
                env={**os.environ, "FEED_SECRET": "feeder password"},
            )
            mode = os.stat(os.path.join(node.directory, "feeds.json")).st_mode & 0o777
            if mode != 0o600:
                failures.append(f"feeds.json has mode {oct(mode)}, not 0600")
            with node:
                count = wait_for(node, 250, 60)
                print(f"first pull: {count} indicators")
                if count != 250:
                    failures.append(f"after the first pull the node holds {count} indicators, not 250")
                collection.add_objects({"objects": indicators(250, 50)})
                count = wait_for(node, 300, 60)
                print(f"after 50 more on the server: {count} indicators")
                if count != 300:
                    failures.append(f"after the second pull the node holds {count} indicators, not 300")
                time.sleep(12)  # one more scheduled pull: nothing new, nothing twice
                count, records = indicator_count(node)
                if count != 300:
                    failures.append(f"a pull with nothing new changed the count to {count}")
                labels = {r["content"]["label"]["tlp"] for r in records}
                if labels != {"green"}:
                    failures.append(f"pulled records are labelled {labels}, not the feed's GREEN")
            listing = subprocess.run(
                [binary, "feed", "list", "--data-dir", node.directory], check=True, capture_output=True, text=True
            ).stdout
            print(listing)
            if "feeder password" in listing:
                failures.append("feed list shows the secret")
            if "last error" in listing:
                failures.append("the feed reports an error")
        finally:
            medallion.terminate()
            medallion.wait(timeout=20)

    for failure in failures:
        print("FAIL", failure)
    print("TAXII feed check:", "failed" if failures else "passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
