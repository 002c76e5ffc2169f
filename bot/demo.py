"""`trialwatch demo`: a full offline run on the sample feeds, printed to the console."""

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot import services
from bot.app import build_app
from bot.notify import ConsoleNotifier
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


def run_demo() -> int:
    """Serve the samples on loopback, poll them once, send alerts and a digest to stdout."""
    watchlist_dir = Path(os.environ.get("TRIALWATCH_CONFIG_DIR", REPO / "config"))
    with tempfile.TemporaryDirectory(prefix="trialwatch-demo-") as tmp, serve(SAMPLES) as server:
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
        print(f"trialwatch demo: polling {len(DEMO_OUTLETS)} sample outlets on {server.base_url}")
        print("(console mode: these are the messages the Telegram channel would receive)\n")
        return asyncio.run(_demo(settings))


async def _demo(settings: Settings) -> int:
    async with build_app(settings, notifier=ConsoleNotifier()) as app:
        now = datetime.now(UTC)
        report = await services.poll(app, now, every_outlet=True)
        await services.digest(app, now)
        print("─" * 60)
        for r in report.results:
            state = f"error: {r.error}" if r.error else f"{r.new} new, {r.matched} matched"
            print(f"{r.outlet_id:18} {state}")
    return 0
