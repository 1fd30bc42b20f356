#!/usr/bin/env python3
"""Differential test of Concord's phone-number normaliser against libphonenumber.

The oracle is the PyPI package `phonenumbers` (pip install phonenumbers): for an input and a
region, the expected answer is the E.164 form when phonenumbers.parse(input, region) succeeds
and phonenumbers.is_possible_number() is true, and "invalid" otherwise.

Concord's answer comes from its command line, run once per region:

    CONCORD_BIN normalize phone --region CC     (no --region for the inputs without one)

with one input per line on standard input; it prints one line per input: the canonical
E.164 form, or `invalid: <reason>`.

Usage:
    python3 scripts/phone_differential.py [CONCORD_BIN]      default .build/debug/concord
    python3 scripts/phone_differential.py --emit-cases FILE  write the corpus and the oracle's
                                                             answers as TSV, run nothing

The corpus is deterministic (seeded). Disagreements are compared with the explained ones in
scripts/phone_known_differences.tsv (region, input, ours, oracle, why); the script exits 1 if
any disagreement is not listed there, 0 otherwise, and ends with the line
`phone differential: N passed, M failed`.
"""

import argparse
import collections
import csv
import itertools
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    COUNTRY_CODES_FOR_NON_GEO_REGIONS,
    SUPPORTED_REGIONS,
)

SEED = 20250615
ROOT = Path(__file__).resolve().parent.parent
KNOWN = Path(__file__).resolve().parent / "phone_known_differences.tsv"

# Regions that get twice the cases: ASEAN, the Commonwealth of Africa, the Pacific and the
# Caribbean, the EU, and the big numbering plans.
ASEAN = "BN KH ID LA MY MM PH SG TH VN TL"
COMMONWEALTH_AFRICA = "BW CM SZ GA GM GH KE LS MW MU MZ NA NG RW SC SL ZA TG UG TZ ZM"
COMMONWEALTH_PACIFIC = "AU FJ KI NR NZ PG WS SB TO TV VU"
COMMONWEALTH_CARIBBEAN = "AG BS BB BZ DM GD GY JM KN LC VC TT"
EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
BIG = "GB AU IN CN US CA"
PRIORITY = set(" ".join([ASEAN, COMMONWEALTH_AFRICA, COMMONWEALTH_PACIFIC, COMMONWEALTH_CARIBBEAN, EU, BIG]).split())

NUMBER_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip",
                "personal_number", "pager", "uan", "voicemail")

FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
FULLWIDTH.update({"+": "\uFF0B", "-": "\uFF0D", " ": "\u3000", "(": "\uFF08", ")": "\uFF09"})
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}


# ----------------------------------------------------------------------------------------
# Oracle


def oracle(text, region):
    """E.164 if phonenumbers parses `text` for `region` and finds it possible, else 'invalid'."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return "invalid"
    if not phonenumbers.is_possible_number(number):
        return "invalid"
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


# ----------------------------------------------------------------------------------------
# Corpus


def idd_prefixes(meta):
    """Every international prefix of 2 to 4 digits that the region's IDD pattern accepts."""
    if not meta.international_prefix:
        return []
    pattern = re.compile(meta.international_prefix)
    found = []
    for length in (2, 3, 4):
        for digits in itertools.product("0123456789", repeat=length):
            text = "".join(digits)
            if pattern.fullmatch(text):
                found.append(text)
    return found


def unused_calling_codes():
    """Three-digit strings that start no assigned country calling code."""
    codes = set(COUNTRY_CODE_TO_REGION_CODE)
    return [
        str(n) for n in range(100, 1000)
        if not any(int(str(n)[:k]) in codes for k in (1, 2, 3))
    ]


def example_numbers(region):
    meta = PhoneMetadata.metadata_for_region(region)
    found = []
    for kind in NUMBER_TYPES:
        desc = getattr(meta, kind)
        if desc is not None and desc.example_number and desc.example_number not in found:
            found.append(desc.example_number)
    return found


def vary_digits(rng, national):
    """The same length with a few of the last digits changed: mostly still a real-shaped number."""
    keep = max(len(national) - rng.randint(2, 4), 1)
    return national[:keep] + "".join(rng.choice("0123456789") for _ in national[keep:])


def punctuate(rng, formatted):
    """Rewrite the separators of a formatted number the way people type them."""
    style = rng.randrange(9)
    if style == 0:
        return formatted
    if style == 1:
        return formatted.replace(" ", "")
    if style == 2:
        return formatted.replace(" ", "-")
    if style == 3:
        return formatted.replace(" ", ".")
    if style == 4:
        return formatted.replace(" ", "/", 1)
    if style == 5:
        return formatted.replace(" ", "\u00A0")
    if style == 6:
        return re.sub(r"[ \-]", "", formatted)
    if style == 7:
        return formatted.replace(" ", "  ")
    # Brackets around the first group of digits after any prefix.
    parts = formatted.split(" ")
    index = 1 if parts[0].startswith("+") and len(parts) > 2 else 0
    parts[index] = "(" + parts[index] + ")"
    return " ".join(parts)


