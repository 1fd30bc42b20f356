#!/usr/bin/env python3
"""Generate Sources/ConcordCore/Identifiers/PhoneMetadata.swift from the metadata of the
PyPI `phonenumbers` package (the Python port of libphonenumber, Apache-2.0).

Usage:  pip install phonenumbers && python3 scripts/generate_phone_metadata.py [OUTPUT]

The Swift side keeps one line of text per region and parses it once, on first use, into
its tables; see PhoneNumber.swift for the reader. Fields, separated by ';':

  1  region        ISO 3166-1 alpha-2 code, or 001 for a non-geographic calling code
  2  callingCode   country calling code, e.g. 66
  3  main          '*' when this region is the main one of its calling code (the one whose
                   lengths decide whether a number is possible, as in libphonenumber); for a
                   code shared by several regions (+1, +7, +44, +61, +262, ...) only one has it
  4  idd           international (IDD) prefix pattern dialled from this region, e.g. 00[1-9]
  5  trunk         national (trunk) prefix as dialled, e.g. 0 (used in messages)
  6  trunkParse    national-prefix-for-parsing pattern (may carry capture groups)
  7  transform     national-prefix transform rule: literal digits then \\N (group N)
  8  pattern       general-description national number pattern (digits only)
  9  lengths       possible national-number lengths, comma separated
 10  localLengths  lengths that are only possible locally (no area code), comma separated
 11  name          English name of the region or non-geographic service

Patterns use a small regular-expression subset over digits: literal digits, \\d, [...] with
ranges, (...) and (?:...) groups, |, ?, {n}, {n,m} and $. This script checks that every
pattern stays inside that subset, so the Swift matcher never meets anything else.
"""

import re
import sys
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.geocoder import _region_display_name
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    COUNTRY_CODES_FOR_NON_GEO_REGIONS,
    SUPPORTED_REGIONS,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "Sources/ConcordCore/Identifiers/PhoneMetadata.swift"

# Names phonenumbers' geocoder has no English entry for.
EXTRA_NAMES = {
    "AC": "Ascension Island",
    "TA": "Tristan da Cunha",
    "XK": "Kosovo",
}
NON_GEO_NAMES = {
    800: "International Freephone Service",
    808: "International Shared Cost Service",
    870: "Inmarsat",
    878: "Universal Personal Telecommunications",
    881: "Global Mobile Satellite System",
    882: "International Networks",
    883: "International Networks",
    888: "United Nations humanitarian telecommunications",
    979: "International Premium Rate Service",
}

# One token of the supported pattern subset.
TOKEN = re.compile(r"\\d|\(\?:|[0-9()|?$\[\]\-]|\{\d+(?:,\d+)?\}")


def check_pattern(pattern, where):
    """Fail loudly when a pattern uses regex syntax the Swift matcher does not implement."""
    if pattern is None:
        return
    pos = 0
    while pos < len(pattern):
        m = TOKEN.match(pattern, pos)
        if not m:
            sys.exit(f"{where}: unsupported regex syntax at {pos} in {pattern!r}")
        pos = m.end()
    for bad in ("}?", "??", "(?=", "(?!", "[^"):
        if bad in pattern:
            sys.exit(f"{where}: unsupported regex syntax {bad!r} in {pattern!r}")
    if ";" in pattern:
        sys.exit(f"{where}: ';' in pattern {pattern!r}")
    re.compile(pattern)


def check_transform(rule, where):
    if rule is not None and not re.fullmatch(r"\d*\\[1-9]", rule):
        sys.exit(f"{where}: unsupported transform rule {rule!r}")


