"""Deterministic bench inputs: outlet feeds that read like court news, and the watchlist.

Half RSS 2.0, half Atom; about a third in Russian, a few in Kazakh, the rest in
English; HTML bodies of about 1 KB (escaped or CDATA). Most articles name a watched
person (court news does), some with an urgent keyword, so matching and storage do
the work they do on real outlets. Same seed, same bytes.
"""

import random
from html import escape
from pathlib import Path

from bench.match import GIVEN, LATIN, surname

EN = (
    "the court said on Tuesday that the trial of the activist will continue after the "
    "lawyer asked for more time to study the case files and the prosecutor objected while "
    "police detained several people outside the building in the city centre"
).split()
RU = (
    "суд во вторник заявил что процесс по делу активиста продолжится после того как "
    "адвокат попросил время на изучение материалов а прокурор возразил полиция задержала "
    "несколько человек у здания суда в центре города"
).split()
KK = (
    "сот сейсенбі күні белсенді ісі бойынша процесс жалғасатынын мәлімдеді адвокат іс "
    "материалдарымен танысуға уақыт сұрады прокурор қарсы болды полиция бірнеше адамды ұстады"
).split()
URGENT = {"en": "sentenced", "ru": "приговор", "kk": "үкім"}


def people(count: int, seed: int) -> list[str]:
    """`count` distinct invented names ("Given Surname"), half in Latin letters."""
    rng, names, seen = random.Random(seed), [], set()
    while len(names) < count:
        name = f"{rng.choice(GIVEN)} {surname(rng)}"
        if name not in seen:
            seen.add(name)
            names.append(name.lower().translate(LATIN).title() if len(names) % 2 else name)
    return names


def watchlist_yaml(names: list[str]) -> str:
    lines = ["defendants:"]
    lines += [f"  - {{id: p{i}, name: '{name}'}}" for i, name in enumerate(names)]
    lines += [
        "keywords:",
        "  - {id: verdict, terms: [sentenced, приговор, үкім], urgent: true}",
    ]
    return "\n".join(lines) + "\n"


def write_feeds(
    folder: Path, feeds: int, items: int, names: list[str], seed: int
) -> list[tuple[str, str]]:
    """Write the feeds; return (file name, language) per feed, in order."""
    rng = random.Random(seed)
    written = []
    for f in range(feeds):
        lang = "ru" if f % 3 == 1 else "kk" if f % 10 == 5 else "en"
        atom = f % 2 == 1
        entries = [_entry(f, i, lang, atom, names, rng) for i in range(items)]
        name = f"feed{f}.{'atom' if atom else 'xml'}"
        (folder / name).write_text(_document(f, atom, entries), encoding="utf-8")
        written.append((name, lang))
    return written


def _entry(f: int, i: int, lang: str, atom: bool, names: list[str], rng: random.Random) -> str:
    words = {"en": EN, "ru": RU, "kk": KK}[lang]
    body = [rng.choice(words) for _ in range(140)]
    if names and rng.random() < 0.6:  # most court news names somebody we watch
        body.insert(rng.randrange(len(body)), rng.choice(names))
    if rng.random() < 0.2:
        body.insert(rng.randrange(len(body)), URGENT[lang])
    half = len(body) // 2
    html = f"<p>{' '.join(body[:half])}</p><p>{' '.join(body[half:])} <a href='/m/{i}'>…</a></p>"
    title = escape(" ".join(rng.choice(words) for _ in range(8)).capitalize())
    link = f"https://outlet{f}.example/{lang}/news/{i}"
    minute = f"{i % 60:02d}"
    if atom:
        return (
            f"<entry><title>{title}</title><link href='{link}'/><id>urn:feed{f}:{i}</id>"
            f"<updated>2026-11-21T10:{minute}:00Z</updated>"
            f"<content type='html'>{escape(html)}</content></entry>"
        )
    return (
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Sat, 21 Nov 2026 10:{minute}:00 +0000</pubDate>"
        f"<description><![CDATA[{html}]]></description></item>"
    )


def _document(f: int, atom: bool, entries: list[str]) -> str:
    head = '<?xml version="1.0" encoding="utf-8"?>'
    if atom:
        return (
            f'{head}<feed xmlns="http://www.w3.org/2005/Atom"><title>Outlet {f}</title>'
            f"<id>urn:feed{f}</id><updated>2026-11-21T10:00:00Z</updated>"
            f"{''.join(entries)}</feed>"
        )
    return (
        f'{head}<rss version="2.0"><channel><title>Outlet {f}</title>'
        f"<link>https://outlet{f}.example/</link>{''.join(entries)}</channel></rss>"
    )