def transliterate(text, table):
    return "".join(table.get(c, c) for c in text)


def bad_letters(rng, text):
    """Letters where people (or scammers' adverts) put them."""
    digit_positions = [i for i, c in enumerate(text) if c.isdigit()]
    style = rng.randrange(6)
    if style == 0:  # the letter O typed for a zero, or l for a one
        i = rng.choice(digit_positions)
        return text[:i] + rng.choice("OolI") + text[i + 1:]
    if style == 1:  # vanity: the last digits spelt as a word
        word = rng.choice(["FLOWERS", "CASH", "HELP", "SCAM", "BANK", "LOAN"])
        cut = digit_positions[-min(len(word), len(digit_positions) - 1)]
        return text[:cut] + word
    if style == 2:  # an extension
        return text + rng.choice([" ext. ", " x", " ext ", ";ext="]) + str(rng.randint(1, 9999))
    if style == 3:  # a label in front
        return rng.choice(["Phone: ", "Call ", "WhatsApp ", "mobile "]) + text
    if style == 4:  # letters in the middle
        i = rng.choice(digit_positions)
        return text[:i] + rng.choice(["abc", "X", "no"]) + text[i:]
    return text + rng.choice(["abc", "z", "AB"])


def corpus(seed=SEED):
    """[(region, input, kind)]; region '' means no region given."""
    rng = random.Random(seed)
    unused = unused_calling_codes()
    all_regions = sorted(SUPPORTED_REGIONS)
    cases = []
    seen = set()

    def add(region, text, kind):
        if text and "\n" not in text and "\t" not in text and text == text.strip() and (region, text) not in seen:
            seen.add((region, text))
            cases.append((region, text, kind))

    for region in all_regions:
        meta = PhoneMetadata.metadata_for_region(region)
        cc = str(meta.country_code)
        trunk = meta.national_prefix or ""
        idds = idd_prefixes(meta)
        examples = example_numbers(region)
        if not examples:
            continue
        rounds = 14 if region in PRIORITY else 7
        for _ in range(rounds):
            national = rng.choice(examples)
            if rng.random() < 0.6:
                national = vary_digits(rng, national)
            number = phonenumbers.parse("+" + cc + national)
            intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
            nat = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            # Valid shapes.
            add(region, punctuate(rng, nat), "national")
            add(region, punctuate(rng, intl), "international")
            other = rng.choice(all_regions)
            add(other, punctuate(rng, intl), "international-other-region")
            if idds:
                idd = rng.choice(idds)
                add(region, punctuate(rng, idd + " " + intl[1:]), "idd")
            dialled_from = rng.choice(all_regions)
            add(dialled_from, punctuate(rng, phonenumbers.format_out_of_country_calling_number(number, dialled_from)), "dialled-from")
            add(region, cc + national, "cc-without-plus")
            if trunk:
                add(region, intl.replace(" ", " (" + trunk + ") ", 1), "trunk-after-cc")
                add(region, trunk + national, "trunk-digits-only")
            if rng.random() < 0.5:
                add(region, phonenumbers.format_number(number, PhoneNumberFormat.RFC3966), "tel-uri")
            else:
                context = rng.choice(["+" + cc, "example.com"])
                add(region if context == "example.com" else rng.choice(all_regions),
                    "tel:" + nat.replace(" ", "-") + ";phone-context=" + context, "tel-uri-context")
            table = FULLWIDTH if rng.random() < 0.7 else ARABIC_INDIC
            add(region, transliterate(rng.choice([nat, intl]), table), "other-digits")
            # Invalid (or at least suspicious) shapes.
            shorter = national[:-rng.randint(1, 4)]
            add(region, punctuate(rng, rng.choice([trunk + shorter, "+" + cc + " " + shorter])), "too-short")
            longer = national + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 4)))
            add(region, punctuate(rng, rng.choice([trunk + longer, "+" + cc + " " + longer])), "too-long")
            if rng.random() < 0.4:
                add(region, bad_letters(rng, rng.choice([nat, intl])), "letters")
            bogus = rng.choice(unused)
            add(region, rng.choice(["+" + bogus + " ", "+0" + bogus[1:] + " ", (idds[0] if idds else "00") + " " + bogus])
                + national, "bad-calling-code")
            if rng.random() < 0.3:
                add("", punctuate(rng, intl), "no-region-international")
                add("", punctuate(rng, nat), "no-region-national")

    # Non-geographic calling codes (+800, +808, +870, ...), read from any region.
    for code in sorted(COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        meta = PhoneMetadata.metadata_for_nongeo_region(code)
        examples = [getattr(meta, k).example_number for k in NUMBER_TYPES
                    if getattr(meta, k) is not None and getattr(meta, k).example_number]
        for _ in range(12):
            national = vary_digits(rng, rng.choice(examples))
            number = phonenumbers.parse("+" + str(code) + national)
            text = punctuate(rng, phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))
            add(rng.choice(all_regions + [""]), text, "non-geographic")
    return cases


