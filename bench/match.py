"""Matcher throughput, compile time and index memory, against a naive baseline.

    python -m bench.match [--mb 8] [--seed 2026] [--against REV]

Every input is generated from printed seeds (watchlist of N people: seed N;
corpora: --seed), and the run prints a SHA-256 of each corpus and of each
watchlist, so a run can be reproduced and compared with the README table.

Synthetic but realistic: watchlists of 10, 1,000 and 10,000 people (Kazakh and
Russian name parts, half typed in Latin, half in Cyrillic, plus a few cases and
keywords); articles in English, Russian and Kazakh built from a vocabulary of
real function words and generated words. Two corpora: name-free (full of names,
none of them watched: every alert is noise) and hit-heavy (60 % of the articles
name one watched person, inflected or transliterated, a fifth carry an urgent
court word: court news does). The naive baseline is what a user writes first:
one compiled `re.search(r"\\bterm\\b", re.I)` per name, alias and term, run in
the same process on the same text. `--against REV` runs the matchers package of
a git revision on the same inputs in a child process, for old/new ratios taken
in one run. The cost of the full-text index documents (matchers.searchkeys)
per MB is printed too. CPU time is this process's: honest on a busy machine.
"""

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from matchers import Matcher, compile_watchlist
from matchers.normalize import CYRILLIC_TO_LATIN
from matchers.searchkeys import name_keys, search_doc
from matchers.watchlist import Case, Keyword, Person, Watchlist

SYLLABLES = (
    "аб ай ақ ал ам ан ар ас ат аш ба бе бо бұ да де дә до ер ес жа же жо жү за зе іс "
    "ка ке қа қо құ ла ле ма ме мо мұ на не нұ оз ом он ор ос са се сә со сұ та те тө "
    "тұ ха ша шо ың ыр ыс"
).split()
ENDINGS = ["ов", "ев", "баев", "беков", "ұлы", "ин", "ова", "жанов", "ғалиев", ""]


def surname(rng: random.Random) -> str:
    root = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return (root + rng.choice(ENDINGS)).capitalize()


GIVEN = (
    "Аслан Бауыржан Гүлнар Дина Ерлан Жанар Мадина Нұрлан Райхан Саят Тимур Ұлжан "
    "Асхат Ruslan Marat Aigul Dana Yerlan Arman Olzhas Saule"
).split()
EN = (
    "the a of to in and for on with was is that by said from at as his her court "
    "trial police lawyer appeal prison charges city government report minister people "
    "year told after before during against while new old official region protest"
).split()
RU = (
    "и в не на что с по к из за о у от как для суд по делу адвокат заявил полиция "
    "министр года после власти жители города журналисты сообщил области также"
).split()
KK = (
    "және мен бұл бойынша сот адвокат полиция министр жыл кейін билік тұрғындары қала "
    "облыс туралы деді хабарлады үшін бірақ тағы"
).split()
LATIN = str.maketrans(CYRILLIC_TO_LATIN)


def written_names(size: int, rng: random.Random) -> list[tuple[str, str]]:
    """(name as first made, in Cyrillic letters but for Latin given names; name as
    the watchlist types it: every other one in Latin letters), `size` distinct ones."""
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(names) < size:
        name = f"{rng.choice(GIVEN)} {surname(rng)}"
        if name in seen:
            continue
        seen.add(name)
        typed = name.lower().translate(LATIN).title() if len(names) % 2 else name
        names.append((name, typed))
    return names


def watchlist(size: int, rng: random.Random) -> Watchlist:
    people = tuple(
        Person(id=f"p{n}", name=typed) for n, (_, typed) in enumerate(written_names(size, rng))
    )
    cases = (
        Case("qantar", "Bloody January", ("Кровавый январь", "Қанды Қаңтар")),
        Case("zhanaozen", "Zhanaozen", ("Жанаозен",)),
    )
    keywords = (Keyword("verdict", ("verdict", "sentenced", "приговор", "үкім"), urgent=True),)
    return Watchlist(people, cases, keywords)


OTHER_SYLLABLES = ("гу ди ли ми ни пи ри ти фу цу чи лю рю вэ гэ фи ви").split()


