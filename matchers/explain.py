"""What a watchlist entry will find, for `trialwatch match --explain`. Pure: no I/O.

For a person: the parts the matcher uses, then the entry's name respelt by the
usual romanisation systems and scripts, each with Russian, Kazakh and English
forms, every one checked against the compiled matcher: "found" is what the
matcher really finds, and a "NOT found" line is a spelling to add as an alias.
For a keyword: its terms, what the court lexicon adds, each word's family stem
and the sense-changing phrases. For a case: its names and a few forms.
"""

from matchers.compile import CompiledWatchlist
from matchers.families import expand_terms, family_of
from matchers.match import Matcher
from matchers.names import is_female_given_name, split_name
from matchers.normalize import has_cyrillic, skeleton, tokenize
from matchers.watchlist import Case, Keyword, Person

# Cyrillic → Latin by system: passport/ICAO-like, BGN-like, Kazakh Latin 2021,
# Russian-style "j", and French-style "ou" (known to need an alias).
_LATIN_SYSTEMS = {
    "passport": {"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "й": "i",
                 "ы": "y", "ю": "iu", "я": "ia", "ъ": "", "ь": "", "ё": "e", "э": "e", "ә": "a",
                 "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i"},
    "BGN/PCGN": {"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "й": "y",
                 "ы": "y", "ю": "yu", "я": "ya", "ъ": "", "ь": "", "ё": "yo", "э": "e", "ә": "a",
                 "ғ": "gh", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i"},
    "Kazakh Latin 2021": {"ж": "j", "х": "h", "ц": "ts", "ч": "ç", "ш": "ş", "щ": "şş",
                          "й": "i", "ы": "y", "ю": "iu", "я": "ia", "ъ": "", "ь": "", "ё": "io",
                          "э": "e", "ә": "ä", "ғ": "ğ", "қ": "q", "ң": "ñ", "ө": "ö", "ұ": "ū",
                          "ү": "ü", "һ": "h", "і": "ı"},
    "German/Polish-style j": {"ж": "sh", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch",
                              "щ": "schtsch", "й": "j", "ы": "y", "ю": "ju", "я": "ja", "ъ": "",
                              "ь": "", "ё": "jo", "э": "e", "ә": "a", "ғ": "g", "қ": "k",
                              "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i"},
    "French-style ou": {"ж": "j", "х": "kh", "ц": "ts", "ч": "tch", "ш": "ch", "щ": "chtch",
                        "й": "i", "ы": "y", "ю": "iou", "я": "ia", "у": "ou", "ъ": "", "ь": "",
                        "ё": "io", "э": "e", "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o",
                        "ұ": "ou", "ү": "u", "һ": "h", "і": "i"},
}  # fmt: skip
_PLAIN = dict(zip("абвгдезиклмнопрстуф", "abvgdeziklmnoprstuf", strict=True))
# Latin → Russian Cyrillic, digraphs first: a best guess, checked like any other spelling.
# fmt: off
_TO_CYRILLIC = [
    ("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"),
    ("ya", "я"), ("iu", "ю"), ("ia", "я"), ("ye", "е"), ("ay", "ай"), ("ey", "ей"), ("oy", "ой"),
    ("uy", "уй"), ("iy", "ий"), ("yy", "ый"), ("q", "к"), ("gh", "г"), ("j", "ж"), ("x", "х"),
    ("h", "х"), ("y", "ы"), ("w", "у"),
]
# fmt: on


def _romanise(word: str, table: dict[str, str]) -> str:
    out = "".join(table.get(c, _PLAIN.get(c, c)) for c in word.lower())
    return out[:1].upper() + out[1:]


def _cyrillic_guess(word: str) -> str:
    out = word.lower()
    for latin, cyrillic in _TO_CYRILLIC:
        out = out.replace(latin, cyrillic)
    out = "".join({v: k for k, v in _PLAIN.items()}.get(c, c) for c in out)
    return out[:1].upper() + out[1:]


def _spellings(word: str) -> dict[str, str]:
    """The word in each script and system: {label: spelling}."""
    if has_cyrillic(word):
        out = {"as written": word}
        out.update({name: _romanise(word, t) for name, t in _LATIN_SYSTEMS.items()})
        return out
    cyrillic = _cyrillic_guess(word)
    out = {"as written": word, "Cyrillic (best guess)": cyrillic}
    out.update({name: _romanise(cyrillic, t) for name, t in _LATIN_SYSTEMS.items()})
    return out


def _person_forms(given: str, surname: str, female: bool) -> list[tuple[str, str]]:
    """(what, text) samples: the full name inflected the usual ways in its script."""
    if has_cyrillic(surname):
        fem = surname.endswith(("ова", "ева", "ина"))
        base = surname[:-1] if fem else surname
        russian = [base + "ой"] if fem else [surname + "а", surname + "ым"]
        kazakh = [surname + "тың", surname + "ға" if fem else surname + "ке"]
        return (
            [("nominative", f"{given} {surname}")]
            + [("Russian case", f"{given} {f}") for f in russian]
            + [("Kazakh suffix", f"{given} {f}") for f in kazakh]
        )
    latin_kk = surname + ("nyñ" if surname[-1:] in "aeiou" else "tyñ")
    return [
        ("nominative", f"{given} {surname}"),
        ("English possessive", f"{given} {surname}'s"),
        ("reversed order", f"{surname} {given}"),
        ("Kazakh Latin suffix", f"{given} {latin_kk}"),
    ]


def explain(matcher: Matcher, query: str) -> list[str]:
    """Lines describing the entry whose id (or name, or term) is `query`."""
    watchlist = matcher.watchlist
    wanted = query.strip().casefold()
    for person in watchlist.people:
        if wanted in (person.id.casefold(), person.name.casefold()):
            return _explain_person(matcher, person)
    for keyword in watchlist.keywords:
        if wanted == keyword.id.casefold() or wanted in (t.casefold() for t in keyword.terms):
            return _explain_keyword(matcher.index, keyword)
    for case in watchlist.cases:
        if wanted in (case.id.casefold(), case.name.casefold()):
            return _explain_case(matcher, case)
    return [f"no entry with the id or name {query!r} in the watchlist"]


def _explain_person(matcher: Matcher, person: Person) -> list[str]:
    parts = split_name(person.name, person.surname)
    female = any(is_female_given_name(g) for g in parts.given) or skeleton(parts.surname).endswith(
        ("ova", "eva", "ina")
    )
    lines = [
        f"{person.id}: {person.name} ({'woman' if female else 'man'}'s entry"
        f"{', common: the surname alone is not enough' if person.common else ''})",
        f"  surname {parts.surname!r} (key {skeleton(parts.surname)}), "
        f"given {', '.join(parts.given) or '-'}; aliases: {', '.join(person.aliases) or '-'}",
        "  spellings of the full name the matcher finds (found) and does not (NOT found):",
    ]
    given = parts.given[0] if parts.given else ""
    missing, seen = [], set()
    for label, surname in _spellings(parts.surname).items():
        given_spelt = _spellings(given).get(label, given) if given else ""
        for what, text in _person_forms(given_spelt, surname, female):
            if text in seen:
                continue
            seen.add(text)
            hit = next((m for m in matcher.match("", text) if m.entry_id == person.id), None)
            ok = hit is not None and hit.deliverable
            reason = f"{hit.reason} {hit.score:.2f}" if hit is not None else "-"
            lines.append(f"    {'found    ' if ok else 'NOT found'}  {label:22} {what:20} {text}"
                         f"  ({reason})")  # fmt: skip
            if not ok:
                missing.append(text)
    if missing:
        lines.append(
            "  a spelling you expect in the news among the NOT found? add it under aliases:"
        )
    return lines


def _explain_keyword(index: CompiledWatchlist, keyword: Keyword) -> list[str]:
    expansion = expand_terms(keyword.terms, exact=keyword.exact)
    lines = [
        f"{keyword.id}: {'urgent ' if keyword.urgent else ''}keyword"
        f"{' (exact: no lexicon, no families)' if keyword.exact else ''}",
        f"  terms as written: {', '.join(keyword.terms)}",
    ]
    if expansion.concepts:
        lines.append(f"  court lexicon concept(s): {', '.join(expansion.concepts)}; adds:")
        lines.append(f"    {', '.join(expansion.added)}")
    if not keyword.exact:
        lines.append("  word families (stem: any derivation and ending from the tables):")
        for term in expansion.terms:
            if term.endswith("*"):
                lines.append(f"    {term}: every word starting with {term[:-1]!r}")
            elif len(tokenize(term)) == 1:
                family = family_of(term)
                stem = f"{family.stem}…" if family else "none (stem under 5 letters)"
                lines.append(f"    {term}: {stem}")
    if expansion.context:
        lines.append("  scored below the line inside: " + ", ".join(expansion.context))
    if keyword.scope:
        lines.append(f"  only with one of: {', '.join(keyword.scope)}")
    if keyword.exclude:
        lines.append(f"  vetoed in a sentence with: {', '.join(keyword.exclude)}")
    return lines


def _explain_case(matcher: Matcher, case: Case) -> list[str]:
    lines = [f"{case.id}: case {case.name!r}", "  names (each word inflects, any script):"]
    for name in (case.name, *case.aliases):
        found = any(m.entry_id == case.id for m in matcher.match("", name))
        lines.append(f"    {'found    ' if found else 'NOT found'}  {name}")
    if case.everyday:
        lines.append(f"  everyday phrases (need a region): {', '.join(case.everyday)}")
    for pattern in case.together:
        lines.append("  together in one sentence: " + " + ".join("|".join(g) for g in pattern))
    return lines
