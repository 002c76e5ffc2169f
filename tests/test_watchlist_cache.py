"""The compiled watchlist on disk: used when it fits the file and the code, rebuilt
(with one warning when something was wrong) otherwise, never an error."""

import hashlib
import logging
import os
import pickle
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import watchlist_cache
from bot.app import build_app
from bot.config import load_compiled
from bot.services import reload_config_if_changed
from bot.settings import Settings
from bot.watchlist_cache import (
    MAGIC,
    cache_key,
    compiled_watchlist,
    file_name,
    sources_digest,
)
from core.errors import ConfigError
from matchers import Matcher
from tests.fakes import FakeNotifier

WATCHLIST = (
    "defendants:\n"
    "  - id: orynbek\n    name: Talgat Orynbek\n"
    "  - id: sarsembay\n    name: Aizhan Sarsembay\n    aliases: [Айжан Сарсембай]\n"
    "keywords:\n  - id: verdict\n    terms: [sentenced, приговор]\n    urgent: true\n"
)
EDITED = WATCHLIST.replace("Talgat Orynbek", "Erbol Zhaksylyk")
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
ARTICLE = "Talgat Orynbek was sentenced on Tuesday; Айжан Сарсембай appealed."

Compile = Callable[[str], Matcher]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def compile_(folder: Path) -> Compile:
    """Compile a watchlist text through the cache in `folder`."""

    def run(text: str) -> Matcher:
        data = text.encode()
        return compiled_watchlist(data, text, "watchlist.yaml", folder)

    return run


def cache_file(folder: Path, text: str) -> Path:
    return folder / file_name(cache_key(text.encode()))


def found(matcher: Matcher) -> list[tuple[str, str]]:
    return [(m.entry_id, m.form) for m in matcher.match("", ARTICLE)]


def compiled_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "compiled in" in r.getMessage()]


