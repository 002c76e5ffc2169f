"""`trialwatch export` on real SQLite and PostgreSQL: provenance rows, CSV safety, streaming."""

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.cli import main
from bot.research.export import ExportOptions, export, safe_cell
from core.research import ArticleFilter, PageChange, Verdict
from storage import articles, outbox
from storage.db import init_db, make_engine
from storage.evidence import add_page_snapshot, page_changes
from storage.export import iter_provenance
from tests.archive import NOW, fill, items

CONFIG = Path(__file__).parent.parent / "config"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    fill(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(CONFIG))


def test_csv_has_one_row_per_match_with_provenance(
    engine: Engine, cli_env: None, tmp_path: Path
) -> None:
    """Every stored (article, entry) match is a row: outlet, links, UTC times, entry, hash."""
    target = tmp_path / "out.csv"
    assert main(["export", "--output", str(target), "--bom"]) == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == articles.counts(engine).matches == 8
    first = rows[0]
    item = items()[0]
    assert first["outlet_id"] == "a" and first["outlet"] == "Outlet A"
    assert first["canonical_url"] == first["url"] == item.key
    assert first["published_utc"] == "2026-11-20T08:00:00Z"
    assert first["first_seen_utc"] == "2026-11-20T08:10:00Z"
    assert (first["entry_id"], first["kind"], first["form"]) == (
        "tasbolatov",
        "person",
        "Yerzhan Tasbolatov",
    )
    assert first["score"] == "1.0" and first["reason"] == "full name"
    expected = hashlib.sha256(f"{item.title}\n\n{item.text}".encode()).hexdigest()
    assert first["evidence_sha256"] == expected
    assert first["delivered_utc"] == first["delivered_to"] == ""


def test_formula_cells_are_shown_as_text(engine: Engine) -> None:
    """Title `=HYPERLINK(…)` and snippet `+7 …` cannot run as spreadsheet formulas."""
    out = io.StringIO()
    export(engine, ArticleFilter(entry="verdict"), out, ExportOptions())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    [leaflet] = [r for r in rows if r["url"].endswith("/7")]
    assert leaflet["title"].startswith("'=HYPERLINK(")
    assert leaflet["snippet"].startswith("'+7 701")
    assert leaflet["published_utc"] == ""  # the feed gave no date


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+7", "'+7"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("a=b", "a=b"),
        (0.75, 0.75),
        (None, ""),
    ],
)
def test_safe_cell(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


def test_jsonl_follows_the_filters_and_names_entries(engine: Engine) -> None:
    """JSON lines keep nulls and numbers; --entry, --since and --outlet narrow the rows."""
    out = io.StringIO()
    options = ExportOptions(format="jsonl", name_of={"tasbolatov": "Yerzhan Tasbolatov"}.get)
    since = NOW - timedelta(days=5)
    assert export(engine, ArticleFilter(since=since, entry="tasbolatov"), out, options) == 3
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["url"][-4:] for r in records] == ["ru/2", "kk/5", "ws/8"]
    assert {r["entry_name"] for r in records} == {"Yerzhan Tasbolatov"}
    assert records[2]["score"] == 0.3 and records[2]["delivered_utc"] is None
    out = io.StringIO()
    assert export(engine, ArticleFilter(outlet="b", lang="kk"), out, options) == 1


def test_delivered_rows_say_when_and_where(engine: Engine) -> None:
    """After the channel accepted an article, its rows carry the time and the channel."""
    pending = outbox.pending(engine, urgent=False)
    outbox.mark_sent(engine, [p.delivery_id for p in pending if p.title.startswith("Court")], NOW)
    out = io.StringIO()
    export(engine, ArticleFilter(outlet="a"), out, ExportOptions("jsonl", delivered_to="@chan"))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    sent = [r for r in records if r["delivered_utc"]]
    assert [(r["title"], r["delivered_utc"], r["delivered_to"]) for r in sent] == [
        ("Court hears Tasbolatov appeal", "2026-11-25T12:00:00Z", "@chan")
    ]