# ----------------------------------------------------------------------------------------
# Running Concord


def run_concord(binary, cases):
    """Concord's answer per case: its canonical output, or 'invalid' (the reason is kept apart).

    The binary runs in an empty temporary directory, so that no node data directory there can
    lend a default region to the inputs that are meant to have none."""
    if Path(binary).is_file():
        binary = str(Path(binary).resolve())
    workdir = tempfile.TemporaryDirectory(prefix="phone-differential-")
    by_region = collections.defaultdict(list)
    for index, (region, text, _) in enumerate(cases):
        by_region[region].append(index)
    answers = [None] * len(cases)
    reasons = [""] * len(cases)
    for region in sorted(by_region):
        indexes = by_region[region]
        command = [binary, "normalize", "phone"] + (["--region", region] if region else [])
        stdin = "".join(cases[i][1] + "\n" for i in indexes)
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, encoding="utf-8",
                                cwd=workdir.name)
        lines = result.stdout.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) != len(indexes):
            print(f"{' '.join(command)}: expected {len(indexes)} lines, got {len(lines)} "
                  f"(exit {result.returncode}); stderr: {result.stderr.strip()[:300]}")
            lines = (lines + ["<missing>"] * len(indexes))[:len(indexes)]
        for i, line in zip(indexes, lines):
            if line.startswith("invalid:") or line == "invalid":
                answers[i] = "invalid"
                reasons[i] = line[len("invalid:"):].strip()
            else:
                answers[i] = line.strip()
    workdir.cleanup()
    return answers, reasons


def load_known():
    known = {}
    if not KNOWN.exists():
        return known
    with KNOWN.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            known[(row["region"], row["input"])] = (row["ours"], row["oracle"], row["why"])
    return known


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", default=".build/debug/concord")
    parser.add_argument("--emit-cases", metavar="FILE", help="write the corpus with the oracle's answers as TSV and stop")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    cases = corpus(args.seed)
    expected = [oracle(text, region) for region, text, _ in cases]

    if args.emit_cases:
        with open(args.emit_cases, "w", encoding="utf-8", newline="") as handle:
            handle.write("region\tinput\texpected\tkind\n")
            for (region, text, kind), want in zip(cases, expected):
                handle.write(f"{region}\t{text}\t{want}\t{kind}\n")
        print(f"wrote {len(cases)} cases to {args.emit_cases} (phonenumbers {phonenumbers.__version__})")
        return 0

    if not (Path(args.binary).is_file() or shutil.which(args.binary)):
        print(f"concord binary not found: {args.binary} (build it first, or use --emit-cases FILE)")
        print(f"phone differential: 0 passed, {len(cases)} failed")
        return 1
    answers, reasons = run_concord(args.binary, cases)
    known = load_known()
    agreements = 0
    explained = []
    unexplained = []
    by_region_kind = collections.Counter()
    by_kind = collections.Counter()
    for (region, text, kind), want, got, reason in zip(cases, expected, answers, reasons):
        if got == want:
            agreements += 1
            continue
        by_kind[kind] += 1
        entry = known.get((region, text))
        if entry is not None and entry[0] == got and entry[1] == want:
            explained.append((region, text, kind, got, want, entry[2]))
        else:
            unexplained.append((region, text, kind, got, want, reason))
            by_region_kind[(region or "-", kind)] += 1
    seen = {(r, t) for r, t, *_ in explained}
    stale = [key for key in known if key not in seen]

    print(f"phonenumbers {phonenumbers.__version__}, seed {args.seed}, binary {args.binary}")
    print(f"inputs: {len(cases)} in {len({c[0] for c in cases})} region groups")
    print(f"agreements: {agreements}")
    print("disagreements by kind: " + (", ".join(f"{k} {n}" for k, n in by_kind.most_common()) or "none"))
    print(f"known, explained differences: {len(explained)}")
    why_counts = collections.Counter(e[5].split(":")[0] for e in explained)
    for why, count in why_counts.most_common():
        print(f"  {count:6d}  {why}")
    print(f"unexplained disagreements: {len(unexplained)}")
    for (region, kind), count in sorted(by_region_kind.items(), key=lambda x: (-x[1], x[0]))[:40]:
        print(f"  {count:6d}  {region} {kind}")
    for region, text, kind, got, want, reason in unexplained[:20]:
        detail = f" ({reason})" if reason else ""
        print(f"  [{region or '-'}] {kind}: {text!r}: concord {got}{detail}, oracle {want}")
    if stale:
        print(f"note: {len(stale)} listed differences no longer occur (the list can be trimmed)")
    passed = agreements + len(explained)
    print(f"phone differential: {passed} passed, {len(unexplained)} failed")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