def test_second_load_comes_from_the_file_and_matches_the_same(
    compile_: Compile, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first load compiles and writes the file; the second reads it, finding the same."""
    with caplog.at_level(logging.INFO):
        first = compile_(WATCHLIST)
        assert cache_file(folder, WATCHLIST).is_file()
        second = compile_(WATCHLIST)
    assert len(compiled_messages(caplog)) == 1
    assert second is not first
    assert found(second) == found(first)
    assert {e for e, _ in found(second)} == {"orynbek", "sarsembay", "verdict"}
    assert second.watchlist == first.watchlist


def test_a_hit_loads_the_file_not_the_text(compile_: Compile, folder: Path) -> None:
    """A hit uses the stored index: a file under this key holding another watchlist's
    index is what comes back (proof that nothing was parsed or compiled)."""
    compile_(WATCHLIST)
    file, other = cache_file(folder, WATCHLIST), folder.parent / "other"
    compiled_watchlist(EDITED.encode(), EDITED, "w.yaml", other)
    header, payload = restamped(cache_file(other, EDITED).read_bytes(), WATCHLIST)
    file.write_bytes(header + payload)
    assert "orynbek" not in {e for e, _ in found(compile_(WATCHLIST))}


def test_a_file_stamped_with_another_key_is_stale(
    compile_: Compile, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file whose header names another key (renamed, copied) is ignored with a warning."""
    compile_(WATCHLIST)
    other = folder.parent / "other"
    compiled_watchlist(EDITED.encode(), EDITED, "w.yaml", other)
    shutil.copy(cache_file(other, EDITED), cache_file(folder, WATCHLIST))
    with caplog.at_level(logging.WARNING):
        assert "orynbek" in {e for e, _ in found(compile_(WATCHLIST))}
    assert any("stale" in r.getMessage() for r in caplog.records)
    stored = cache_file(folder, WATCHLIST).read_bytes()
    assert stored.split(b"\n")[1] == cache_key(WATCHLIST.encode()).encode()


def restamped(blob: bytes, text: str) -> tuple[bytes, bytes]:
    """(a header for `text`'s key, the payload of `blob`), checksum kept."""
    _, _, checksum, payload = blob.split(b"\n", 3)
    return MAGIC + cache_key(text.encode()).encode() + b"\n" + checksum + b"\n", payload


def test_an_edited_file_is_compiled_again_and_replaces_the_old_one(
    compile_: Compile, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An edit changes the key: the edit is compiled, and the old file is removed."""
    compile_(WATCHLIST)
    with caplog.at_level(logging.INFO):
        edited = compile_(EDITED)
    assert len(compiled_messages(caplog)) == 1
    assert "orynbek" not in {e for e, _ in found(edited)}
    assert [p.name for p in folder.iterdir()] == [cache_file(folder, EDITED).name]


def test_another_code_version_compiles_again(
    compile_: Compile, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An upgrade (another version or other matcher sources) never loads the old index."""
    compile_(WATCHLIST)
    monkeypatch.setattr(watchlist_cache, "code_version", lambda: b"the next release")
    with caplog.at_level(logging.INFO):
        compile_(WATCHLIST)
    assert len(compiled_messages(caplog)) == 1


def test_an_edited_source_file_changes_the_code_version(tmp_path: Path) -> None:
    """The sources digest covers every .py file of the folders, by name and content."""
    copy = tmp_path / "matchers"
    shutil.copytree(Path(watchlist_cache.__file__).parent.parent / "matchers", copy)
    before = sources_digest([copy])
    assert sources_digest([copy]) == before
    source = copy / "normalize.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert sources_digest([copy]) != before


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-100], id="truncated"),
        pytest.param(lambda b: b[:-50] + bytes([b[-50] ^ 1]) + b[-49:], id="one bit flipped"),
        pytest.param(lambda b: b"not a cache file", id="garbage"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: MAGIC + b.split(b"\n", 1)[1][:70], id="header only"),
    ],
)
def test_a_damaged_file_is_a_warning_and_is_rebuilt(
    compile_: Compile,
    folder: Path,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[bytes], bytes],
) -> None:
    """A damaged cache is ignored with one warning, compiled again and written anew."""
    good = found(compile_(WATCHLIST))
    file = cache_file(folder, WATCHLIST)
    intact = file.read_bytes()
    file.write_bytes(damage(intact))
    with caplog.at_level(logging.WARNING):
        assert found(compile_(WATCHLIST)) == good
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(file) in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage()
    assert file.read_bytes() == intact


def test_a_valid_pickle_that_fails_to_load_is_a_warning(
    compile_: Compile, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache whose checksum holds but whose objects no longer load (a class renamed by
    an upgrade the key missed) is ignored with one warning."""
    key = cache_key(WATCHLIST.encode())
    payload = pickle.dumps(Matcher)[:-1] + b"X."  # a well-formed header, a broken pickle
    folder.mkdir()
    checksum = hashlib.sha256(payload).hexdigest().encode()
    cache_file(folder, WATCHLIST).write_bytes(
        MAGIC + key.encode() + b"\n" + checksum + b"\n" + payload
    )
    with caplog.at_level(logging.WARNING):
        matcher = compile_(WATCHLIST)
    assert {e for e, _ in found(matcher)} == {"orynbek", "sarsembay", "verdict"}
    assert [r.levelno for r in caplog.records].count(logging.WARNING) == 1


def test_an_unreadable_file_is_a_warning(
    compile_: Compile, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache path that cannot be read (here a folder) is a warning, not an error."""
    cache_file(folder, WATCHLIST).mkdir(parents=True)
    with caplog.at_level(logging.WARNING):
        matcher = compile_(WATCHLIST)
    assert found(matcher)
    assert any("unreadable" in r.getMessage() for r in caplog.records)


def test_an_unwritable_folder_is_a_warning_naming_the_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache folder that cannot be made (a file is in the way) costs a warning;
    the watchlist is compiled all the same."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        matcher = compiled_watchlist(WATCHLIST.encode(), WATCHLIST, "w.yaml", blocker / "cache")
    assert found(matcher)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "TRIALWATCH_CACHE_DIR" in warnings[0]
    assert str(blocker / "cache") in warnings[0]


def test_a_bad_watchlist_is_a_config_error_and_caches_nothing(
    compile_: Compile, folder: Path
) -> None:
    """The cache does not change what a mistake in the file looks like."""
    with pytest.raises(ConfigError, match=r"watchlist\.yaml:2: defendants"):
        compile_("defendants:\n  - id: a\n    aliases: [x]\n")
    assert not folder.exists()


def test_writers_at_once_leave_one_whole_file(folder: Path) -> None:
    """Several processes starting together (here threads) each write a temporary file
    and rename it: the file left is whole, and no temporary file stays behind."""
    errors: list[BaseException] = []

    def start() -> None:
        try:
            compiled_watchlist(WATCHLIST.encode(), WATCHLIST, "w.yaml", folder)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [p.name for p in folder.iterdir()] == [cache_file(folder, WATCHLIST).name]
    assert found(compiled_watchlist(WATCHLIST.encode(), WATCHLIST, "w.yaml", folder))


def settings(tmp_path: Path, **values: object) -> Settings:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "feeds.yaml").write_text(
        "feeds:\n  - {id: a, name: A, url: 'https://a.test/rss', lang: en}\n", encoding="utf-8"
    )
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    return Settings(config_dir=config, _env_file=None, **values)  # type: ignore[call-arg]


