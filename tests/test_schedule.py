"""The real scheduler polls every outlet at every tick when its interval equals the tick."""

import asyncio
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.app import build_app, build_scheduler
from bot.settings import Settings
from feeds.localserver import OutletServer
from tests.fakes import FakeNotifier

pytestmark = pytest.mark.slow

FEEDS = ["azattyq_ru.xml", "eurasianet_en.xml", "azattyq_kk.atom"]
RUN_FOR = 5.5  # seconds: six ticks of one second


async def test_no_tick_is_missed(tmp_path: Path, outlet_server: OutletServer) -> None:
    """With a 1 s interval and a 1 s tick, each cycle polls every outlet again: none waits
    a second tick because its next poll time landed a few ms after the tick."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "feeds.yaml").write_text(
        "feeds:\n"
        + "".join(
            f"  - {{id: o{i}, name: Outlet {i}, url: '{outlet_server.url(name)}', lang: en}}\n"
            for i, name in enumerate(FEEDS)
        ),
        encoding="utf-8",
    )
    (config / "watchlist.yaml").write_text(
        "defendants:\n  - {id: someone, name: Imaginary Person}\n", encoding="utf-8"
    )
    settings = Settings(
        config_dir=config, database_url=f"sqlite:///{tmp_path / 'tw.db'}", poll_every="1s"
    )
    cycles = 0

    def count(event: JobExecutionEvent) -> None:
        nonlocal cycles
        cycles += event.job_id == "poll"

    async with build_app(settings, notifier=FakeNotifier()) as app:
        scheduler = build_scheduler(app)
        scheduler.add_listener(count, EVENT_JOB_EXECUTED)
        scheduler.start()
        await asyncio.sleep(RUN_FOR)
        scheduler.pause()  # no new cycle; let a running one finish and be counted
        await asyncio.gather(*app.jobs)
        await asyncio.sleep(0.05)  # the executed event follows the job's completion
        scheduler.shutdown(wait=False)
    polls = {name: len(outlet_server.requests_for(name)) for name in FEEDS}
    assert cycles >= 4
    assert polls == dict.fromkeys(FEEDS, cycles)
