"""Settings as operators really write them (issue 8, kind 8, more members): the
shipped `.env.example` copied as is, a token pasted with a space or a newline,
a Bot API address that is not a URL.
Through `trialwatch run --once`, a real outlet on 127.0.0.1 and the fake Bot API."""

import logging
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from feeds.localserver import Canned, OutletServer
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
FEED = (Path(__file__).parent / "data" / "fieldinputs" / "good.xml").read_bytes()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outlet_server: OutletServer) -> Path:
    """One outlet with an urgent verdict; the working directory is `tmp_path`."""
    outlet_server.canned["/dala.xml"] = Canned(body=FEED)
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "feeds.yaml").write_text(
        f"feeds:\n  - {{id: dala, name: Dala, url: '{outlet_server.url('dala.xml')}', lang: ru}}\n",
        encoding="utf-8",
    )
    shutil.copy(REPO / "tests" / "data" / "realworld" / "watchlist.yaml", folder)
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(folder))
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
    return folder


def test_shipped_env_example_copied_as_is_runs_in_console_mode(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cp .env.example .env` leaves the token and chat empty: that is console mode
    (as the README says of an unset token), not a traceback or a refused chat id."""
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    assert main(["check"]) == 0
    assert main(["run", "--once"]) == 0  # a first poll: its backlog goes to the digest
    assert main(["digest"]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert "Суд вынес приговор Айбеку Сарсенову" in out.out


@pytest.mark.parametrize(
    "pasted",
    [f"{TOKEN} ", f" {TOKEN}", f"{TOKEN}\n", f"\t{TOKEN}\r\n"],
    ids=["space after", "space before", "newline", "tab and CRLF"],
)
def test_token_pasted_with_spaces_is_the_token(
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    telegram: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
    pasted: str,
) -> None:
    """Whitespace around a pasted token is not part of it: the verdict goes out."""
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", pasted)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", f" {telegram.chat_id} ")
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", telegram.base_url)
    assert main(["run", "--once"]) == 0
    assert main(["digest"]) == 0
    assert [t for t in telegram.texts if "Сарсенову" in t], telegram.texts
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err


@pytest.mark.parametrize(
    "api",
    ["not a url", "127.0.0.1:8081", f"api.telegram.org/bot{TOKEN}", "ftp://bots.test/"],
    ids=["words", "no scheme", "token inside", "ftp"],
)
def test_telegram_api_that_is_no_url_is_one_line_naming_it(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], api: str
) -> None:
    """A malformed TRIALWATCH_TELEGRAM_API stops the program with the variable's name,
    like every other malformed setting, instead of "Telegram does not answer" at run
    time; the value is not echoed, since it may hold the token."""
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", "@trial_watch_test")
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", api)
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    assert "TRIALWATCH_TELEGRAM_API" in err and "http" in err
    assert "Traceback" not in err and TOKEN not in err
    assert len(err.strip().splitlines()) == 1


def test_check_warns_once_about_an_unknown_variable(
    config: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`trialwatch check` reads the settings once, so a misspelt variable is one warning."""
    monkeypatch.setenv("TRIALWATCH_DIGEST_TIME", "09:00")
    with caplog.at_level(logging.WARNING):
        assert main(["check"]) == 0
    warnings = [
        r.getMessage() for r in caplog.records if "TRIALWATCH_DIGEST_TIME" in r.getMessage()
    ]
    assert len(warnings) == 1, warnings
