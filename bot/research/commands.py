"""The research commands of the `trialwatch` CLI: search, export, backtest, evidence.

Each handler parses its arguments, calls a service in `bot.research`, and prints.
"""

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine
from tqdm import tqdm

from bot.app import open_engine
from bot.config import load_config
from bot.research.backtest import MAX_PER_DAY, backtest, render_report
from bot.research.evidence import (
    EvidenceNotice,
    evidence_history,
    recheck,
    render_history,
    render_notice_text,
)
from bot.research.export import ExportOptions, export
from bot.research.search import SearchHit, reindex, search
from bot.settings import load_settings
from core.errors import TrialwatchError
from core.research import ArticleFilter
from feeds.fetch import make_client
from feeds.outlets import parse_duration
from feeds.pages import PageFetcher
from matchers import Watchlist, compile_watchlist, parse_watchlist
from matchers.searchkeys import highlight
from storage.search import count_articles, iter_articles

BOLD, PLAIN = "\033[1m", "\033[0m"


def add_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register the research subcommands on the CLI's subparsers."""
    find = sub.add_parser("search", help="search stored articles by words or a name, newest first")
    find.add_argument("query", help="words (each must occur) or a person's name in any script")
    _filter_options(find, since_help="e.g. 30d, 12h, 2w or 2026-11-01 (default: all)")
    find.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    kind = find.add_mutually_exclusive_group()
    kind.add_argument("--name", action="store_true", default=None, help="treat it as a name")
    kind.add_argument("--words", dest="name", action="store_false", help="words only")
    find.add_argument(
        "--weak", action="store_true", help="also namesakes and other weak name matches"
    )
    find.set_defaults(handler=cmd_search)

    index = sub.add_parser("reindex", help="rebuild the search index from the stored articles")
    index.set_defaults(handler=cmd_reindex)

    out = sub.add_parser(
        "export", help="stored matches with provenance, one row per (article, entry)"
    )
    out.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    _filter_options(out, since_help="e.g. 90d, 2w or 2026-11-01 (default: all)")
    out.add_argument("--output", "-o", type=Path, help="write to this file (default: stdout)")
    out.add_argument(
        "--bom", action="store_true", help="start the CSV with a UTF-8 byte-order mark (Excel)"
    )
    out.set_defaults(handler=cmd_export)

    test = sub.add_parser(
        "backtest",
        help="run a new watchlist over stored articles: matches added and lost, alerts a day",
    )
    test.add_argument("--watchlist", type=Path, required=True, help="the new watchlist YAML")
    test.add_argument(
        "--against", type=Path, help="compare with this file (default: the configured watchlist)"
    )
    test.add_argument("--since", type=since_arg, help="e.g. 90d or 2026-09-01 (default: all)")
    test.add_argument("--outlet", help="only this outlet id")
    test.add_argument("--lang", help="only articles in this language")
    test.add_argument(
        "--max-per-day",
        type=int,
        default=MAX_PER_DAY,
        help=f"warn when an entry would fire more often on one day (default {MAX_PER_DAY})",
    )
    test.set_defaults(handler=cmd_backtest)

    trail = sub.add_parser("evidence", help="an article's evidence trail: snapshots, hashes, diffs")
    trail.add_argument("url", help="the article's link as published or as stored")
    trail.set_defaults(handler=cmd_evidence)

    again = sub.add_parser(
        "recheck", help="check the matched articles' pages that are due now; print what changed"
    )
    again.set_defaults(handler=cmd_recheck)


def _filter_options(parser: argparse.ArgumentParser, *, since_help: str) -> None:
    parser.add_argument("--entry", help="only articles matched to this watchlist entry id")
    parser.add_argument("--since", type=since_arg, help=since_help)
    parser.add_argument("--outlet", help="only this outlet id (feeds.yaml)")
    parser.add_argument("--lang", help="only articles in this language (en, ru, kk …)")


