"""Matcher throughput, compile time and index memory, against a naive baseline.

    python -m bench.match [--mb 8] [--seed 2026]

Every input is generated from printed seeds (watchlist of N people: seed N;
corpus: --seed), and the run prints a SHA-256 of the corpus and of each
watchlist, so a run can be reproduced and compared with the README table.

Synthetic but realistic: watchlists of 10, 1,000 and 10,000 people (Kazakh and
Russian name parts, half typed in Latin, half in Cyrillic, plus a few cases and
keywords); articles in English, Russian and Kazakh built from a vocabulary of
real function words and generated words, with names sprinkled in. The naive
baseline is what a user writes first: one compiled `re.search(r"\\bterm\\b", re.I)`
per name, alias and term, run in the same process on the same text.
"""

import argparse
import gc
import hashlib
import os
import platform
import random
import re
import time
import tracemalloc
from collections.abc import Iterable

from matchers import compile_watchlist
from matchers.normalize import CYRILLIC_TO_LATIN
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


def watchlist(size: int, rng: random.Random) -> Watchlist:
    people = []
    seen: set[str] = set()
    while len(people) < size:
        name = f"{rng.choice(GIVEN)} {surname(rng)}"
        if name in seen:
            continue
        seen.add(name)
        if len(people) % 2:
            name = name.lower().translate(LATIN).title()
        people.append(Person(id=f"p{len(people)}", name=name))
    cases = (
        Case("qantar", "Bloody January", ("Кровавый январь", "Қанды Қаңтар")),
        Case("zhanaozen", "Zhanaozen", ("Жанаозен",)),
    )
    keywords = (Keyword("verdict", ("verdict", "sentenced", "приговор", "үкім"), urgent=True),)
    return Watchlist(tuple(people), cases, keywords)


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.0, help="corpus size in MB")
    parser.add_argument("--seed", type=int, default=2026, help="corpus seed")
    args = parser.parse_args(argv)
    lists = {size: watchlist(size, random.Random(size)) for size in (10, 1_000, 10_000)}
    articles = corpus(args.mb, random.Random(args.seed))
    total = sum(len(a.encode()) for a in articles) / 1e6
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at start; one core used"
    )
    print(
        f"corpus: seed {args.seed}, {len(articles)} articles, {total:.1f} MB (en/ru/kk), "
        f"sha256 {_digest(articles)}"
    )
    for size, w in lists.items():
        print(f"watchlist of {size:,} people: seed {size}, sha256 {_digest(map(repr, w.people))}")
    print()
    print(
        f"{'people':>7} {'compile s':>9} {'index MB':>8} {'cold MB/s':>9} {'warm MB/s':>9} "
        f"{'warm CPU':>9} {'naive CPU':>10} {'× naive':>8} {'alerts/MB':>9}"
    )
    results = {}
    for size, w in lists.items():
        gc.collect()
        tracemalloc.start()
        index_mb = _retained(lambda w=w: compile_watchlist(w))
        tracemalloc.stop()
        started = time.perf_counter()
        matcher = compile_watchlist(w)
        compile_s = time.perf_counter() - started
        matches = 0
        started = time.perf_counter()
        for text in articles:
            matches += sum(1 for m in matcher.match("", text) if m.deliverable)
        cold = total / (time.perf_counter() - started)
        warm, warm_cpu = throughput(lambda t, m=matcher: m.match("", t), articles, 10.0)
        _, slow_cpu = throughput(naive(terms_of(w)), articles, 8.0)
        results[size] = warm_cpu
        print(
            f"{size:>7} {compile_s:>9.2f} {index_mb:>8.1f} {cold:>9.1f} {warm:>9.1f} "
            f"{warm_cpu:>9.1f} {slow_cpu:>10.3f} {warm_cpu / slow_cpu:>8.0f} "
            f"{matches / total:>9.1f}"
        )
    print(f"\nslowdown from 10 to 10,000 people (CPU): {results[10] / results[10_000]:.2f}×")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
