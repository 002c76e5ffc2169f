"""Export stored matches with provenance, as CSV or JSON lines, streamed.

One row per (article, entry). Times are ISO 8601 UTC (`2026-11-22T10:00:00Z`).
CSV: UTF-8, optionally with a byte-order mark so spreadsheet software reads it
as UTF-8 (Excel does not without one); a text cell starting with = + - @, tab or
carriage return is prefixed with `'` so a spreadsheet shows it instead of
running it as a formula (OWASP, "CSV Injection").
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.errors import StorageError
from core.records import DEFAULT_DESTINATION
from core.research import ArticleFilter, PageChange, ProvenanceRow, Sent
from storage.export import iter_provenance

Format = Literal["csv", "jsonl"]
COLUMNS = (
    "outlet_id", "outlet", "canonical_url", "url", "title", "published_utc", "first_seen_utc",
    "lang", "entry_id", "entry_name", "kind", "form", "score", "reason", "snippet",
    "delivered_utc", "delivered_to", "evidence_sha256", "page_status", "page_changes",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ExportOptions:
    format: Format = "csv"
    bom: bool = False  # CSV only
    name_of: Callable[[str], str] = str  # entry id → display name (the watchlist's)
    delivered_to: str = (
        ""  # the chat of destination `default`, for rows sent before chats were kept
    )


def export(engine: Engine, where: ArticleFilter, out: TextIO, options: ExportOptions) -> int:
    """Write every matching row to `out`; return how many. Memory does not grow with rows."""
    records = (as_record(row, options) for row in _rows(engine, where))
    if options.format == "jsonl":
        return write_jsonl(records, out)
    return write_csv(records, out, bom=options.bom)


def _rows(engine: Engine, where: ArticleFilter) -> Iterator[ProvenanceRow]:
    try:
        with engine.connect() as connection:
            yield from iter_provenance(connection, where)
    except SQLAlchemyError as e:  # raised while iterating, so not through wrap_errors
        raise StorageError(f"database error in export: {str(e).splitlines()[0]}") from e


def as_record(row: ProvenanceRow, options: ExportOptions) -> dict[str, object]:
    """One export row as plain values, keyed by COLUMNS."""
    return {
        "outlet_id": row.outlet_id,
        "outlet": row.outlet,
        "canonical_url": row.canonical_url,
        "url": row.url,
        "title": row.title,
        "published_utc": iso(row.published),
        "first_seen_utc": iso(row.first_seen),
        "lang": row.lang,
        "entry_id": row.entry_id,
        "entry_name": options.name_of(row.entry_id),
        "kind": row.kind,
        "form": row.form,
        "score": round(row.score, 3),
        "reason": row.reason,
        "snippet": row.snippet,
        "delivered_utc": iso(row.delivered_at),
        "delivered_to": " ".join(_where(s, options) for s in row.delivered_to) or None,
        "evidence_sha256": row.evidence_sha256,
        "page_status": row.page_status,
        "page_changes": _changes(row.page_changes, options.format),
    }


def _where(sent: Sent, options: ExportOptions) -> str:
    """The chat (and /topic) a delivery went to; else the destination's id."""
    if sent.chat is not None:
        return sent.chat + (f"/{sent.topic}" if sent.topic is not None else "")
    if sent.destination == DEFAULT_DESTINATION and options.delivered_to:
        return options.delivered_to
    return sent.destination


def _changes(changes: Sequence[PageChange], format: Format) -> object:
    """JSON lines: a list of objects; CSV: `edited 2026-11-21T10:40:00Z af30616f→120624f8;
    taken down 2026-11-22T09:40:00Z HTTP 404` (hashes cut to 8 hex digits)."""
    if format == "jsonl":
        return [
            {
                "change": c.label,
                "at": iso(c.at),
                "sha256_before": c.sha256_before,
                "sha256_after": c.sha256_after,
                "http_status": c.http_status,
                "final_url": c.final_url,
            }
            for c in changes
        ]
    return "; ".join(change_line(c) for c in changes) or None


def change_line(c: PageChange) -> str:
    """One page change in a line: what, when (UTC), hash prefixes or status."""
    line = f"{c.label} {iso(c.at)}"
    if c.status == "changed":
        return f"{line} {(c.sha256_before or '?')[:8]}→{(c.sha256_after or '?')[:8]}"
    if c.status == "gone":
        return f"{line} HTTP {c.http_status}"
    return f"{line} → {c.final_url}"


def iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_jsonl(records: Iterable[dict[str, object]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(records: Iterable[dict[str, object]], out: TextIO, *, bom: bool = False) -> int:
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for record in records:
        writer.writerow([safe_cell(record[c]) for c in COLUMNS])
        count += 1
    return count


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: `=SUM(A1)` → `'=SUM(A1)`; None → empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
