"""Config edits while running: picked up within one cycle; a bad edit keeps the last good
config, is logged with file and line, and is reported to the admin chat once."""

import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.admin import AdminReporter
from bot.app import App, build_app
from bot.services import poll, reload_config_if_changed
from bot.settings import Settings
from feeds.localserver import OutletServer
from storage import outbox
from storage.outlets import outlet_status
from tests.fakes import FakeNotifier

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
WATCHLIST = "defendants:\n  - id: mamay\n    name: Zhanbolat Mamay\n"


@pytest.fixture
async def app(tmp_path: Path, outlet_server: OutletServer) -> AsyncIterator[App]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "feeds.yaml").write_text(
        f"feeds:\n  - {{id: en, name: En, url: '{outlet_server.url('eurasianet_en.xml')}', "
        "lang: en}\n",
        encoding="utf-8",
    )
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    settings = Settings(
        config_dir=config, database_url=f"sqlite:///{tmp_path / 'tw.db'}", _env_file=None
    )  # type: ignore[call-arg]
    async with build_app(settings, notifier=FakeNotifier()) as app:
        app.admin = AdminReporter(FakeNotifier())
        yield app


def edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = path.stat().st_mtime + 1  # coarse file systems: make the change visible
    os.utime(path, (stamp, stamp))


async def test_watchlist_edit_is_picked_up(app: App) -> None:
    """A new entry matches from the next cycle on, without a restart."""
    watchlist = app.settings.config_dir / "watchlist.yaml"
    edit(watchlist, WATCHLIST + "  - id: mukhammedkarim\n    name: Duman Mukhammedkarim\n")
    assert await reload_config_if_changed(app, NOW)
    assert "mukhammedkarim" in app.config.watchlist.entry_ids()
    await poll(app, NOW, every_outlet=True)
    assert any(
        i.title.startswith("Kazakhstan: Journalist")
        for i in outbox.pending(app.engine, urgent=False)
    )
    assert not await reload_config_if_changed(app, NOW)  # unchanged: nothing to do


async def test_bad_edit_keeps_last_good_config(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """An invalid edit is refused with file and line; the old watchlist keeps working;
    the admin chat hears about it once, however many cycles it lasts."""
    watchlist = app.settings.config_dir / "watchlist.yaml"
    edit(watchlist, WATCHLIST + "  - id: mamay\n    name: Someone Else\n")
    with caplog.at_level(logging.ERROR):
        assert not await reload_config_if_changed(app, NOW)
    assert f"{watchlist}:4: defendants[1].id: duplicate id 'mamay'" in caplog.text
    assert app.config.watchlist.entry_ids() == ["mamay"]
    admin = app.admin.notifier
    assert isinstance(admin, FakeNotifier) and len(admin.sent) == 1
    assert "duplicate id" in admin.sent[0]
    edit(watchlist, WATCHLIST + "  - id: mamay\n    name: Someone Else\n")  # touched again
    await reload_config_if_changed(app, NOW)
    assert len(admin.sent) == 1
    edit(watchlist, WATCHLIST)  # fixed
    assert await reload_config_if_changed(app, NOW)


async def test_outlet_health_change_is_reported_once(app: App, outlet_server: OutletServer) -> None:
    """An outlet that keeps refusing us becomes 'blocked', reported once; recovery too."""
    from feeds.localserver import Canned

    outlet_server.canned["/eurasianet_en.xml"] = Canned(status=403)
    for _ in range(4):
        await poll(app, NOW, every_outlet=True)
    admin = app.admin.notifier
    assert isinstance(admin, FakeNotifier)
    assert len(admin.sent) == 1 and "ok → blocked" in admin.sent[0]
    [status] = outlet_status(app.engine)
    assert status.state == "blocked" and "HTTP 403" in (status.last_error or "")
    del outlet_server.canned["/eurasianet_en.xml"]
    await poll(app, NOW, every_outlet=True)
    assert len(admin.sent) == 2 and "blocked → ok" in admin.sent[1]


async def test_status_table(
    app: App,
    outlet_server: OutletServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`trialwatch status` lists each outlet with state, last success, last new item, error."""
    from bot.cli import main

    await poll(app, datetime.now(UTC), every_outlet=True)
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(app.settings.config_dir))
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", app.settings.database_url)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    header, row = out.splitlines()[:2]
    assert header.split() == ["outlet", "state", "last", "success", "last", "new", "item", "error"]
    assert row.startswith("en") and " ok " in row and "(0m ago)" in row
    assert "3 articles stored" in out


async def test_jobs_are_registered_with_their_triggers(app: App) -> None:
    """One poll job ticking every 30 s at most, evidence re-checks every 10 minutes, one
    digest job per TRIALWATCH_DIGEST_AT time."""
    from bot.app import build_scheduler

    app.settings = app.settings.model_copy(update={"digest_at": "09:00,18:30"})
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"poll", "evidence", "digest-0900", "digest-1830"}
    assert jobs["evidence"].trigger.interval.total_seconds() == 600
    assert jobs["poll"].trigger.interval.total_seconds() == 30
    digest = str(jobs["digest-1830"].trigger)
    assert "hour='18'" in digest and "minute='30'" in digest
    assert str(jobs["digest-0900"].trigger.timezone) == "Asia/Almaty"
