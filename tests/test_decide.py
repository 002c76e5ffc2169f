"""When to poll next and how healthy an outlet is: pure decisions, fixed clocks."""

from datetime import UTC, datetime, timedelta

import pytest

from feeds.decide import MAX_BACKOFF, next_poll_at, outlet_state

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
EVERY = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("failures", "retry_after", "wait"),
    [
        (0, None, EVERY),
        (1, None, EVERY),
        (2, None, EVERY * 2),
        (4, None, EVERY * 8),
        (30, None, MAX_BACKOFF),
        (0, timedelta(hours=1), timedelta(hours=1)),
        (2, timedelta(seconds=5), EVERY * 2),
        (1, timedelta(days=3), MAX_BACKOFF),
    ],
    ids=[
        "success",
        "first failure",
        "doubling",
        "more doubling",
        "capped",
        "retry-after",
        "retry-after shorter than backoff",
        "retry-after capped",
    ],
)
def test_backoff(failures: int, retry_after: timedelta | None, wait: timedelta) -> None:
    """Exponential backoff from the interval, capped, at least Retry-After; never disabled."""
    assert next_poll_at(NOW, EVERY, failures=failures, retry_after=retry_after) == NOW + wait


def test_jitter_spreads_retries_by_at_most_ten_percent() -> None:
    """Failing outlets do not all retry in the same second."""
    low = next_poll_at(NOW, EVERY, failures=3, jitter=0.0)
    high = next_poll_at(NOW, EVERY, failures=3, jitter=0.99)
    assert low < high <= low + (low - NOW) * 0.1


@pytest.mark.parametrize(
    ("failures", "kind", "quiet", "state"),
    [
        (0, None, timedelta(hours=1), "ok"),
        (1, "blocked", None, "ok"),
        (2, "blocked", None, "blocked"),
        (2, "broken", None, "broken"),
        (2, "failing", None, "ok"),
        (3, "failing", None, "failing"),
        (0, None, timedelta(days=1), "ok"),
        (0, None, timedelta(days=3), "silent"),
    ],
)
def test_outlet_state(failures: int, kind: str | None, quiet: timedelta | None, state: str) -> None:
    """One bad poll is weather; repeated ones change the state; long quiet is 'silent'."""
    last_new = NOW - quiet if quiet else None
    gap = timedelta(hours=2) if quiet else None
    assert (
        outlet_state(failures=failures, error_kind=kind, last_new_at=last_new, new_gap=gap, now=NOW)
        == state
    )
