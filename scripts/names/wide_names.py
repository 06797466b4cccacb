#!/usr/bin/env python3
"""Writes Sources/Stages/Redaction/Names/WideNameLists.swift: given names and surnames from
published lists, kept only where they cannot be mistaken for a word.

    scripts/names/wide-names.sh            # downloads the pinned sources, runs this

Sources (pinned, licences checked):
- Faker 40.63.0 (MIT, (c) 2012 Daniele Faraglia): the first names (by gender) and last names of
  its person providers in Latin script, every locale.
- names 0.3.0 (MIT, Trey Hunner): the 1990 US Census name files (a US government work, public
  domain): every given name, the surnames up to SURNAME_RANK.

A name is dropped when it is a word: in the Debian word lists (wamerican, wbritish, wswedish)
in small letters, in our own lists of common words, proper nouns that are no people, cue words
or names that are words (the curated lexicon, read from the Swift sources), or shorter than
four letters. Names already in the curated lists are left to them. What remains is a name in
any case and position to the detector (rule 1 of PersonDetector), so the filters are strict.
"""
import importlib
import os
import re
import sys
import unicodedata

FAKER_DIR, NAMES_DIR, REPO = sys.argv[1], sys.argv[2], sys.argv[3]
SURNAME_RANK = 40000
# Three-letter names are too often chat ("irl", "ngl"), abbreviations or foreign words ("día").
MIN_LETTERS = 4
OUT = os.path.join(REPO, "Sources/Stages/Redaction/Names/WideNameLists.swift")

LATIN = re.compile(r"^[a-zà-öø-ÿā-ž]+(?:[-'][a-zà-öø-ÿā-ž]+)*$")


# The accents WordHash reads as their plain letter ("Siobhán" = "siobhan", "tùng" = "tung"):
# acute and grave on a, i, o, u, y, grave on e (é stays: Swedish "idé").
PLAIN = str.maketrans("àáèìíòóùúý", "aaeiioouuy")
# Letters NFKD does not take apart.
FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d"})


def norm(name):
    """A word as the detector's hash reads it: small letters, NFC, accents folded as WordHash does."""
    return unicodedata.normalize("NFC", name.strip().lower().replace("’", "'")).translate(PLAIN)


def curated():
    """Every word of the Swift lexicon lists, and which of them are names."""
    words, names = set(), set()
    folder = os.path.join(REPO, "Sources/Stages/Redaction/Names")
    for file in os.listdir(folder):
        if not file.endswith(".swift") or file == os.path.basename(OUT):
            continue
        src = open(os.path.join(folder, file), encoding="utf-8").read()
        for m in re.finditer(r'static let (\w+) = """\n(.*?)"""', src, re.S):
            entries = {norm(l) for l in m.group(2).split("\n") if l.strip() and not l.strip().startswith("//")}
            is_name = re.search(r"(Given|Surnames|Nicknames)$", m.group(1)) is not None
            if is_name:
                names.update(entries)
            else:
                # Multi-word entries ("new york") make each of their words a word too.
                words.update(entries)
                words.update(part for e in entries for part in e.split(" "))
    return words, names


def dictionary_words():
    words = set()
    for f, encoding in (("american-english", "utf-8"), ("british-english", "utf-8"), ("swedish", "latin-1")):
        path = os.path.join("/usr/share/dict", f)
        for line in open(path, encoding=encoding):
            w = line.strip()
            if w and not w[0].isupper():  # capitalised entries are proper nouns, names among them
                words.add(norm(w.split("'")[0]))
    return words


def faker_names():
    sys.path.insert(0, FAKER_DIR)
    base = os.path.join(FAKER_DIR, "faker/providers/person")
    female, male, surnames = set(), set(), set()
    for loc in sorted(os.listdir(base)):
        if not os.path.isdir(os.path.join(base, loc)) or loc.startswith("__"):
            continue
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        def read(attr):
            v = provider.__dict__.get(attr)
            if v is None:
                for cls in provider.__mro__[1:]:
                    if cls.__module__.startswith(f"faker.providers.person.{loc}"):
                        v = cls.__dict__.get(attr)
            if isinstance(v, dict):
                return list(v.keys())
            if isinstance(v, (list, tuple)):
                return list(v)
            return []
        female.update(norm(x) for x in read("first_names_female"))
        male.update(norm(x) for x in read("first_names_male"))
        surnames.update(norm(x) for x in read("last_names"))
    return female, male, surnames


def census_names():
    def read(f, limit=None):
        out = []
        for line in open(os.path.join(NAMES_DIR, f), encoding="ascii"):
            out.append(norm(line.split()[0]))
            if limit and len(out) >= limit:
                break
        return out
    return set(read("dist.female.first")), set(read("dist.male.first")), set(read("dist.all.last", SURNAME_RANK))


def main():
    words, known = curated()
    dictionary = dictionary_words()
    ff, fm, fs = faker_names()
    cf, cm, cs = census_names()
    female, male, surnames = ff | cf, fm | cm, fs | cs

    def is_word(w):
        # "chao" is no name here: the tokenizer reads "chaos" as a genitive of it when "chaos" is
        # in no list, so a name whose genitive is a word goes too.
        return any(f in words or f in dictionary for f in (w, w + "s"))

    def keep(name):
        parts = re.split(r"[-']", name)
        return (LATIN.match(name) is not None and len("".join(parts)) >= MIN_LETTERS and name not in known
                and not is_word(name) and not any(is_word(p) for p in parts if len(p) >= MIN_LETTERS))

    # Chat often drops the marks of foreign names ("radoslaw", "soren"): each name also as
    # written without them, where that is no word either.
    def folded(names):
        out = set(names)
        for n in names:
            plain = unicodedata.normalize("NFKD", n.translate(FOLD))
            plain = "".join(c for c in plain if not unicodedata.combining(c))
            if plain != n and plain.isascii():
                out.add(plain)
        return out

    female, male, surnames = folded(female), folded(male), folded(surnames)
    given = {n for n in female | male if keep(n)}
    lists = {
        "wideFemaleGiven": sorted(n for n in given if n in female and n not in male),
        "wideMaleGiven": sorted(n for n in given if n in male and n not in female),
        "wideUnisexGiven": sorted(n for n in given if n in male and n in female),
        "wideSurnames": sorted(n for n in surnames if keep(n) and n not in given),
    }
    with open(OUT, "w", encoding="utf-8") as out:
        out.write("// Written by scripts/names/wide-names.sh — do not edit; edit the curated lists instead.\n")
        out.write("// Given names and surnames from Faker 40.63.0 (MIT, (c) 2012 Daniele Faraglia; every locale's\n")
        out.write("// Latin-script person names) and the 1990 US Census name files (public domain) as shipped in\n")
        out.write("// names 0.3.0 (MIT), without every name that is a word (Debian's wamerican, wbritish and\n")
        out.write("// wswedish lists, the curated lists), shorter than four letters, or already curated.\n")
        out.write("extension NameLexicon {\n")
        for name, entries in lists.items():
            out.write(f'    static let {name} = """\n')
            for e in entries:
                out.write(f"        {e}\n")
            out.write('        """\n\n')
        out.write("}\n")
    for name, entries in lists.items():
        print(f"{name}: {len(entries)}", file=sys.stderr)


main()
