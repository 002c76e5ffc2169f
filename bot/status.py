"""`trialwatch status`: a table of outlets, and one of replicas in replica mode.
Pure: takes rows and `now`."""

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.records import OutletStatus
from storage.replicas import ReplicaStatus

ERROR_WIDTH = 90
# str(FeedError): "fetch failed: <outlet> '<url>': <cause>" (core.errors).
_ERROR = re.compile(r"(?P<action>[^:']+): \S+ '[^']*': (?P<cause>.*)", re.S)


def render_status(rows: Sequence[OutletStatus], now: datetime, tz: ZoneInfo) -> str:
    """One line per outlet: id, state, last success, last new item, and the cause of
    the last poll's error. An outlet whose last poll failed is never shown `ok`: its
    health waits for a few failures in a row, so until then it is `retrying`."""
    table = [("outlet", "state", "last success", "last new item", "error")]
    for row in rows:
        failed = row.failures > 0
        state = "retrying" if failed and row.state == "ok" else row.state
        table.append(
            (
                row.id,
                f"{state} ({row.failures}×)" if failed else state,
                _when(row.last_success_at, now, tz),
                _when(row.last_new_at, now, tz),
                error_cause(row.last_error) if failed or row.state != "ok" else "",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(r[:4], widths, strict=True))
        + "  "
        + r[4]
        for r in table
    ).rstrip()


def error_cause(error: str | None) -> str:
    """What went wrong, without the outlet and URL the table already shows, on one
    line of at most ERROR_WIDTH characters."""
    text = " ".join((error or "").split())
    if found := _ERROR.fullmatch(text):
        text = f"{found['action']}: {found['cause']}"
    return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"


def render_replicas(
    rows: Sequence[ReplicaStatus], now: datetime, tz: ZoneInfo, lease: timedelta
) -> str:
    """One line per replica: host, pid, state, started, last heartbeat, tasks done.
    `alive` while its last heartbeat is younger than the lease; `silent` after (its
    tasks are being taken over); `stopped` after a clean stop."""
    table = [("host", "pid", "state", "started", "last heartbeat", "tasks done")]
    for r in rows:
        if r.stopped_at is not None:
            state = "stopped"
        else:
            state = "alive" if now - r.heartbeat_at < lease else "silent"
        beat = f"{r.heartbeat_at.astimezone(tz):%H:%M:%S} ({_ago(now - r.heartbeat_at)})"
        table.append(
            (
                r.host,
                str(r.pid),
                state,
                f"{r.started_at.astimezone(tz):%d %b %H:%M}",
                beat,
                str(r.tasks_done),
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip()
        for r in table
    )


def _ago(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    return f"{seconds}s ago" if seconds < 120 else f"{seconds // 60}m ago"


def _when(value: datetime | None, now: datetime, tz: ZoneInfo) -> str:
    if value is None:
        return "never"
    age = (now - value).total_seconds()
    if age < 3600:
        ago = f"{int(age // 60)}m ago"
    elif age < 172_800:
        ago = f"{int(age // 3600)}h ago"
    else:
        ago = f"{int(age // 86400)}d ago"
    return f"{value.astimezone(tz):%d %b %H:%M} ({ago})"
