"""`trialwatch status`: a table of outlets. Pure: takes rows and `now`."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from core.records import OutletStatus

ERROR_WIDTH = 70


def render_status(rows: Sequence[OutletStatus], now: datetime, tz: ZoneInfo) -> str:
    """One line per outlet: id, state, last success, last new item, last error."""
    table = [("outlet", "state", "last success", "last new item", "error")]
    for row in rows:
        error = (row.last_error or "").replace("\n", " ")
        if len(error) > ERROR_WIDTH:
            error = error[: ERROR_WIDTH - 1] + "…"
        table.append(
            (
                row.id,
                row.state,
                _when(row.last_success_at, now, tz),
                _when(row.last_new_at, now, tz),
                error if row.state != "ok" else "",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(r[:4], widths, strict=True))
        + "  "
        + r[4]
        for r in table
    ).rstrip()


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
