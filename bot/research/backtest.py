"""Backtest a watchlist: what it would have matched in the stored archive,
against the current one, and how many alerts a day it would have caused.

    for each stored article (streamed):       # storage.search.iter_articles
        now = current matcher's deliverable matches
        new = new matcher's deliverable matches
        per entry: kept / added / lost, samples, alerts per UTC day (new list)

Pure apart from the article stream it is given: no database, no network, no
clock; it sends nothing. An entry firing more than `max_per_day` times on one
day is flagged: CourtListener refuses alerts that would fire that often, and
a channel that noisy stops being read.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from core.records import Match
from core.research import StoredArticle
from matchers import Matcher, Watchlist

SAMPLES = 3
MAX_PER_DAY = 10  # default warning level, alerts per entry per day


@dataclass(frozen=True, slots=True)
class Sample:
    """An article an entry would add or lose: what a user reads to judge the change."""

    title: str
    url: str
    form: str
    score: float


@dataclass
class EntryChange:
    entry_id: str
    name: str
    now: int = 0  # articles the current list matches (deliverable)
    new: int = 0  # articles the new list matches
    added: list[Sample] = field(default_factory=list)  # samples; counts below
    lost: list[Sample] = field(default_factory=list)
    added_count: int = 0
    lost_count: int = 0
    per_day: Counter[date] = field(default_factory=Counter)  # new list, by article day

    @property
    def busiest(self) -> tuple[date, int] | None:
        return self.per_day.most_common(1)[0] if self.per_day else None


@dataclass
class BacktestReport:
    articles: int = 0
    first: datetime | None = None
    last: datetime | None = None
    alerts_now: Counter[date] = field(default_factory=Counter)  # articles sent, by day
    alerts_new: Counter[date] = field(default_factory=Counter)
    entries: dict[str, EntryChange] = field(default_factory=dict)

    def days(self, since: datetime | None, until: datetime) -> int:
        """Days the backtest covers: from `since` (else the first article) to `until`."""
        start = since or self.first or until
        return max(1, round((until - start).total_seconds() / 86400))

    def noisy(self, max_per_day: int) -> list[tuple[EntryChange, date, int]]:
        """Entries that would have fired more than `max_per_day` times on one day."""
        found = []
        for entry in self.entries.values():
            busiest = entry.busiest
            if busiest and busiest[1] > max_per_day:
                found.append((entry, *busiest))
        return found


def backtest(
    articles: Iterable[StoredArticle],
    current: Matcher,
    new: Matcher,
    *,
    progress: Callable[[], object] = lambda: None,
) -> BacktestReport:
    """Run both matchers over `articles`; `progress` is called once per article."""
    report = BacktestReport()
    names = {**_names(current.watchlist), **_names(new.watchlist)}
    for entry_id, name in names.items():
        report.entries[entry_id] = EntryChange(entry_id, name)
    for article in articles:
        _one(report, article, _best(current, article), _best(new, article))
        progress()
    return report


def _one(
    report: BacktestReport,
    article: StoredArticle,
    now: dict[str, Match],
    new: dict[str, Match],
) -> None:
    when = article.published or article.seen
    report.articles += 1
    report.first = min(report.first or when, when)
    report.last = max(report.last or when, when)
    if now:
        report.alerts_now[when.date()] += 1
    if new:
        report.alerts_new[when.date()] += 1
    for entry_id in now.keys() | new.keys():
        entry = report.entries[entry_id]
        entry.now += entry_id in now
        if entry_id in new:
            entry.new += 1
            entry.per_day[when.date()] += 1
        if entry_id in new and entry_id not in now:
            entry.added_count += 1
            _sample(entry.added, article, new[entry_id])
        elif entry_id in now and entry_id not in new:
            entry.lost_count += 1
            _sample(entry.lost, article, now[entry_id])


def _sample(samples: list[Sample], article: StoredArticle, m: Match) -> None:
    if len(samples) < SAMPLES:
        samples.append(Sample(article.title, article.url, m.form, m.score))


def _best(matcher: Matcher, article: StoredArticle) -> dict[str, Match]:
    """The deliverable matches of an article, by entry: what would have been sent."""
    found = matcher.match(article.title, article.text, article.lang)
    return {m.entry_id: m for m in found if m.deliverable}


def _names(watchlist: Watchlist) -> dict[str, str]:
    return {entry_id: watchlist.name_of(entry_id) for entry_id in watchlist.entry_ids()}


def per_day_text(count: int, days: int) -> str:
    return f"{count / days:.2f}"


def entry_lines(report: BacktestReport, days: int) -> list[str]:
    """The per-entry table and samples, as printed by `trialwatch backtest`."""
    rows = [("entry", "now", "new", "added", "lost", "a day", "busiest day")]
    for e in sorted(report.entries.values(), key=lambda e: e.entry_id):
        busiest = e.busiest
        rows.append(
            (
                e.entry_id,
                str(e.now),
                str(e.new),
                f"+{e.added_count}",
                f"-{e.lost_count}",
                per_day_text(e.new, days),
                f"{busiest[1]} on {busiest[0].isoformat()}" if busiest else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for e in sorted(report.entries.values(), key=lambda e: e.entry_id):
        for sign, samples, count in (("+", e.added, e.added_count), ("-", e.lost, e.lost_count)):
            if samples:
                lines.append(f"{e.entry_id} {'adds' if sign == '+' else 'loses'} {count}, e.g.:")
            lines += [f"  {sign} {s.title} | {s.form} | {s.score:.2f}" for s in samples]
    return lines


def render_report(
    report: BacktestReport, *, since: datetime | None, until: datetime, max_per_day: int
) -> str:
    """The whole backtest report as text."""
    days = report.days(since, until)
    sent_now, sent_new = sum(report.alerts_now.values()), sum(report.alerts_new.values())
    lines = [
        f"{report.articles} stored articles over {days} days",
        f"articles alerted: now {sent_now} ({per_day_text(sent_now, days)} a day), "
        f"new {sent_new} ({per_day_text(sent_new, days)} a day)",
        "",
        *entry_lines(report, days),
    ]
    for e, day, n in report.noisy(max_per_day):
        lines.append(
            f"WARNING: {e.entry_id} ({e.name}) would have fired {n} times on {day.isoformat()}, "
            f"more than {max_per_day} a day: narrow it (exclude, with, common: true)"
        )
    return "\n".join(lines)
