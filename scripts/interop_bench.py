"""Side-by-side interoperability benchmarks, one run:

1. STIX bundle import of a 100k-object bundle: Python stix2.parse (the OASIS library) against `concord bench stix`
   (read and map; and a full import that signs and stores every record).
2. TAXII objects paging: the same objects served by a Concord node and by OASIS medallion (memory backend),
   read page by page with the same client (`concord bench taxii`).

Usage: python3 scripts/interop_bench.py path/to/release/concord [--objects 100000] [--limit 1000]
Prints a table; figures go to docs/benchmarks.md by hand, as printed.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import stix2

sys.path.insert(0, os.path.dirname(__file__))
from concord_node import Node, free_port  # noqa: E402

COLLECTION = "2f0a3e55-8f51-4c3a-9b77-4e1f5a7c0d21"


def make_bundle(count, seed=2026):
    """A scam-intelligence bundle: a third indicators, a third observables, reports naming them, sightings."""
    rng = random.Random(seed)
    stamp = "2026-11-01T00:00:00.000Z"
    objects, observables = [], []
    identity = f"identity--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    objects.append({"type": "identity", "spec_version": "2.1", "id": identity, "created": stamp, "modified": stamp,
                    "name": "Bench CERT", "identity_class": "organization"})
    n = 0
    while len(objects) < count:
        n += 1
        kind = n % 4
        if kind == 0:
            observable = {"type": "url", "spec_version": "2.1", "id": f"url--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                          "value": f"https://pay-{n}.scam-{n % 97}.example/login"}
        elif kind == 1:
            observable = {"type": "domain-name", "spec_version": "2.1",
                          "id": f"domain-name--{uuid.UUID(int=rng.getrandbits(128), version=4)}", "value": f"shop-{n}.example"}
        elif kind == 2:
            observable = {"type": "email-addr", "spec_version": "2.1",
                          "id": f"email-addr--{uuid.UUID(int=rng.getrandbits(128), version=4)}", "value": f"desk{n}@broker-{n % 89}.example"}
        else:
            observable = {"type": "ipv4-addr", "spec_version": "2.1",
                          "id": f"ipv4-addr--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                          "value": f"198.51.{(n // 250) % 250}.{n % 250 + 1}"}
        objects.append(observable)
        observables.append(observable)
        prop = "value"
        objects.append({
            "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "created": stamp, "modified": stamp, "created_by_ref": identity, "name": f"scam {observable['type']} {n}",
            "indicator_types": ["malicious-activity"], "labels": ["investment" if n % 3 else "phishing"],
            "pattern": f"[{observable['type']}:{prop} = '{observable['value']}']", "pattern_type": "stix",
            "valid_from": "2026-11-01T00:00:00Z", "confidence": 60 + n % 40,
        })
        if n % 3 == 0:
            refs = [o["id"] for o in rng.sample(observables[-50:], min(2, len(observables)))]
            objects.append({
                "type": "report", "spec_version": "2.1", "id": f"report--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                "created": stamp, "modified": stamp, "name": f"Victim report {n}", "description": "Paid a fake broker.",
                "report_types": ["threat-report"], "published": "2026-10-30T00:00:00Z", "object_refs": refs, "labels": ["investment"],
            })
    return {"type": "bundle", "id": f"bundle--{uuid.UUID(int=rng.getrandbits(128), version=4)}", "objects": objects[:count]}


def run(command, env=None):
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {out.stderr}")
    return out.stdout


def start_medallion(work, port, objects):
    now = time.time()
    manifest = []
    stored = []
    for n, o in enumerate(objects):
        added = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - len(objects) + n)) + ".000000Z"
        o = dict(o)
        if "modified" not in o and "created" not in o:
            o["_date_added"] = added  # how medallion versions an object without modified or created
        stored.append(o)
        manifest.append({"id": o["id"], "date_added": added,
                         "version": o.get("modified", o.get("created", added)), "media_type": "application/stix+json;version=2.1"})
    objects = stored
    data = {
        "/discovery": {"title": "medallion", "api_roots": [f"http://127.0.0.1:{port}/bench/"]},
        "bench": {
            "information": {"title": "bench", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 1 << 30},
            "status": [],
            "collections": [{"id": COLLECTION, "title": "bench", "can_read": True, "can_write": False,
                             "media_types": ["application/stix+json;version=2.1"], "objects": objects, "manifest": manifest}],
        },
    }
    with open(os.path.join(work, "medallion-data.json"), "w") as f:
        json.dump(data, f)
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                          "filename": os.path.join(work, "medallion-data.json")},
              "users": {"bench": "bench"}, "taxii": {"max_page_size": 100000}}
    with open(os.path.join(work, "medallion.json"), "w") as f:
        json.dump(config, f)
    process = subprocess.Popen(["medallion", "--host", "127.0.0.1", "--port", str(port), os.path.join(work, "medallion.json")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/taxii2/", timeout=2)
        except urllib.error.HTTPError:
            return process
        except OSError:
            time.sleep(0.5)
    raise SystemExit("medallion did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("concord")
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--taxii-objects", type=int, default=20_000,
                        help="bundle size for the TAXII comparison (medallion's memory backend rereads every object per page)")
    parser.add_argument("--skip-stix", action="store_true")
    args = parser.parse_args()
    binary = args.concord
    with tempfile.TemporaryDirectory() as work:
        bundle = make_bundle(args.objects)
        path = os.path.join(work, "bundle.json")
        with open(path, "w") as f:
            json.dump(bundle, f)
        size = os.path.getsize(path)
        print(f"bundle: {len(bundle['objects'])} objects, {size / 1e6:.1f} MB")

        if not args.skip_stix:
            with open(path) as f:
                document = json.load(f)
            started = time.perf_counter()
            parsed = stix2.parse(document, allow_custom=True)
            python_seconds = time.perf_counter() - started
            python_rate = len(parsed.objects) / python_seconds
            print(f"python stix2.parse: {len(parsed.objects)} objects in {python_seconds:.2f} s: {python_rate:.0f} objects/s")

        if not args.skip_stix:
            out = run([binary, "bench", "stix", "--bundle", path])
            print(out.strip())
            lines = {line.split(":")[0]: line for line in out.splitlines()}
            parsed_rate = float(lines["stix split+parse"].split(": ")[2].split(" ")[0])
            mapped = float(lines["stix read+map"].split(": ")[2].split(" ")[0])
            imported = float(lines["stix import"].split(": ")[2].split(" ")[0])
            print(f"STIX against stix2.parse: split+parse {parsed_rate / python_rate:.1f}x; read+map {mapped / python_rate:.1f}x; "
                  f"full import (signed, stored) {imported / python_rate:.1f}x")

        taxii_path = os.path.join(work, "taxii-bundle.json")
        with open(taxii_path, "w") as f:
            json.dump(make_bundle(args.taxii_objects, seed=7), f)
        node = Node(binary, os.path.join(work, "node"), organisation="Bench", jurisdiction="TH")
        run([binary, "import", "--data-dir", node.directory, "--format", "stix", "--tlp", "green", taxii_path])
        with node:
            _, _, body = node.request("GET", "/taxii2/concord/collections/", headers={"Accept": "application/taxii+json;version=2.1"})
            green = json.loads(body)["collections"][0]["id"]
            served, next_value = [], None
            while True:
                query = "limit=10000" + (f"&next={next_value}" if next_value else "")
                _, _, body = node.request("GET", f"/taxii2/concord/collections/{green}/objects/?{query}",
                                          headers={"Accept": "application/taxii+json;version=2.1"})
                envelope = json.loads(body)
                served += envelope.get("objects", [])
                if not envelope.get("more"):
                    break
                next_value = envelope["next"]
            distinct = {}
            for o in served:
                distinct.setdefault(o["id"], o)
            served = list(distinct.values())
            print(f"the node serves {len(served)} distinct objects in its GREEN collection")
            env = {**os.environ, "TAXII_SECRET": node.token}
            concord_out = run([binary, "bench", "taxii", "--collection", f"{node.url}/taxii2/concord/collections/{green}/",
                               "--limit", str(args.limit), "--rounds", "3"], env=env)
            print("concord:", concord_out.strip().splitlines()[-1])

        port = free_port()
        medallion = start_medallion(work, port, served)
        try:
            env = {**os.environ, "TAXII_SECRET": "bench"}
            medallion_out = run([binary, "bench", "taxii", "--collection",
                                 f"http://127.0.0.1:{port}/bench/collections/{COLLECTION}/", "--limit", str(args.limit),
                                 "--rounds", "3"], env=env)
            print("medallion:", medallion_out.strip().splitlines()[-1])
        finally:
            medallion.terminate()
            medallion.wait(timeout=30)

        def best(text):
            return float(text.strip().splitlines()[-1].split("best ")[1].split(" ")[0])

        print(f"TAXII paging: concord {best(concord_out):.0f} vs medallion {best(medallion_out):.0f} objects/s: "
              f"{best(concord_out) / best(medallion_out):.1f}x")


if __name__ == "__main__":
    main()