def test_rows_stream_in_batches_in_storage_order(engine: Engine) -> None:
    """Keyset batches of 3 give the same rows, in the same order, as one batch."""
    with engine.connect() as connection:
        small = [r.match_id for r in iter_provenance(connection, ArticleFilter(), batch=3)]
        whole = [r.match_id for r in iter_provenance(connection, ArticleFilter(), batch=1000)]
    assert small == whole == sorted(whole) and len(whole) == 8


def test_unwritable_output_is_a_clear_error(
    engine: Engine, cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad --output path names the file; nothing half-written elsewhere."""
    assert main(["export", "--output", str(tmp_path / "missing" / "out.csv")]) == 1
    assert "out.csv: cannot write the export" in capsys.readouterr().err


def test_one_row_per_match_whatever_the_destinations_with_page_changes(engine: Engine) -> None:
    """An article sent to two destinations is still one row per (article, entry), naming
    both chats; its page changes (edited, then taken down) come with times and hashes."""
    [court] = [p for p in outbox.pending(engine, urgent=False) if p.title.startswith("Court")]
    with engine.begin() as connection:
        article_id = connection.execute(
            text("SELECT article_id FROM delivery WHERE id = :d"), {"d": court.delivery_id}
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO delivery (article_id, destination, urgent, created_at, attempts) "
                "VALUES (:a, 'desk', false, :now, 0)"
            ),
            {"a": article_id, "now": NOW},
        )
    outbox.mark_sent(engine, [court.delivery_id], NOW, chat="@chan", message_id=5)
    [desk] = outbox.pending(engine, urgent=False, destination="desk")
    later = NOW + timedelta(hours=1)
    outbox.mark_sent(engine, [desk.delivery_id], later, chat="-1005550000002", topic=7)
    first, edited = "a" * 64, "b" * 64
    with engine.begin() as connection:
        add_page_snapshot(connection, article_id, 0, Verdict("first", 200, sha256=first), NOW)
        change = Verdict("changed", 200, sha256=edited, text="x", diff="-a\n+b", notable=True)
        add_page_snapshot(connection, article_id, 1, change, later)
        gone = Verdict("gone", 404, notable=True)
        add_page_snapshot(connection, article_id, 2, gone, NOW + timedelta(days=1))
    out = io.StringIO()
    export(engine, ArticleFilter(outlet="a"), out, ExportOptions("jsonl"))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    [row] = [r for r in records if r["title"].startswith("Court")]  # one entry matched
    edited_change = PageChange("changed", later, first, edited, 200)
    gone_change = PageChange("gone", NOW + timedelta(days=1), edited, None, 404)
    assert row["delivered_utc"] == "2026-11-25T12:00:00Z"
    assert row["delivered_to"] == "@chan -1005550000002/7"
    assert row["page_status"] == "gone"
    assert [(c["change"], c["at"], c["sha256_before"], c["sha256_after"]) for c in
            row["page_changes"]] == [
        ("edited", "2026-11-25T13:00:00Z", first, edited),
        ("taken down", "2026-11-26T12:00:00Z", edited, None),
    ]  # fmt: skip
    out = io.StringIO()
    export(engine, ArticleFilter(outlet="a"), out, ExportOptions("csv"))
    [cells] = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["title"][:5] == "Court"]
    assert cells["page_changes"] == (
        "edited 2026-11-25T13:00:00Z aaaaaaaa→bbbbbbbb; taken down 2026-11-26T12:00:00Z HTTP 404"
    )
    with engine.connect() as connection:  # ids close together: one range; far apart: IN lists
        near = page_changes(connection, [article_id - 1, article_id, article_id + 1])
        far = page_changes(connection, [article_id, article_id + 10_000])
        alone = page_changes(connection, [article_id - 1])
    assert near == far == {article_id: [edited_change, gone_change]} and alone == {}
