"""MISP both ways, checked with PyMISP: events built with pymisp (one as a plain event file, the others as a
MISP feed the way MISP's feed generator lays it out) import into a node with the right identifiers, labels
and skips; the node's records export as a MISP feed whose every event PyMISP loads with schema validation;
and what the feed says reads back as what was imported.

Usage: python3 scripts/misp_check.py path/to/concord
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import jsonschema
import pymisp
from pymisp import MISPEvent, MISPObject, MISPOrganisation

sys.path.insert(0, os.path.dirname(__file__))
from concord_node import Node  # noqa: E402


def build_events():
    wave = MISPEvent()
    wave.info = "Investment scam wave: fake trading app"
    wave.distribution = 1
    wave.date = "2026-10-02"
    wave.add_tag("tlp:amber")
    wave.add_tag('scam:type="investment"')
    wave.add_attribute("phone-number", "+66812345678", to_ids=True, comment="caller")
    wave.add_attribute("iban", "GB82WEST12345698765432", to_ids=True)
    wave.add_attribute("url", "https://trade-app.example/login", to_ids=True)
    wave.add_attribute("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", to_ids=True)
    wave.add_attribute("phone-number", "+66899999999", to_ids=False, comment="the victim")
    red = wave.add_attribute("domain", "trade-app-support.example", to_ids=True)
    red.add_tag("tlp:red")
    wave.add_attribute("comment", "seen in three provinces", to_ids=False)
    account = MISPObject("bank-account")
    account.add_attribute("iban", "DE89370400440532013000", to_ids=True)
    wave.add_object(account)

    phishing = MISPEvent()
    phishing.info = "Parcel fee SMS phishing"
    phishing.distribution = 3
    phishing.date = "2026-11-15"
    phishing.add_tag("tlp:green")
    phishing.add_tag('concord:typology="phishing"')
    phishing.add_attribute("domain", "parcel-fee-th.example", to_ids=True)
    phishing.add_attribute("ip-dst", "203.0.113.7", to_ids=True)
    phishing.add_attribute("email-src", "notice@parcel-fee-th.example", to_ids=True)
    phishing.add_attribute("twitter-id", "ParcelFeeTH", to_ids=True)

    private = MISPEvent()
    private.info = "Mule accounts, organisation only"
    private.distribution = 0
    private.add_attribute("phone-number", "+60123456789", to_ids=True)
    for event in (wave, phishing, private):
        org = MISPOrganisation()
        org.name = "Regional CERT"
        org.uuid = "6c0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
        event.Orgc = org
        event.publish()
        for attribute in event.attributes:
            if attribute.get("distribution") is None:
                attribute.distribution = 5
    return wave, phishing, private


def main():
    binary = sys.argv[1]
    failures = []

    def expect(condition, message):
        if not condition:
            failures.append(message)

    with tempfile.TemporaryDirectory() as work:
        wave, phishing, private = build_events()
        single = os.path.join(work, "wave.json")
        with open(single, "w") as f:
            f.write(wave.to_json())
        feed = os.path.join(work, "feed-in")
        os.makedirs(feed)
        manifest = {}
        for event in (phishing, private):
            with open(os.path.join(feed, f"{event.uuid}.json"), "w") as f:
                json.dump(event.to_feed(with_meta=False, with_distribution=True), f)
            manifest.update(event.manifest)
        with open(os.path.join(feed, "manifest.json"), "w") as f:
            json.dump(manifest, f)

        node = Node(binary, os.path.join(work, "node"), organisation="Thai Anti-Scam Centre", jurisdiction="TH")
        results = os.path.join(work, "results.ndjson")
        out = subprocess.run(
            [binary, "import", "--data-dir", node.directory, "--format", "misp", single, "--results", results],
            capture_output=True, text=True,
        )
        print(out.stdout.strip())
        expect(out.returncode == 0, f"event import failed: {out.stderr}")
        line = json.loads(open(results).read().splitlines()[0])
        expect(line["outcome"] == "imported" and len(line["records"]) == 6, f"the wave gives six indicators: {line}")
        skipped = {s["reason"] for s in line.get("skipped", [])}
        expect("not marked for detection (to_ids is false)" in skipped, f"the victim's number is skipped: {skipped}")

        out = subprocess.run(
            [binary, "import", "--data-dir", node.directory, "--format", "misp", feed], capture_output=True, text=True
        )
        print(out.stdout.strip())
        expect("2 imported" in out.stdout, f"feed import: {out.stdout} {out.stderr}")
        again = subprocess.run(
            [binary, "import", "--data-dir", node.directory, "--format", "misp", feed], capture_output=True, text=True
        )
        expect("0 records created" in again.stdout, f"a second import adds nothing: {again.stdout}")

        with node:
            records, after = [], 0
            while True:
                _, _, body = node.request("GET", f"/api/v1/records?kind=indicator&limit=1000&after={after}")
                page = json.loads(body)
                records += page["records"]
                if not page["has_more"]:
                    break
                after = page["next_cursor"]
        held = {
            (r["content"]["body"]["identifier"]["kind"], r["content"]["body"]["identifier"]["value"]): r["content"]
            for r in records
        }
        expected = {
            ("phone", "+66812345678"): ("amber", "investment"),
            ("bank_account", "GB82WEST12345698765432"): ("amber", "investment"),
            ("bank_account", "DE89370400440532013000"): ("amber", "investment"),
            ("url", "https://trade-app.example/login"): ("amber", "investment"),
            ("wallet", "bitcoin:1BoatSLRHtKNngkdXEeobR76b53LETtpyT"): ("amber", "investment"),
            ("domain", "trade-app-support.example"): ("red", "investment"),
            ("domain", "parcel-fee-th.example"): ("green", "phishing"),
            ("ip", "203.0.113.7"): ("green", "phishing"),
            ("email", "notice@parcel-fee-th.example"): ("green", "phishing"),
            ("handle", "x:parcelfeeth"): ("green", "phishing"),
            ("phone", "+60123456789"): ("red", "other"),
        }
        for key, (tlp, typology) in expected.items():
            content = held.get(key)
            if content is None:
                failures.append(f"{key} was not imported; held: {sorted(held)}")
                continue
            expect(content["label"]["tlp"] == tlp, f"{key}: TLP {content['label']['tlp']}, expected {tlp}")
            expect(content["body"]["typology"] == typology, f"{key}: typology {content['body']['typology']}")
        expect(len(held) == len(expected), f"{len(held)} indicators held, expected {len(expected)}")

        exported = os.path.join(work, "feed-out")
        subprocess.run(
            [binary, "export", "--data-dir", node.directory, "--format", "misp", "--output", exported],
            check=True, capture_output=True,
        )
        with open(os.path.join(exported, "manifest.json")) as f:
            out_manifest = json.load(f)
        expect(len(out_manifest) == len(expected), f"{len(out_manifest)} events in the exported manifest")
        hashes = open(os.path.join(exported, "hashes.csv")).read().splitlines()
        expect(len(hashes) == len(expected), f"{len(hashes)} lines in hashes.csv")
        schema = json.loads((pathlib.Path(pymisp.__file__).parent / "data" / "schema.json").read_text())
        read_back = {}
        for uuid in out_manifest:
            with open(os.path.join(exported, f"{uuid}.json")) as f:
                document = json.load(f)
            try:
                jsonschema.validate(document, schema)
            except jsonschema.ValidationError as error:
                failures.append(f"event {uuid} fails MISP's schema: {error.message}")
            event = MISPEvent()
            event.load(document)
            tags = {t.name for t in event.tags}
            for attribute in event.attributes:
                identifier = next(
                    (t.name.split("=", 1)[1].strip('"') for t in attribute.tags if t.name.startswith("concord:identifier=")), None
                )
                level = next(t[4:] for t in tags if t.startswith("tlp:"))
                read_back[identifier] = (level, attribute.to_ids, event.distribution)
        for (kind, value), (tlp, _) in expected.items():
            got = read_back.get(f"{kind}:{value}")
            expect(got is not None and got[0] == tlp and got[1], f"{kind}:{value} exported as {got}")
        expect(all(d == {"red": 0, "amber": 1, "green": 3}[t] for t, _, d in read_back.values()), "distribution by TLP")
        print(f"exported {len(out_manifest)} events; each valid against MISP's event schema and loaded by PyMISP")

        # The same feed over HTTP, as a subscribing MISP reads it, and events posted to the API.
        with node:
            status, _, body = node.request("GET", "/misp/feed/manifest.json")
            served = json.loads(body)
            expect(status == 200 and set(served) == set(out_manifest), "the served manifest lists the exported events")
            first = sorted(served)[0]
            status, _, body = node.request("GET", f"/misp/feed/{first}.json")
            expect(status == 200 and json.loads(body) == json.load(open(os.path.join(exported, f"{first}.json"))), "served event")
            status, _, body = node.request("GET", "/misp/feed/hashes.csv")
            expect(status == 200 and len(body.decode().splitlines()) == len(hashes), "served hashes.csv")
            checker = node.make_token("checker")
            status, _, body = node.request("GET", "/misp/feed/manifest.json", token=checker)
            green = [u for u, e in json.loads(body).items() if any(t["name"] in ("tlp:green", "tlp:clear") for t in e["Tag"])]
            expect(status == 200 and len(json.loads(body)) == len(green) == 4, "a GREEN checker's feed holds GREEN events only")
            status, _, body = node.request("POST", "/api/v1/misp/events", wave.to_json().encode())
            lines = [json.loads(line) for line in body.decode().splitlines()]
            expect(status == 200 and lines[-1]["summary"]["records_duplicate"] == 6, f"posted again: {lines[-1]}")
            status, _, body = node.request("POST", "/api/v1/misp/events", b'{"Event": {"uuid": "x", "Attribute": 5}}')
            expect(status == 200 and json.loads(body.decode().splitlines()[0])["outcome"] == "skipped", f"odd event: {body[:200]}")

    for failure in failures:
        print("FAIL", failure)
    print("MISP check:", "failed" if failures else "passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
