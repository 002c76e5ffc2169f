"""The watchlist: who and what the user follows. Pure: parses text, does no I/O.

defendants:                 # people; `people:` is accepted as a synonym
  - id: kulekbayev
    name: Ruslan Kulekbayev # any script; given name(s) then surname
    aliases: [Кулекбаев Руслан]
    surname: Kulekbayev     # optional, when the order is unusual
    common: false           # true: the surname alone is not enough
    exclude: [wrestler]     # phrases that veto a match in the same sentence
cases:
  - id: bloody-january
    name: Bloody January
    aliases: [Кровавый январь, Қанды Қаңтар]
    together:               # optional: every group in one sentence; a|b = either
      - [January, 2022, protests|unrest]
    everyday: [January events]   # aliases that are everyday phrases: need a region
keywords:
  - id: verdict
    terms: [verdict, sentenced, приговор, үкім]
    urgent: true            # a person/case match with this keyword is sent at once
    with: [Kazakhstan, Казахстан]   # optional scope: only when one of these appears
    exact: false            # true: no court-lexicon languages, no word families
  - id: charge
    terms: [обвин*]         # word*: every word that starts so (обвинение, обвинительный)
regions:                    # places that make a story regional; each item is a
  - [Kazakhstan, Kazakh, казахстанский]   # display name, then other names and forms
  - Almaty                  # or just a name
"""

import re
from dataclasses import dataclass
from typing import Any

from core.yamlconf import (
    Located,
    check_keys,
    load_located,
    records,
    text_list,
    text_value,
    unique_ids,
)

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
ID_RULE = "use lowercase letters, digits, - and _"
PREFIX_TERM = re.compile(r"[^*]*(?<=\w\w\w)\*?\Z|[^*]*\Z")


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    surname: str | None = None
    common: bool = False
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    together: tuple[tuple[tuple[str, ...], ...], ...] = ()
    exclude: tuple[str, ...] = ()
    everyday: tuple[str, ...] = ()  # aliases that are everyday phrases: need a region too


@dataclass(frozen=True, slots=True)
class Keyword:
    id: str
    terms: tuple[str, ...]
    urgent: bool = False
    scope: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exact: bool = False  # no lexicon expansion, no word families: the terms as written


@dataclass(frozen=True, slots=True)
class Region:
    """A place (country, region, city, court) that makes a story regional."""

    name: str  # shown in messages
    aliases: tuple[str, ...] = ()  # other names, adjective and demonym forms