def line_for(meta, region, name, is_main):
    where = f"{region}/+{meta.country_code}"
    desc = meta.general_desc
    lengths = [n for n in desc.possible_length if n > 0]
    local = list(desc.possible_length_local_only or ())
    if not lengths:
        sys.exit(f"{where}: no possible lengths")
    if lengths != sorted(lengths) or local != sorted(local):
        sys.exit(f"{where}: lengths are not sorted")
    trunk_parse = meta.national_prefix_for_parsing
    if trunk_parse is None and meta.national_prefix:
        trunk_parse = meta.national_prefix
    transform = meta.national_prefix_transform_rule or None
    for pattern in (meta.international_prefix, trunk_parse, desc.national_number_pattern):
        check_pattern(pattern, where)
    check_transform(transform, where)
    if transform is not None and re.compile(trunk_parse).groups == 0:
        sys.exit(f"{where}: transform rule without capture groups")
    if ";" in name:
        sys.exit(f"{where}: ';' in name")
    fields = [
        region,
        str(meta.country_code),
        "*" if is_main else "",
        meta.international_prefix or "",
        meta.national_prefix or "",
        trunk_parse or "",
        transform or "",
        desc.national_number_pattern,
        ",".join(map(str, lengths)),
        ",".join(map(str, local)),
        name,
    ]
    return ";".join(fields)


def generate():
    lines = []
    for region in sorted(SUPPORTED_REGIONS):
        meta = PhoneMetadata.metadata_for_region(region)
        name = _region_display_name(region, "en") or EXTRA_NAMES.get(region)
        if not name:
            sys.exit(f"{region}: no English name")
        is_main = COUNTRY_CODE_TO_REGION_CODE[meta.country_code][0] == region
        lines.append(line_for(meta, region, name, is_main))
    for code in sorted(COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        meta = PhoneMetadata.metadata_for_nongeo_region(code)
        lines.append(line_for(meta, "001", NON_GEO_NAMES[code], True))
    # Every calling code has exactly one main region: the first that phonenumbers lists.
    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        mains = [l for l in lines if l.split(";")[1] == str(code) and l.split(";")[2] == "*"]
        if len(mains) != 1 or not mains[0].startswith(regions[0] + ";"):
            sys.exit(f"+{code}: main region is not {regions[0]}")
    return lines


HEADER = """\
// GENERATED FILE: do not edit by hand.
// Made by scripts/generate_phone_metadata.py from the metadata of the Python package
// phonenumbers {version} (the Python port of Google's libphonenumber).
//
// The numbering data below is derived from libphonenumber's metadata:
//   {copyright}
//   Licensed under the Apache License, Version 2.0 (the "License"); you may not use this
//   data except in compliance with the License. You may obtain a copy of the License at
//   http://www.apache.org/licenses/LICENSE-2.0
//   Unless required by applicable law or agreed to in writing, software distributed under
//   the License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
//   KIND, either express or implied. See the License for the specific language governing
//   permissions and limitations under the License.
//
// One line per region ({count} lines); fields are explained in the generator script:
// region;callingCode;main;idd;trunk;trunkParse;transform;pattern;lengths;localLengths;name

/// Phone numbering metadata for every region known to libphonenumber, as text that
/// `PhoneNumberingPlanTable` reads once, on first use.
enum PhoneMetadata {{
    /// The version of the phonenumbers package the data was taken from.
    static let version = "{version}"

    /// One line per region, fields separated by `;` (see the file header).
    static let regions = #\"\"\"
"""

FOOTER = '''\
"""#
}
'''


def data_copyright():
    """The copyright line phonenumbers ships with its metadata."""
    init = Path(phonenumbers.__file__).parent / "data" / "__init__.py"
    for line in init.read_text(encoding="utf-8").splitlines():
        if "Copyright" in line:
            return line.lstrip("# ").strip()
    return "Copyright The Libphonenumber Authors"


def main():
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    lines = generate()
    text = HEADER.format(version=phonenumbers.__version__, count=len(lines), copyright=data_copyright())
    text += "\n".join(lines) + "\n" + FOOTER
    if '"""#' in "\n".join(lines):
        sys.exit("data would end the Swift raw string early")
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output} ({len(lines)} regions, phonenumbers {phonenumbers.__version__})")


if __name__ == "__main__":
    main()
