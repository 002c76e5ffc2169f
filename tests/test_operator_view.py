"""What operators see (issue 8, kind 9): status says why an outlet failed and never
`ok` after a failed poll; retries name the outlet; `run` logs each message sent;
flood control waits are logged; `--version`; migrations speak only with `-v`."""

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.status import render_status
from core.records import OutletStatus
from feeds.localserver import Canned, OutletServer
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram, Fault

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
SENT_LINE = r"sent (alert|digest) \d+/\d+ to {}: \d+ articles \(\d+ so far\)"
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Vesti</title><link>https://vesti.test/</link>
<description>d</description>
<item><title>Суд огласил приговор Айбеку Сарсенову</title><link>https://vesti.test/1</link>
<guid>v-1</guid><description>Айбек Сарсенов приговорён.</description></item>
<item><title>Granary Case: hearing</title><link>https://vesti.test/2</link>
<guid>v-2</guid><description>The Granary Case was heard.</description></item>
</channel></rss>"""


def row(state: str, failures: int, error: str | None) -> OutletStatus:
    return OutletStatus(
        "vesti", "Vesti", "https://vesti.test/rss", state, failures, error,  # type: ignore[arg-type]
        NOW - timedelta(hours=2), NOW - timedelta(hours=3),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("outlet", "state", "shows"),
    [
        (row("ok", 0, None), "ok", ""),
        (
            row("ok", 1, "fetch failed: vesti 'https://vesti.test/rss': HTTP 500 Server Error"),
            "retrying (1×)",
            "fetch failed: HTTP 500 Server Error",
        ),
        (
            row("failing", 3, "fetch failed: vesti 'https://vesti.test/rss': httpx.ConnectError"),
            "failing (3×)",
            "fetch failed: httpx.ConnectError",
        ),
        (
            row("broken", 2, "parse failed: vesti 'https://vesti.test/rss': got an HTML page"),
            "broken (2×)",
            "parse failed: got an HTML page",
        ),
    ],
    ids=["ok", "one failure", "failing", "broken"],
)
def test_status_shows_the_cause_and_never_ok_after_a_failure(
    outlet: OutletStatus, state: str, shows: str
) -> None:
    """The error column has the cause, not the URL again; a failed last poll is not `ok`."""
    line = render_status([outlet], NOW, ZoneInfo("UTC")).splitlines()[1]
    assert line.split("  ")[1].strip() == state
    assert line.rstrip().endswith(shows) and "https://vesti.test/rss" not in line


@pytest.fixture
def configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outlet_server: OutletServer
) -> Path:
    outlet_server.canned["/vesti.xml"] = Canned(body=FEED.encode())
    outlet_server.canned["/down.xml"] = Canned(status=500)
    config = tmp_path / "config"
    config.mkdir()
    (config / "feeds.yaml").write_text(
        "feeds:\n"
        f"  - {{id: vesti, name: Vesti, url: '{outlet_server.url('vesti.xml')}', lang: ru}}\n"
        f"  - {{id: downtown, name: Down, url: '{outlet_server.url('down.xml')}', lang: en}}\n",
        encoding="utf-8",
    )
    (config / "watchlist.yaml").write_text(
        (Path(__file__).parent / "data" / "realworld" / "watchlist.yaml").read_text("utf-8"),
        encoding="utf-8",
    )
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(config))
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
    return config


@pytest.mark.slow
def test_run_logs_retries_by_outlet_and_each_message_sent(
    configured: Path,
    monkeypatch: pytest.MonkeyPatch,
    telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Retry warnings name the outlet; each message sent is one log line naming the chat,
    the kind and the articles; a flood-control wait is logged; status shows the cause."""
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", telegram.chat_id)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", telegram.base_url)
    with caplog.at_level(logging.INFO):
        assert main(["run", "--once"]) == 0
        telegram.faults = [Fault(429, "Too Many Requests: retry after 1", retry_after=1)]
        assert main(["digest"]) == 0
    messages = [r.getMessage() for r in caplog.records]
    retries = [m for m in messages if m.startswith("downtown: retry ")]
    assert len(retries) == 2 and "HTTP 500" in retries[0]
    sent_lines = [m for m in messages if re.fullmatch(SENT_LINE.format(telegram.chat_id), m)]
    assert len(sent_lines) == len(telegram.sent) >= 1  # one line per message sent
    assert any(m.startswith("Rate limit hit. Retrying after 1.1") for m in messages)
    capsys.readouterr()
    assert main(["status"]) == 0
    [down] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("downtown")]
    assert "retrying (1×)" in down and "HTTP 500" in down and "down.xml" not in down


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`trialwatch --version` prints the installed version."""
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip().startswith("trialwatch 0.")


@pytest.mark.parametrize("verbose", [False, True])
def test_migration_chatter_only_with_verbose(
    configured: Path, caplog: pytest.LogCaptureFixture, verbose: bool
) -> None:
    """Alembic's per-start lines ("Context impl", "Running upgrade") show only with -v."""
    with caplog.at_level(logging.INFO):
        assert main(["-v", "check"] if verbose else ["check"]) == 0
    chatter = [r for r in caplog.records if r.name.startswith("alembic")]
    assert bool(chatter) == verbose
