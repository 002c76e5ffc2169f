"""Config files: every mistake is reported with file, line and key, and what to do."""

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from core.errors import ConfigError
from feeds.outlets import parse_outlets
from matchers import parse_watchlist

REPO = Path(__file__).resolve().parent.parent

BAD_WATCHLISTS = [
    pytest.param(
        "defendants:\n  - id: a\n    name: [unclosed\n",
        "w.yaml:3: invalid YAML",
        id="yaml syntax error",
    ),
    pytest.param(
        "defendants:\n  - id: a\n    aliases: [x]\n",
        "w.yaml:2: defendants[0]: missing required key 'name'",
        id="missing key",
    ),
    pytest.param(
        "defendants:\n  - id: a\n    name: A B\ncases:\n  - id: a\n    name: C\n",
        "w.yaml:5: cases[0].id: duplicate id 'a' (first used on line 2)",
        id="duplicate id",
    ),
    pytest.param(
        "defendants:\n  - id: a\n    name: A B\n    alias: [x]\n",
        "w.yaml:4: defendants[0].alias: unknown key; allowed keys are",
        id="unknown key",
    ),
    pytest.param(
        "defendants:\n  - id: a\n    name: '  '\n",
        "w.yaml:3: defendants[0].name: must not be empty",
        id="empty name",
    ),
    pytest.param(
        "defendants:\n  - id: a\n    name: A B\n    aliases: Бегалиев\n",
        "w.yaml:4: defendants[0].aliases: expected a list of strings like [a, b], got 'Бегалиев'",
        id="aliases not a list",
    ),
    pytest.param(
        "defendants:\n  - id: Bad Id\n    name: A B\n",
        "w.yaml:2: defendants[0].id: 'Bad Id' is not allowed",
        id="bad id",
    ),
    pytest.param(
        "keywords:\n  - id: k\n    terms: [a]\n    urgent: yes please\n",
        "w.yaml:4: keywords[0].urgent: expected true or false",
        id="flag not a boolean",
    ),
    pytest.param(
        "defendant:\n  - id: a\n    name: A B\n",
        "w.yaml:1: defendant: unknown section",
        id="misspelt section",
    ),
    pytest.param(
        "cases:\n  - id: c\n    name: C\n    together: [[January]]\n",
        "w.yaml:4: cases[0].together[0]: a pattern needs at least two groups",
        id="together pattern too short",
    ),
    pytest.param(
        "regions: Almaty\n",
        "w.yaml:1: regions: expected a list of places like [Almaty, [Kazakhstan, Kazakh]]",
        id="regions not a list",
    ),
    pytest.param(
        "regions:\n  - Almaty\n  - []\n",
        "w.yaml:3: regions[1]: an empty list: write the place's name, then other forms",
        id="empty region",
    ),
    pytest.param(
        "cases:\n  - id: c\n    name: C\n    everyday: January events\n",
        "w.yaml:4: cases[0].everyday: expected a list of strings like [a, b]",
        id="everyday not a list",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_WATCHLISTS)
def test_watchlist_errors_name_file_line_and_key(text: str, expected: str) -> None:
    """A bad watchlist edit is refused with a precise, actionable message."""
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "w.yaml")
    assert expected in str(caught.value)


def test_every_problem_is_listed_at_once() -> None:
    """Users fix a file in one go: all problems are reported, not just the first."""
    text = "defendants:\n  - id: a\n  - name: B C\n"
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "w.yaml")
    assert len(caught.value.problems) == 2


BAD_FEEDS = [
    pytest.param(
        "feeds:\n  - id: a\n    name: A\n    url: ftp://x\n    lang: en\n",
        "f.yaml:4: feeds[0].url: 'ftp://x' is not an http(s) URL",
        id="bad url",
    ),
    pytest.param(
        "feeds:\n  - id: a\n    name: A\n    url: https://x/rss\n    lang: en\n    every: soon\n",
        "f.yaml:6: feeds[0].every: 'soon' is not a duration",
        id="bad interval",
    ),
    pytest.param(
        "feeds:\n  - id: a\n    name: A\n    url: https://x/rss\n    lang: english\n",
        "f.yaml:5: feeds[0].lang: 'english' is not an ISO language code",
        id="bad language",
    ),
    pytest.param(
        "feeds:\n  - id: a\n    name: A\n    url: https://x/rss\n",
        "f.yaml:2: feeds[0]: missing required key 'lang'",
        id="missing lang",
    ),
    pytest.param(
        "outlets: []\n",
        "f.yaml:1: expected a mapping with a 'feeds:' list",
        id="wrong top-level key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FEEDS)
def test_feed_errors_name_file_line_and_key(text: str, expected: str) -> None:
    """A bad outlet entry is refused with a precise message."""
    with pytest.raises(ConfigError) as caught:
        parse_outlets(text, "f.yaml")
    assert expected in str(caught.value)


def test_shipped_config_files_load() -> None:
    """The config/ files users start from are valid and non-trivial."""
    config = load_config(REPO / "config")
    assert len(config.outlets) >= 10
    assert {"en", "ru", "kk"} <= {o.lang for o in config.outlets}
    assert len(config.watchlist.people) >= 5 and config.watchlist.cases


def test_check_config_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """check-config exits 1 and prints path:line: key: problem for each error."""
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - {id: a, name: A, url: 'https://x/rss', lang: en}\n", encoding="utf-8"
    )
    (tmp_path / "watchlist.yaml").write_text(
        "defendants:\n  - id: a\n    name: A B\n  - id: a\n    name: C D\n", encoding="utf-8"
    )
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(tmp_path))
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'watchlist.yaml'}:4: defendants[1].id: duplicate id 'a'" in err
    (tmp_path / "watchlist.yaml").write_text(
        "defendants:\n  - {id: a, name: A B}\n", encoding="utf-8"
    )
    assert main(["check-config"]) == 0
    assert "1 outlets, 1 people" in capsys.readouterr().out


def test_bad_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed environment variable is named with what is expected."""
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(REPO / "config"))
    monkeypatch.setenv("TRIALWATCH_DIGEST_AT", "9am")
    assert main(["check-config"]) == 1
    assert "TRIALWATCH_DIGEST_AT: '9am' is not a time like 09:00" in capsys.readouterr().err


def test_token_without_chat_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token with no channel would lose every message: refuse to start."""
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", "123:abc")
    assert main(["run", "--once"]) == 1
    assert "TRIALWATCH_TELEGRAM_CHAT is required" in capsys.readouterr().err