def corpus(megabytes: float, rng: random.Random) -> list[str]:
    """~3 KB articles full of names, none of them watched: every alert is noise."""
    vocab = {"en": EN, "ru": RU, "kk": KK}
    # Unwatched surnames, from other syllables so that no skeleton equals a watched one.
    made = [
        "".join(rng.choice(OTHER_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        + rng.choice(ENDINGS)
        for _ in range(4000)
    ]
    articles, size = [], 0
    while size < megabytes * 1_000_000:
        lang = rng.choice(["en", "ru", "kk"])
        words = []
        while sum(len(w) + 1 for w in words) < 3000:
            r = rng.random()
            if r < 0.75:
                words.append(rng.choice(vocab[lang]))
            elif r < 0.9:
                words.append(rng.choice(made))
            elif r < 0.97:
                words.append(
                    "".join(
                        rng.choice("абвгдежзиклмнопрстуфхцшыэюяқғұ")
                        for _ in range(rng.randint(4, 11))
                    )
                )
            else:
                words.append(rng.choice(GIVEN) + ".")
        text = " ".join(words)
        if lang == "en":
            text = " ".join(
                w.lower().translate(LATIN).capitalize() if w[:1].isupper() else w.translate(LATIN)
                for w in text.split()
            )
        articles.append(text)
        size += len(text.encode())
    return articles


URGENT_FORMS = {
    "en": ("sentenced", "sentenced", "verdict"),
    "ru": ("приговор", "приговора", "приговором"),
    "kk": ("үкім", "үкімі", "үкімін"),
}
KK_CASES = ("", "тың", "дың", "ке", "ға", "ті", "ды", "пен", "нің", "да")


def _latin(word: str) -> str:
    return word.lower().translate(LATIN).capitalize()


def _surname_form(surname: str, lang: str, rng: random.Random) -> str:
    """The surname as an outlet in `lang` writes it in a sentence: inflected (Russian
    cases, Kazakh suffixes, English possessive), in Latin letters in English."""
    if lang == "en":
        return _latin(surname) + rng.choice(("", "", "'s"))
    if lang == "kk":
        return surname + rng.choice(KK_CASES)
    lower = surname.lower()
    if lower.endswith("ова"):
        return surname[:-1] + rng.choice(("а", "ой", "у"))
    if lower.endswith(("ов", "ев", "ин")):
        return surname + rng.choice(("", "а", "у", "ым", "е"))
    return surname


def _mention(name: str, lang: str, first: bool, rng: random.Random) -> str:
    given, surname = name.split()
    written = _surname_form(surname, lang, rng)
    if lang == "en":
        given = _latin(given)
    r = rng.random()
    if first and r < 0.7:
        return f"{given} {written}"
    if first and r < 0.85:
        return f"{given[0]}. {written}"
    return written


def hit_corpus(
    megabytes: float, rng: random.Random, names: list[tuple[str, str]]
) -> tuple[list[str], list[str | None]]:
    """~3 KB articles with sentences, like `corpus`, where 60 % name one watched person of
    `names` (`written_names`) once in full and 0-2 times more by the surname, inflected
    or in Latin letters, and a fifth carry an urgent court word (court news does).
    Returns (articles, the id of the person each names or None)."""
    vocab = {"en": EN, "ru": RU, "kk": KK}
    made = [
        "".join(rng.choice(OTHER_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        + rng.choice(ENDINGS)
        for _ in range(4000)
    ]
    articles: list[str] = []
    planted: list[str | None] = []
    size = 0
    while size < megabytes * 1_000_000:
        lang = rng.choice(["en", "ru", "kk"])
        words: list[str] = []
        length, capital = 0, True
        while length < 3000:
            r = rng.random()
            if r < 0.78:
                word = rng.choice(vocab[lang])
            elif r < 0.92:
                word = rng.choice(made)
            else:
                word = "".join(
                    rng.choice("абвгдежзиклмнопрстуфхцшыэюяқғұ") for _ in range(rng.randint(4, 11))
                )
            if lang == "en":
                word = word.translate(LATIN)
            if capital:
                word = word.capitalize()
            r = rng.random()
            capital = r < 0.07
            word += "." if capital else "," if r < 0.12 else ""
            words.append(word)
            length += len(word) + 1
        who = None
        if rng.random() < 0.6:
            n = rng.randrange(len(names))
            who = f"p{n}"
            places = sorted(rng.sample(range(len(words)), rng.randint(1, 3)))
            for k, place in enumerate(reversed(places)):
                words.insert(place, _mention(names[n][0], lang, k == len(places) - 1, rng))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), rng.choice(URGENT_FORMS[lang]))
        text = " ".join(words)
        articles.append(text)
        planted.append(who)
        size += len(text.encode())
    return articles, planted


def naive(terms: list[str]) -> "callable":  # type: ignore[valid-type]
    patterns = [re.compile(r"\b" + re.escape(t) + r"\b", re.IGNORECASE) for t in terms]
    return lambda text: [p.pattern for p in patterns if p.search(text)]


def terms_of(w: Watchlist) -> list[str]:
    names = [t for p in w.people for t in (p.name, *p.aliases, p.name.split()[-1])]
    cases = [t for c in w.cases for t in (c.name, *c.aliases)]
    return names + cases + [t for k in w.keywords for t in k.terms]


def throughput(fn: "callable", articles: list[str], budget: float) -> tuple[float, float]:  # type: ignore[valid-type]
    """(MB/s of wall time, MB/s of this process's CPU time) over as many articles as
    fit in `budget` seconds (at least one). CPU time stays honest on a busy machine."""
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    for text in articles:
        fn(text)
        done += len(text.encode())
        if time.perf_counter() - start > budget:
            break
    mb = done / 1_000_000
    return mb / (time.perf_counter() - start), mb / max(time.process_time() - cpu, 1e-9)


def _retained(build: "callable") -> float:  # type: ignore[valid-type]
    """MB still allocated while the built object is alive."""
    before = tracemalloc.get_traced_memory()[0]
    built = build()
    after = tracemalloc.get_traced_memory()[0]
    del built
    return (after - before) / 1e6


def _digest(parts: Iterable[str]) -> str:
    """First 16 hex digits of the SHA-256 of the parts, one per line."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\n")
    return digest.hexdigest()[:16]


class Cold(NamedTuple):
    wall: float  # MB/s
    found: float | None  # share of the planted people found, None on the name-free corpus
    noise: int  # people alerted though not named in the article


def _run_cold(matcher: "Matcher", articles: list[str], planted: list[str | None]) -> Cold:
    """One pass over the corpus (every distinct word seen for the first time): wall
    MB/s, planted people found (share), people alerted
    though not named in it (count)."""
    found = noise = 0
    started = time.perf_counter()
    for text, who in zip(articles, planted, strict=True):
        for m in matcher.match("", text):
            if not m.deliverable:
                continue
            if who is not None and m.entry_id == who:
                found += 1
            elif m.kind == "person":
                noise += 1  # somebody not named in the article
    mb = sum(len(a.encode()) for a in articles) / 1e6
    named = sum(1 for who in planted if who is not None)
    return Cold(mb / (time.perf_counter() - started), found / named if named else None, noise)


def _inputs(
    mb: float, seed: int, size: int
) -> tuple[Watchlist, dict[str, tuple[list[str], list[str | None]]]]:
    """The watchlist of `size` people and both corpora: name-free, and hit-heavy
    (its people planted, so the hit corpus is made per watchlist)."""
    names = corpus(mb, random.Random(seed))
    hits = hit_corpus(mb, random.Random(seed), written_names(size, random.Random(size)))
    return watchlist(size, random.Random(size)), {
        "name-free": (names, [None] * len(names)),
        "hit-heavy": hits,
    }


def _keys_cost(articles: list[str], budget: float) -> tuple[float, float]:
    """CPU MB/s of `search_doc` and of `name_keys` (matchers.searchkeys), in order."""
    doc = throughput(lambda t: search_doc("", t), articles, budget)[1]
    names = throughput(lambda t: name_keys("", t), articles, budget)[1]
    return doc, names


def _measure_child(args: argparse.Namespace) -> None:
    """The figures of this process's matchers package, as one JSON line (for --against)."""
    w, corpora = _inputs(args.mb, args.seed, args.child)
    matcher = compile_watchlist(w)
    out: dict[str, object] = {"digests": {k: _digest(a) for k, (a, _) in corpora.items()}}
    for kind, (articles, planted) in corpora.items():
        cold = _run_cold(matcher, articles, planted)
        warm_cpu = throughput(lambda t: matcher.match("", t), articles, args.budget)[1]
        out[kind] = {"cpu": warm_cpu, "found": cold.found, "noise": cold.noise}
        if args.keys:
            out[kind + " keys"] = _keys_cost(articles, args.budget)
    print(json.dumps(out))


def _against(rev: str, args: argparse.Namespace, size: int, keys: bool) -> dict[str, Any]:
    """Run the bench's measurements with the matchers package of git revision `rev`
    in a child process (same inputs, same interpreter) and return its figures."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", rev, "matchers", "core"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        # The child's first path entry is its working directory: the old packages win,
        # the bench itself comes from this tree.
        env = {**os.environ, "PYTHONPATH": str(root)}
        command = [sys.executable, "-m", "bench.match", "--child", str(size)]
        command += ["--mb", str(args.mb), "--seed", str(args.seed), "--budget", str(args.budget)]
        run = subprocess.run(
            command + (["--keys"] if keys else []),
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    figures: dict[str, Any] = json.loads(run.stdout.splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.0, help="corpus size in MB")
    parser.add_argument("--seed", type=int, default=2026, help="corpus seed")
    parser.add_argument("--sizes", default="10,1000,10000", help="watchlist sizes, comma-separated")
    parser.add_argument(
        "--budget", type=float, default=6.0, help="seconds per steady-state measurement"
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also run the matcher of this git revision, same inputs, in a child process",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--keys", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _measure_child(args)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at start; one core used; CPU = this process's"
    )
    if args.against:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", args.against], capture_output=True, text=True
        ).stdout.strip()
        print(f"old = the matchers of {args.against} ({sha}), same inputs, in a child process")
    print(
        "corpora: name-free = names, none watched (every alert is noise); hit-heavy = 60 % "
        "name a watched person\n(inflected, transliterated), a fifth an urgent court word "
        "(made per watchlist)"
    )
    old_col = f"{'old CPU':>8} {'× old':>6} " if args.against else ""
    header = (
        f"{'corpus':>9} {'people':>7} {'compile s':>9} {'index MB':>8} {'cold MB/s':>9} "
        f"{'warm MB/s':>9} {'warm CPU':>9} {old_col}{'naive CPU':>10} {'× naive':>8} "
        f"{'found':>6} {'noise/MB':>8}"
    )
    rows, results, keys_corpora = [], {}, {}
    for size in sizes:
        w, corpora = _inputs(args.mb, args.seed, size)
        for kind, (articles, _) in corpora.items():
            mb = sum(len(a.encode()) for a in articles) / 1e6
            print(
                f"{kind} corpus for {size:,} people: seed {args.seed}, {len(articles)} articles, "
                f"{mb:.1f} MB (en/ru/kk), sha256 {_digest(articles)}"
            )
        print(f"watchlist of {size:,} people: seed {size}, sha256 {_digest(map(repr, w.people))}")
        last = size == sizes[-1]
        old = _against(args.against, args, size, last) if args.against else None
        gc.collect()
        tracemalloc.start()
        index_mb = _retained(lambda w=w: compile_watchlist(w))
        tracemalloc.stop()
        started = time.perf_counter()
        matcher = compile_watchlist(w)
        compile_s = time.perf_counter() - started
        for kind, (articles, planted) in corpora.items():
            mb = sum(len(a.encode()) for a in articles) / 1e6
            cold = _run_cold(matcher, articles, planted)
            warm, warm_cpu = throughput(lambda t, m=matcher: m.match("", t), articles, args.budget)
            _, slow_cpu = throughput(naive(terms_of(w)), articles, args.budget)
            results[kind, size] = warm_cpu
            old_cells = ""
            if old is not None:
                if old["digests"][kind] != _digest(articles):
                    raise SystemExit(f"the child made another {kind} corpus")
                old_cpu = old[kind]["cpu"]
                old_cells = f"{old_cpu:>8.2f} {warm_cpu / old_cpu:>5.1f}× "
                if last:
                    keys_corpora[kind, "old"] = old[kind + " keys"]
            found = "—" if cold.found is None else f"{cold.found:.0%}"
            rows.append(
                f"{kind:>9} {size:>7} {compile_s:>9.2f} {index_mb:>8.1f} {cold.wall:>9.1f} "
                f"{warm:>9.1f} {warm_cpu:>9.1f} {old_cells}{slow_cpu:>10.3f} "
                f"{warm_cpu / slow_cpu:>8.0f} {found:>6} {cold.noise / mb:>8.1f}"
            )
            print(rows[-1], flush=True)
            if last:
                keys_corpora[kind, "new"] = _keys_cost(articles, args.budget)
    print()
    print(header)
    print("\n".join(rows))
    for kind in ("name-free", "hit-heavy"):
        if (kind, sizes[0]) in results and (kind, sizes[-1]) in results:
            slowdown = results[kind, sizes[0]] / results[kind, sizes[-1]]
            print(
                f"{kind}: slowdown from {sizes[0]:,} to {sizes[-1]:,} people (CPU) {slowdown:.2f}×"
            )
    print("\nsearch-key documents (matchers.searchkeys), CPU MB/s of article text:")
    for (kind, which), (doc, names) in sorted(keys_corpora.items()):
        both = 1 / (1 / doc + 1 / names)
        print(f"  {kind:>9} {which}: search_doc {doc:.1f}, name_keys {names:.1f}, both {both:.1f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