@dataclass(frozen=True, slots=True)
class Watchlist:
    people: tuple[Person, ...] = ()
    cases: tuple[Case, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    regions: tuple[Region, ...] = ()

    def entry_ids(self) -> list[str]:
        """Every entry's id: people, then cases, then keywords."""
        return [
            *(p.id for p in self.people),
            *(c.id for c in self.cases),
            *(k.id for k in self.keywords),
        ]

    def name_of(self, entry_id: str) -> str:
        """The display name of an entry, or its id when it is gone from the list."""
        entries: tuple[Person | Case, ...] = (*self.people, *self.cases)
        names = {e.id: e.name for e in entries}
        return names.get(entry_id, entry_id)


SECTIONS = {"defendants", "people", "cases", "keywords", "regions"}
PERSON_KEYS = {"id", "name", "aliases", "surname", "common", "exclude"}
CASE_KEYS = {"id", "name", "aliases", "together", "exclude", "everyday"}
KEYWORD_KEYS = {"id", "terms", "urgent", "with", "exclude", "exact"}


def parse_watchlist(text: str, path: str = "watchlist.yaml") -> Watchlist:
    """Parse and validate a watchlist; raise `ConfigError` listing every problem."""
    located = load_located(text, path)
    if located.data is None:
        located.data = {}
    if not isinstance(located.data, dict):
        located.problem("", "expected a mapping with defendants:, cases: and keywords:")
        located.check()
    for name in sorted(located.data.keys() - SECTIONS):
        located.problem(name, "unknown section; use defendants, cases, keywords or regions")
    people = [
        _person(located, key, item)
        for section in ("defendants", "people")
        for key, item in records(located, section)
    ]
    cases = [_case(located, key, item) for key, item in records(located, "cases")]
    keywords = [_keyword(located, key, item) for key, item in records(located, "keywords")]
    regions = _regions(located, located.data.get("regions"))
    entries: list[tuple[str, Person | Case | Keyword]] = [*people, *cases, *keywords]
    keyed = [(key, entry.id) for key, entry in entries if entry.id]
    unique_ids(located, keyed, lambda i: bool(ID_PATTERN.match(i)), ID_RULE)
    located.check()
    return Watchlist(
        people=tuple(entry for _, entry in people),
        cases=tuple(entry for _, entry in cases),
        keywords=tuple(entry for _, entry in keywords),
        regions=regions,
    )


def _person(located: Located, key: str, item: dict[str, Any]) -> tuple[str, Person]:
    check_keys(located, key, item, {"id", "name"}, PERSON_KEYS)
    name = _text(located, key, item, "name")
    surname = None
    if item.get("surname") is not None:
        surname = text_value(located, f"{key}.surname", item["surname"])
        if surname and name and surname.casefold() not in name.casefold():
            located.problem(f"{key}.surname", f"{surname!r} is not a word of the name {name!r}")
    return key, Person(
        id=_ident(located, key, item),
        name=name,
        aliases=tuple(text_list(located, f"{key}.aliases", item.get("aliases"))),
        surname=surname,
        common=_flag(located, f"{key}.common", item.get("common", False)),
        exclude=tuple(text_list(located, f"{key}.exclude", item.get("exclude"))),
    )


def _case(located: Located, key: str, item: dict[str, Any]) -> tuple[str, Case]:
    check_keys(located, key, item, {"id", "name"}, CASE_KEYS)
    return key, Case(
        id=_ident(located, key, item),
        name=_text(located, key, item, "name"),
        aliases=tuple(text_list(located, f"{key}.aliases", item.get("aliases"))),
        together=_together(located, f"{key}.together", item.get("together")),
        exclude=tuple(text_list(located, f"{key}.exclude", item.get("exclude"))),
        everyday=tuple(text_list(located, f"{key}.everyday", item.get("everyday"))),
    )


def _regions(located: Located, value: Any) -> tuple[Region, ...]:
    """`regions:` items are a name, or a list: the name shown, then other forms."""
    if value is None:
        return ()
    if not isinstance(value, list):
        located.problem("regions", "expected a list of places like [Almaty, [Kazakhstan, Kazakh]]")
        return ()
    regions = []
    for index, item in enumerate(value):
        key = f"regions[{index}]"
        if isinstance(item, list):
            names = text_list(located, key, item)
            if not names and not item:
                located.problem(key, "an empty list: write the place's name, then other forms")
        else:
            name = text_value(located, key, item)
            names = [name] if name else []
        if names:
            regions.append(Region(names[0], tuple(names[1:])))
    return tuple(regions)


def _keyword(located: Located, key: str, item: dict[str, Any]) -> tuple[str, Keyword]:
    check_keys(located, key, item, {"id", "terms"}, KEYWORD_KEYS)
    terms = text_list(located, f"{key}.terms", item.get("terms"))
    if "terms" in item and not terms and isinstance(item.get("terms"), list):
        located.problem(f"{key}.terms", "must list at least one term")
    for term in terms:
        if not PREFIX_TERM.match(term):
            located.problem(
                f"{key}.terms",
                f"{term!r}: * may only end a word of three or more letters (обвин*, convict*)",
            )
    return key, Keyword(
        id=_ident(located, key, item),
        terms=tuple(terms),
        urgent=_flag(located, f"{key}.urgent", item.get("urgent", False)),
        scope=tuple(text_list(located, f"{key}.with", item.get("with"))),
        exclude=tuple(text_list(located, f"{key}.exclude", item.get("exclude"))),
        exact=_flag(located, f"{key}.exact", item.get("exact", False)),
    )


def _together(located: Located, key: str, value: Any) -> tuple[tuple[tuple[str, ...], ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, list) for p in value):
        located.problem(key, "expected a list of patterns, each a list like [January, 2022, a|b]")
        return ()
    patterns = []
    for index, pattern in enumerate(value):
        groups = text_list(located, f"{key}[{index}]", pattern)
        if len(groups) < 2:
            located.problem(f"{key}[{index}]", "a pattern needs at least two groups")
            continue
        patterns.append(tuple(tuple(a.strip() for a in g.split("|") if a.strip()) for g in groups))
    return tuple(patterns)


def _ident(located: Located, key: str, item: dict[str, Any]) -> str:
    return _text(located, key, item, "id")


def _text(located: Located, key: str, item: dict[str, Any], name: str) -> str:
    """A required text field; a missing one was already reported by `check_keys`."""
    if name not in item:
        return ""
    return text_value(located, f"{key}.{name}", item[name]) or ""


def _flag(located: Located, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        located.problem(key, f"expected true or false, got {value!r}")
        return False
    return value
