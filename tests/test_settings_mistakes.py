"""Config and settings mistakes (issue 8, kind 8): each a one-line error naming the
file or variable and the fix, never a traceback; an unknown variable is a warning."""

import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.admin import AdminReporter
from bot.app import App, build_app
from bot.cli import main
from bot.services import poll, reload_config_if_changed
from bot.settings import Settings
from core.errors import ConfigError
from feeds.localserver import OutletServer
from matchers import parse_watchlist
from tests.fakes import FakeNotifier

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
WATCHLIST = """# Invented people (no real names).
defendants:
  - id: sarsenov
    name: Айбек Сарсенов
    aliases: [Aibek Sarsenov, Сарсенова]
keywords:
  - id: verdict
    terms: [приговор, үкім, verdict]
    urgent: true
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "feeds.yaml").write_text(
        "feeds:\n  - {id: vesti, name: Вести, url: 'https://vesti.test/rss', lang: ru}\n",
        encoding="utf-8",
    )
    (folder / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(folder))
    return folder


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv or ["check-config"])) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("name", "encode", "looks"),
    [
        ("watchlist.yaml", lambda t: t.encode("cp1251", "replace"), "windows-1251"),
        ("watchlist.yaml", lambda t: t.encode("utf-16"), "UTF-16"),
        ("watchlist.yaml", lambda t: t.encode("utf-16-le"), "UTF-16"),
        ("feeds.yaml", lambda t: t.encode("cp1251", "replace"), "windows-1251"),
        (
            "watchlist.yaml",
            lambda t: t.replace("Айбек Сарсенов", "Aïbek Särsenov").encode("cp1252", "replace"),
            "windows-1252",
        ),
    ],
    ids=["watchlist cp1251", "watchlist UTF-16 BOM", "UTF-16 no BOM", "feeds cp1251", "cp1252"],
)
def test_config_file_not_utf8(
    config: Path, capsys: pytest.CaptureFixture[str], name: str, encode: object, looks: str
) -> None:
    """A config file saved in another encoding is named, with what it looks like and the fix."""
    path = config / name
    path.write_bytes(encode(path.read_text(encoding="utf-8")))  # type: ignore[operator]
    err = refused(capsys)
    assert f"{path}:" in err and "not UTF-8 (looks like " in err and looks in err
    assert "save it as UTF-8" in err and len(err.strip().splitlines()) == 1


def test_utf8_with_byte_order_mark_is_fine(config: Path) -> None:
    """Notepad's "UTF-8 with BOM" is UTF-8."""
    path = config / "watchlist.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + WATCHLIST.encode())
    assert main(["check-config"]) == 0


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# everything commented out\n# defendants:\n", "defendants: []\n"]
)
def test_empty_watchlist_is_refused(
    config: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """An empty watchlist (a failed save) would silently stop alerting: refused."""
    (config / "watchlist.yaml").write_text(text, encoding="utf-8")
    err = refused(capsys)
    assert "watchlist.yaml" in err and "empty" in err


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TRIALWATCH_DATABASE_URL", "nonsense", "is not a database URL"),
        ("TRIALWATCH_DATABASE_URL", "mysql://tw@db.test/tw", "mysql is not supported"),
        ("TRIALWATCH_DATABASE_URL", "postgresql+asyncpg://tw@db.test/tw", "not installed"),
        ("TRIALWATCH_DATABASE_URL", "sqlite:///", "in-memory database"),
        ("TRIALWATCH_DATABASE_URL", "sqlite://", "in-memory database"),
        ("TRIALWATCH_DATABASE_URL", "sqlite:///:memory:", "in-memory database"),
        ("TRIALWATCH_POLL_EVERY", "10s", "under the 30s floor"),
        ("TRIALWATCH_POLL_EVERY", "29s", "under the 30s floor"),
        ("TRIALWATCH_TELEGRAM_CHAT", "trialwatch_channel", "did you mean @trialwatch_channel"),
        ("TRIALWATCH_TELEGRAM_CHAT", "https://t.me/somechannel", "nor @channelname"),
        ("TRIALWATCH_TELEGRAM_CHAT", "-100abc", "nor @channelname"),
        ("TRIALWATCH_TELEGRAM_ADMIN_CHAT", "admin chat", "nor @channelname"),
    ],
)
@pytest.mark.parametrize("command", ["check-config", "run"])
def test_bad_setting_is_one_line_naming_the_variable(
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    says: str,
    command: str,
) -> None:
    """Each malformed setting stops the command with one line: the variable and the fix."""
    monkeypatch.setenv(variable, value)
    err = refused(capsys, *([command, "--once"] if command == "run" else [command]))
    [line] = err.strip().splitlines()
    assert line.startswith(f"trialwatch: {variable}: ") and says in line