def test_cache_folder_defaults_next_to_the_sqlite_database(tmp_path: Path) -> None:
    """With SQLite the cache sits by the database file (in Docker: the /data volume)."""
    s = settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'db' / 'tw.db'}")
    assert s.watchlist_cache_dir == tmp_path / "db"
    config, matcher = load_compiled(s)
    assert config.watchlist is matcher.watchlist
    assert list((tmp_path / "db").glob("watchlist-*.compiled"))


def test_cache_folder_with_postgres_is_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a database file, the cache goes to $XDG_CACHE_HOME/trialwatch."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    s = settings(tmp_path, database_url="postgresql://u@127.0.0.1/db")
    assert s.watchlist_cache_dir == tmp_path / "xdg" / "trialwatch"


def test_cache_folder_setting_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TRIALWATCH_CACHE_DIR chooses the folder; an empty value is the same as unset."""
    monkeypatch.setenv("TRIALWATCH_CACHE_DIR", str(tmp_path / "mine"))
    s = settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'tw.db'}")
    assert s.watchlist_cache_dir == tmp_path / "mine"
    load_compiled(s)
    assert list((tmp_path / "mine").glob("watchlist-*.compiled"))
    monkeypatch.setenv("TRIALWATCH_CACHE_DIR", " ")
    s = settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'tw.db'}")
    assert s.watchlist_cache_dir == tmp_path


async def test_start_and_live_reload_use_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Start-up compiles once; a second start and a reload after a feeds.yaml edit
    compile nothing; a watchlist edit compiles once and replaces the file."""
    s = settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'db' / 'tw.db'}")
    with caplog.at_level(logging.INFO):
        async with build_app(s, notifier=FakeNotifier()):
            pass
        async with build_app(s, notifier=FakeNotifier()) as app:
            assert len(compiled_messages(caplog)) == 1
            feeds = s.config_dir / "feeds.yaml"
            edit(feeds, feeds.read_text(encoding="utf-8").replace("name: A", "name: A2"))
            assert await reload_config_if_changed(app, NOW)
            assert len(compiled_messages(caplog)) == 1
            edit(s.config_dir / "watchlist.yaml", EDITED)
            assert await reload_config_if_changed(app, NOW)
            assert len(compiled_messages(caplog)) == 2
            assert app.config.watchlist.people[0].name == "Erbol Zhaksylyk"
            assert app.matcher.watchlist is app.config.watchlist
    assert [p.name for p in (tmp_path / "db").glob("watchlist-*")] == [
        cache_file(tmp_path / "db", EDITED).name
    ]


def edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = path.stat().st_mtime + 1  # coarse file systems: make the change visible
    os.utime(path, (stamp, stamp))
