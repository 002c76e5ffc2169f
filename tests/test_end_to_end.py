"""`trialwatch run --once` and `digest` against loopback outlets and a fake Bot API."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.cli import main
from feeds.localserver import OutletServer
from tests.conftest import DATA, TOKEN
from tests.telegram_server import FakeTelegram

pytestmark = pytest.mark.slow

WATCHLIST = """
defendants:
  - id: zhylanbayev
    name: Marat Zhylanbayev
    aliases: [Марат Жыланбаев, Марата Жыланбаева]
  - id: mukhammedkarim
    name: Duman Mukhammedkarim
  - id: tleuzhan
    name: Aigerim Tleuzhan
    aliases: [Айгерим Тлеужан, Айгерим Тлеужанның]
cases:
  - id: zhanaozen
    name: Zhanaozen
keywords:
  - id: verdict
    terms: [приговор, приговорил]
    urgent: true
    exact: true   # only these words: the English appeal story stays in the digest
"""

NEW_ITEM = """
    <item>
      <title>Марата Жыланбаева перевели в другую колонию</title>
      <link>https://rus.example-azattyq.test/a/zhylanbayev-transfer.html</link>
      <guid isPermaLink="false">ru-1004</guid>
      <pubDate>{date}</pubDate>
      <description>Суд приговорил Марата Жыланбаева к переводу в колонию строгого режима.
      Адвокат сообщил о переводе.</description>
    </item>
  </channel>"""


@pytest.fixture
def configured(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    outlet_server: OutletServer,
    telegram: FakeTelegram,
    database_url: str,
) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    outlets = [
        ("ru", "azattyq_ru.xml", "ru"),
        ("en", "eurasianet_en.xml", "en"),
        ("kk", "azattyq_kk.atom", "kk"),
        ("broken", "broken_truncated.xml", "en"),
        ("gone", "missing.xml", "en"),
    ]
    (config / "feeds.yaml").write_text(
        "feeds:\n"
        + "".join(
            f"  - {{id: {i}, name: Outlet {i}, url: '{outlet_server.url(f)}', lang: {lang}}}\n"
            for i, f, lang in outlets
        ),
        encoding="utf-8",
    )
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(config))
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", telegram.chat_id)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", telegram.base_url)
    return config


def test_cycle_digest_rerun_and_new_item(
    configured: Path, telegram: FakeTelegram, feed_dir: Path, outlet_server: OutletServer
) -> None:
    """An outlet's first poll is backlog: all of it in the digest, no alert; each article
    once; a rerun sends nothing; a fresh verdict later is an alert, right after its poll."""
    assert main(["run", "--once"]) == 0
    assert telegram.sent == []  # the first poll's verdict is days old and backlog
    assert main(["digest"]) == 0
    [digest] = telegram.texts
    assert "Duman Mukhammedkarim" in digest and "Zhanaozen" in digest and "Тлеужан" in digest
    assert "Марату Жыланбаеву" in digest and "rus.example-azattyq.test" in digest
    assert all(m["parse_mode"] == "HTML" for m in telegram.sent)
    assert all(m["link_preview_options"] == {"is_disabled": True} for m in telegram.sent)
    assert telegram.sent[0]["disable_notification"] == "true"  # the digest is silent

    assert main(["run", "--once"]) == 0
    assert main(["digest"]) == 0
    assert len(telegram.sent) == 1  # nothing re-sent
    etags = [h.get("If-None-Match") for h in outlet_server.requests_for("eurasianet_en.xml")]
    assert etags[0] is None and etags[-1]  # the second poll was conditional

    feed = feed_dir / "azattyq_ru.xml"
    fresh = NEW_ITEM.format(date=format_datetime(datetime.now(UTC) - timedelta(minutes=30)))
    feed.write_text(feed.read_text(encoding="utf-8").replace("  </channel>", fresh), "utf-8")
    assert main(["run", "--once"]) == 0
    assert len(telegram.sent) == 2
    alert = telegram.texts[-1]
    assert alert.startswith("🔴 <b>VERDICT · Marat Zhylanbayev</b>")
    assert "перевели в другую колонию" in alert and "Mukhammedkarim" not in alert
    assert telegram.sent[-1]["disable_notification"] == "false"  # an alert rings
    assert main(["digest"]) == 0
    assert len(telegram.sent) == 2  # never both an alert and a digest entry


def test_refused_messages_stay_queued(configured: Path, telegram: FakeTelegram) -> None:
    """When the bot may not post, nothing is marked sent; once fixed, all of it goes out."""
    real_chat = telegram.chat_id
    telegram.chat_id = "-100999"  # Telegram answers "chat not found" for our chat
    assert main(["run", "--once"]) == 0
    assert main(["digest"]) == 0
    assert telegram.sent == []
    telegram.chat_id = real_chat
    assert main(["run", "--once"]) == 0
    assert main(["digest"]) == 0
    assert len(telegram.sent) == 1  # the first poll's backlog, in one digest


def test_demo_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    """The newcomer's demo prints a digest from the sample feeds with no token."""
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "trialwatch digest" in out
    assert "Duman Mukhammedkarim" in out
    assert "demo-broken" in out and "parse failed" in out
    assert (DATA / "feeds" / "azattyq_ru.xml").exists()


def test_dry_run_digest_prints_and_sends_nothing(
    configured: Path, telegram: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest --dry-run` prints the digest, does not contact Telegram, and keeps it queued."""
    assert main(["run", "--once"]) == 0
    calls = len(telegram.calls)
    capsys.readouterr()
    assert main(["digest", "--dry-run"]) == 0
    assert "Duman Mukhammedkarim" in capsys.readouterr().out
    assert len(telegram.calls) == calls  # not even getMe
    assert main(["digest"]) == 0
    assert any("Duman Mukhammedkarim" in t for t in telegram.texts)
