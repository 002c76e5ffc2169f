"""`trialwatch demo`: a full offline run on the sample feeds, printed to the console."""

import asyncio
import html
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bot import services
from bot.app import build_app
from bot.notifier import ConsoleNotifier
from bot.settings import Settings
from feeds.localserver import serve

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "data" / "feeds"
DEMO_OUTLETS = [
    ("demo-azattyq-ru", "Azattyq (sample, ru)", "azattyq_ru.xml", "ru"),
    ("demo-eurasianet", "Eurasianet (sample, en)", "eurasianet_en.xml", "en"),
    ("demo-azattyq-kk", "Azattyq Radiosy (sample, kk)", "azattyq_kk.atom", "kk"),
    ("demo-broken", "A broken outlet (sample)", "broken_truncated.xml", "en"),
]


# Fresh items added after the first poll, dated a few minutes before the second.
FRESH = {
    "azattyq_ru.xml": [
        (
            "Марата Жыланбаева приговорили к семи годам",
            "https://rus.example-azattyq.test/a/zhylanbayev-seven-years.html?utm_source=rss",
            "Алматинский суд приговорил Марата Жыланбаева к семи годам лишения свободы. "
            "Защита намерена обжаловать решение.",
        ),
        (
            "Суд в Москве арестовал блогера",
            "https://rus.example-azattyq.test/a/moscow-blogger.html",
            "Московский суд арестовал блогера на два месяца.",
        ),
    ],
    "eurasianet_en.xml": [
        (
            "Kazakhstan: opposition figure jailed for seven years",
            "https://example-eurasianet.test/kazakhstan-zhylanbayev-jailed",
            "A court in Almaty sentenced Marat Zhylanbayev to seven years in prison on Monday.",
        ),
        (
            "Kyrgyzstan: journalist detained in Bishkek",
            "https://example-eurasianet.test/kyrgyzstan-journalist-detained",
            "Police in Bishkek detained a reporter of an investigative outlet on Sunday.",
        ),
    ],
}


def run_demo() -> int:
    """Serve copies of the samples on loopback, poll them (the outlets' first poll: their
    backlog goes to the digest), add fresh items and poll again (a fresh verdict is an
    alert), then send the digest, all to stdout."""
    watchlist_dir = Path(os.environ.get("TRIALWATCH_CONFIG_DIR", REPO / "config"))
    with tempfile.TemporaryDirectory(prefix="trialwatch-demo-") as tmp:
        feeds_dir = Path(tmp) / "feeds"
        shutil.copytree(SAMPLES, feeds_dir)
        with serve(feeds_dir) as server:
            config_dir = Path(tmp)
            feeds = "feeds:\n" + "".join(
                f"  - {{id: {i}, name: '{n}', url: '{server.url(f)}', lang: {lang}}}\n"
                for i, n, f, lang in DEMO_OUTLETS
            )
            (config_dir / "feeds.yaml").write_text(feeds, encoding="utf-8")
            (config_dir / "watchlist.yaml").write_text(
                (watchlist_dir / "watchlist.yaml").read_text(encoding="utf-8"), encoding="utf-8"
            )
            settings = Settings(
                config_dir=config_dir,
                database_url=f"sqlite:///{config_dir / 'demo.db'}",
                telegram_token=None,
                _env_file=None,  # type: ignore[call-arg]
            )
            print(f"trialwatch demo: {len(DEMO_OUTLETS)} sample outlets on {server.base_url}")
            print("(console mode: these are the messages the Telegram channel would receive)\n")
            return asyncio.run(_demo(settings, feeds_dir))


async def _demo(settings: Settings, feeds_dir: Path) -> int:
    async with build_app(settings, notifier=ConsoleNotifier()) as app:
        print("== first poll: the outlets' backlog goes to the digest, never an alert ==")
        report = await services.poll(app, datetime.now(UTC), every_outlet=True)
        _add_fresh_items(feeds_dir, datetime.now(UTC))
        print("== second poll: new items; a fresh verdict on a watched person is an alert ==")
        await services.poll(app, datetime.now(UTC), every_outlet=True)
        print("== the digest, sent silently ==")
        await services.digest(app, datetime.now(UTC))
        print("─" * 60)
        for r in report.results:
            state = f"error: {r.error}" if r.error else f"{r.new} new, {r.matched} matched"
            print(f"{r.outlet_id:18} {state}")
    return 0


def _add_fresh_items(feeds_dir: Path, now: datetime) -> None:
    for name, items in FRESH.items():
        path = feeds_dir / name
        entries = "".join(
            f"<item><title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=20 + 5 * n))}</pubDate>"
            f"<description>{html.escape(text)}</description></item>\n"
            for n, (title, link, text) in enumerate(items)
        )
        feed = path.read_text(encoding="utf-8")
        path.write_text(feed.replace("</channel>", entries + "</channel>", 1), encoding="utf-8")
