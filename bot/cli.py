"""The `trialwatch` command line."""

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import stamina

from bot import services
from bot.app import build_app, open_engine, run_forever
from bot.config import load_config_for, poll_floor_problem, read_config_text
from bot.notifier import ConsoleNotifier
from bot.research.commands import add_commands as add_research_commands
from bot.settings import Settings, load_settings
from core.errors import SettingsError, TrialwatchError
from core.records import Match
from feeds.fetch import log_retry
from feeds.records import PollResult
from matchers import compile_watchlist, parse_watchlist
from matchers.explain import explain
from matchers.relevance import decide_delivery
from storage import articles

log = logging.getLogger("trialwatch")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return int(args.handler(args))
    except TrialwatchError as e:
        print(f"trialwatch: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trialwatch", description="Follow political trials through the news."
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging, database migrations included"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="poll outlets on schedule and send alerts and digests")
    run.add_argument(
        "--once", action="store_true", help="one poll cycle of every outlet, then exit"
    )
    run.set_defaults(handler=cmd_run)

    digest = sub.add_parser("digest", help="send the pending digest now")
    digest.add_argument("--dry-run", action="store_true", help="print it; mark nothing sent")
    digest.set_defaults(handler=cmd_digest)

    check = sub.add_parser("check-config", help="validate feeds.yaml and watchlist.yaml")
    check.set_defaults(handler=cmd_check_config)

    smoke = sub.add_parser(
        "check", help="validate config, open and migrate the database; no network"
    )
    smoke.set_defaults(handler=cmd_check)

    health = sub.add_parser("health", help="exit 0 if the monitor finished a poll cycle lately")
    health.set_defaults(handler=cmd_health)

    status = sub.add_parser("status", help="each outlet's health, last success and last error")
    status.set_defaults(handler=cmd_status)

    match = sub.add_parser("match", help="match articles or a text against a watchlist, offline")
    match.add_argument("--watchlist", type=Path, required=True, help="a watchlist YAML file")
    source = match.add_mutually_exclusive_group()
    source.add_argument("--input", default="-", help="JSON lines {id,title,text,lang?}; - = stdin")
    source.add_argument("--text", help="one text to match; prints a readable table")
    match.add_argument("--all", action="store_true", help="include matches below the threshold")
    match.add_argument(
        "--route", action="store_true", help="with --text: the places found, and where it would go"
    )
    source.add_argument(
        "--explain",
        metavar="ENTRY",
        help="what an entry (id, name or term) finds: spellings per script, lexicon, families",
    )
    match.set_defaults(handler=cmd_match)

    demo = sub.add_parser("demo", help="a full offline run on sample feeds, printed to the console")
    demo.set_defaults(handler=cmd_demo)

    add_research_commands(sub)
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Except its flood-control waits (no URL in them): a long send shows its progress.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.INFO)
    # Alembic says "Context impl SQLiteImpl" and each migration at every start.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # stamina's own retry warning names the function, not the outlet.
    stamina.instrumentation.set_on_retry_hooks([log_retry])


def _version() -> str:
    try:
        return importlib.metadata.version("trialwatch")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    return asyncio.run(_run(settings, once=args.once))


async def _run(settings: Settings, *, once: bool) -> int:
    async with build_app(settings) as app:
        if not once:
            await run_forever(app)
            return 0
        report = await services.poll(app, datetime.now(UTC), every_outlet=True)
        _report(report.results)
    return 0


def _report(results: Sequence[PollResult]) -> None:
    failed = [r for r in results if r.error]
    log.info(
        "cycle done: %d outlets, %d failed, %d new articles, %d matched",
        len(results),
        len(failed),
        sum(r.new for r in results),
        sum(r.matched for r in results),
    )