def test_database_password_never_printed(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed database URL is quoted without its password."""
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", "postgresql//tw:s3cret-pw@db.test/tw")
    err = refused(capsys)
    assert "s3cret-pw" not in err and "TRIALWATCH_DATABASE_URL" in err


@pytest.mark.parametrize("value", ["30s", "15m", "1h"])
@pytest.mark.parametrize("chat", ["-1001234567890", "123456789", "@trialwatch_kz"])
def test_good_settings_pass(
    config: Path, monkeypatch: pytest.MonkeyPatch, value: str, chat: str
) -> None:
    """The floor and the chat forms accept every valid value."""
    monkeypatch.setenv("TRIALWATCH_POLL_EVERY", value)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", chat)
    assert main(["check-config"]) == 0


@pytest.mark.parametrize(
    ("variable", "suggestion"),
    [
        ("TRIALWATCH_DIGEST_TIME", "TRIALWATCH_DIGEST_AT"),
        ("TRIALWATCH_TELEGRAM_CHANNEL", "TRIALWATCH_TELEGRAM_CHAT"),
        ("TRIALWATCH_TIME_ZONE", "TRIALWATCH_TIMEZONE"),
        ("TRIALWATCH_DB_URL", "TRIALWATCH_DATABASE_URL"),
    ],
)
@pytest.mark.parametrize("where", ["environment", ".env"])
def test_unknown_variable_is_a_warning_with_the_likely_name(
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    variable: str,
    suggestion: str,
    where: str,
) -> None:
    """A misspelt variable is not silently ignored: a warning names the one meant."""
    if where == ".env":
        Path(".env").write_text(f"{variable}=x\n", encoding="utf-8")
    else:
        monkeypatch.setenv(variable, "x")
    with caplog.at_level(logging.WARNING):
        assert main(["check-config"]) == 0
    [warning] = [r.getMessage() for r in caplog.records if variable in r.getMessage()]
    assert f"did you mean {suggestion}?" in warning


def test_known_variables_raise_no_warning(
    config: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Correct names are quiet."""
    monkeypatch.setenv("TRIALWATCH_DIGEST_AT", "08:30")
    monkeypatch.setenv("TRIALWATCH_TIMEZONE", "Asia/Almaty")
    with caplog.at_level(logging.WARNING):
        assert main(["check-config"]) == 0
    assert not [r for r in caplog.records if "not a trialwatch setting" in r.getMessage()]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(
            "defendants:\n  - id: a\n    name: A B\n   - id: b\n    name: C D\n", 4, id="bad indent"
        ),
        pytest.param(
            "defendants:\n  - id: a\n    name: A B\n  - id: b\n\tname: C D\n", 5, id="tab"
        ),
        pytest.param(
            "keywords:\n  - id: v\n    terms: [a]\n    urgent: true\n  id: x\n",
            5,
            id="key outdented out of its list",
        ),
        pytest.param(
            'defendants:\n  - id: a\n    name: "A B\n  - id: b\n    name: C D\n',
            3,
            id="unclosed quote: where it opens",
        ),
        pytest.param(
            "defendants:\n  - id: a\n    aliases: [A, B\n  - id: b\n    name: C D\n",
            3,
            id="unclosed bracket: where it opens",
        ),
        pytest.param("defendants:\n  - id: a\n    name: A: B\n", 3, id="colon in a value"),
    ],
)
def test_yaml_syntax_errors_point_at_the_wrong_line(text: str, line: int) -> None:
    """The line number of a YAML syntax error is the line to edit."""
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "w.yaml")
    assert str(caught.value).startswith(f"w.yaml:{line}: invalid YAML")


@pytest.fixture
async def running_app(tmp_path: Path, outlet_server: OutletServer) -> AsyncIterator[App]:
    """A running monitor with a good config, a fake channel and a fake admin chat."""
    folder = tmp_path / "live"
    folder.mkdir()
    (folder / "feeds.yaml").write_text(
        f"feeds:\n  - {{id: en, name: En, url: '{outlet_server.url('eurasianet_en.xml')}', "
        "lang: en}\n",
        encoding="utf-8",
    )
    (folder / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    settings = Settings(
        config_dir=folder, database_url=f"sqlite:///{tmp_path / 'tw.db'}", _env_file=None
    )  # type: ignore[call-arg]
    async with build_app(settings, notifier=FakeNotifier()) as app:
        app.admin = AdminReporter(FakeNotifier())
        yield app


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "says"),
    [
        (WATCHLIST.encode("cp1251", "replace"), "not UTF-8 (looks like windows-1251)"),
        (WATCHLIST.encode("utf-16"), "not UTF-8 (looks like UTF-16"),
        (b"", "the watchlist is empty"),
        (b"# defendants:\n#   - id: sarsenov\n", "the watchlist is empty"),
    ],
    ids=["windows-1251", "UTF-16", "empty", "all commented out"],
)
async def test_live_edit_mistake_keeps_last_good_config(
    running_app: App, data: bytes, says: str
) -> None:
    """Saved in another encoding or emptied while running: the last good watchlist keeps
    matching, and the admin chat is told what is wrong with which file."""
    path = running_app.settings.config_dir / "watchlist.yaml"
    path.write_bytes(data)
    stamp = path.stat().st_mtime + 1
    os.utime(path, (stamp, stamp))
    before = running_app.config.watchlist.entry_ids()
    assert not await reload_config_if_changed(running_app, NOW)
    assert running_app.config.watchlist.entry_ids() == before == ["sarsenov", "verdict"]
    admin = running_app.admin.notifier
    assert isinstance(admin, FakeNotifier) and len(admin.sent) == 1
    assert says in admin.sent[0] and "watchlist.yaml" in admin.sent[0]
    await poll(running_app, NOW, every_outlet=True)  # the cycle still runs