def since_arg(value: str, now: datetime | None = None) -> datetime:
    """`30d`, `12h`, `2w` (before now) or a date `2026-11-01` (UTC midnight)."""
    now = now or datetime.now(UTC)
    if value.endswith("w") and value[:-1].isdigit():
        value = f"{int(value[:-1]) * 7}d"
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(value), time(), UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected an age like 30d, 12h, 2w or a date like 2026-11-01"
        ) from None


def filter_of(args: argparse.Namespace) -> ArticleFilter:
    return ArticleFilter(since=args.since, outlet=args.outlet, lang=args.lang, entry=args.entry)


def cmd_search(args: argparse.Namespace) -> int:
    settings = load_settings()
    watchlist = load_config(settings.config_dir).watchlist
    with open_engine(settings) as engine:
        hits = search(
            engine,
            args.query,
            filter_of(args),
            limit=args.limit,
            name=args.name,
            watchlist=watchlist,
            weak=args.weak,
        )
    tty = sys.stdout.isatty()
    for hit in hits:
        print(render_hit(hit, (BOLD, PLAIN) if tty else ("[", "]")))
    if not hits:
        print("no articles found")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    with open_engine(load_settings()) as engine:
        count = reindex(engine)
    print(f"search index rebuilt: {count} articles")
    return 0


def render_hit(hit: SearchHit, marks: tuple[str, str] = ("[", "]")) -> str:
    """Three lines: when (UTC), outlet, language, title; the link; the marked snippet."""
    a = hit.article
    when = (a.published or a.seen).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [f"{when}Z  {a.outlet} ({a.lang})  {a.title}", f"  {a.url}"]
    lines.append("  " + highlight(hit.snippet, hit.marks, *marks))
    return "\n".join(lines)


def cmd_export(args: argparse.Namespace) -> int:
    settings = load_settings()
    watchlist = load_config(settings.config_dir).watchlist
    options = ExportOptions(
        format=args.format,
        bom=args.bom,
        name_of=watchlist.name_of,
        delivered_to=settings.telegram_chat or "",
    )
    with open_engine(settings) as engine, _output(args.output) as out:
        count = export(engine, filter_of(args), out, options)
    print(f"exported {count} rows", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        file = path.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise TrialwatchError(f"{path}: cannot write the export: {e.strerror}") from None
    with file:
        yield file


def cmd_backtest(args: argparse.Namespace) -> int:
    settings = load_settings()
    current_path = args.against or settings.config_dir / "watchlist.yaml"
    current, new = read_watchlist(current_path), read_watchlist(args.watchlist)
    where = ArticleFilter(since=args.since, outlet=args.outlet, lang=args.lang)
    now = datetime.now(UTC)
    with open_engine(settings) as engine, engine.connect() as connection:
        total = count_articles(connection, where)
        bar = tqdm(total=total, unit=" articles", disable=not sys.stderr.isatty(), leave=False)
        with bar:
            report = backtest(
                iter_articles(connection, where),
                compile_watchlist(current),
                compile_watchlist(new),
                progress=lambda: bar.update(),
            )
    print(f"backtest of {args.watchlist} against {current_path}")
    print(render_report(report, since=args.since, until=now, max_per_day=args.max_per_day))
    return 0


def read_watchlist(path: Path) -> Watchlist:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise TrialwatchError(f"{path}: cannot read the watchlist: {e.strerror}") from None
    return parse_watchlist(text, str(path))


def cmd_evidence(args: argparse.Namespace) -> int:
    with open_engine(load_settings()) as engine:
        found = evidence_history(engine, args.url)
    if found is None:
        print(f"trialwatch: {args.url}: no stored article has this link", file=sys.stderr)
        return 1
    print(render_history(*found))
    return 0


def cmd_recheck(args: argparse.Namespace) -> int:
    async def run(engine: Engine) -> list[EvidenceNotice]:
        async with make_client() as client:
            return await recheck(engine, PageFetcher(client), datetime.now(UTC))

    with open_engine(load_settings()) as engine:
        notices = asyncio.run(run(engine))
    for notice in notices:
        print(render_notice_text(notice))
    print(f"{len(notices)} changes", file=sys.stderr)
    return 0