def cmd_digest(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def digest() -> int:
        if args.dry_run:
            return await _dry_digest(settings)
        async with build_app(settings) as app:
            report = await services.digest(app, datetime.now(UTC))
        for destination, count in report.sent.items():
            log.info("digest: %d articles sent to %s", count, destination)
        for destination, error in report.refused.items():
            log.error("digest for %s stays queued: %s", destination, error)
        if not report.sent and not report.refused:
            log.info("digest: nothing pending")
        return 0

    return asyncio.run(digest())


async def _dry_digest(settings: Settings) -> int:
    """Print the pending digest as console mode would; mark nothing sent."""
    async with build_app(settings, notifier=ConsoleNotifier()) as app:
        shown = await services.preview_digest(app, datetime.now(UTC))
    if not shown:
        print("(the digest is empty: no pending articles)")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    _check_config(load_settings())
    return 0


def _check_config(settings: Settings) -> None:
    """Validate both config files and print the summary; `ConfigError` otherwise."""
    config = load_config_for(settings)
    if problem := poll_floor_problem(config.outlets, settings.poll_every):
        raise SettingsError(problem)
    watchlist = config.watchlist
    print(
        f"{settings.config_dir}: ok: {len(config.outlets)} outlets, {len(watchlist.people)} "
        f"people, {len(watchlist.cases)} cases, {len(watchlist.keywords)} keywords, "
        f"{len(watchlist.regions)} regions"
        + (f", {len(config.destinations)} destinations" if config.destinations else "")
    )


def cmd_check(args: argparse.Namespace) -> int:
    settings = load_settings()  # once: its warnings (unknown variables) print once
    _check_config(settings)
    with open_engine(settings) as engine:
        counts = articles.counts(engine)
        where = engine.url.render_as_string(hide_password=True)
    print(f"database ok ({where}): {counts.articles} articles, {counts.queued} queued")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    settings = load_settings()
    with open_engine(settings, migrate=False) as engine:
        verdict = services.health(engine, datetime.now(UTC))
    print(verdict.reason)
    return 0 if verdict.healthy else 1


def cmd_status(args: argparse.Namespace) -> int:
    settings = load_settings()
    with open_engine(settings) as engine:
        print(services.status_text(engine, datetime.now(UTC), settings.tz, settings.lease))
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    path: Path = args.watchlist
    try:
        text = read_config_text(path)
    except OSError as e:
        raise TrialwatchError(f"{path}: cannot read the watchlist: {e.strerror}") from None
    matcher = compile_watchlist(parse_watchlist(text, str(path)))
    if args.explain is not None:
        explanation = explain(matcher, args.explain)
        print("\n".join(explanation))
        return 1 if explanation[0].startswith("no entry") else 0
    if args.text is not None:
        analysis = matcher.analyse("", args.text)
        matches = [m for m in analysis.matches if args.all or m.deliverable]
        _print_table(matches, sys.stdout)
        if not args.route:
            return 0
        now = datetime.now(UTC)
        decision = decide_delivery(analysis, matcher.watchlist, published=now, now=now)
        places = sorted({o.entry_id for o in analysis.occurrences if o.kind == "region"})
        print(f"places: {', '.join(places) or 'none'}")
        print(f"as a fresh article: {decision.kind} ({decision.reason})")
        return 0
    with _open_input(args.input) as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                article = json.loads(line)
                title, body = str(article.get("title", "")), str(article.get("text", ""))
                ident = article["id"]
            except (json.JSONDecodeError, KeyError, AttributeError) as e:
                raise TrialwatchError(
                    f"{args.input}:{number}: expected a JSON object with id, title, text ({e})"
                ) from None
            for m in matcher.match(title, body, article.get("lang")):
                if args.all or m.deliverable:
                    print(json.dumps(_match_json(ident, m), ensure_ascii=False))
    return 0


def _match_json(article: object, m: Match) -> dict[str, object]:
    """One line of `match --input` output: the match's fields, `entry` for `entry_id`."""
    found = {k: v for k, v in asdict(m).items() if k not in ("entry_id", "snippet_mark")}
    return {"article": article, "entry": m.entry_id, **found}


@contextlib.contextmanager
def _open_input(name: str) -> Iterator[TextIO]:
    """The JSON-lines input: a file, or standard input for `-`."""
    if name == "-":
        yield sys.stdin
        return
    try:
        file = Path(name).open(encoding="utf-8")  # noqa: SIM115  (closed below)
    except OSError as e:
        raise TrialwatchError(f"{name}: cannot read: {e.strerror}") from None
    with file:
        yield file


def _print_table(matches: Sequence[Match], out: TextIO) -> None:
    if not matches:
        print("no matches", file=out)
        return
    rows = [("entry", "kind", "score", "reason", "form", "snippet")] + [
        (m.entry_id, m.kind, f"{m.score:.2f}", m.reason, m.form, m.snippet) for m in matches
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[5],
            file=out,
        )


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo()
