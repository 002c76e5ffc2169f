"""What a poll decides: what is new, when to poll next, how healthy an outlet is, what
feeds.yaml makes of the outlet rows. Pure decisions, fixed clocks, no database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import FetchError
from core.records import Health, OutletConfig, OutletForPoll, OutletStatus
from feeds.decide import MAX_BACKOFF, after_failure, after_success, next_poll_at
from feeds.health import outlet_state, smoothed_gap, state_changes
from feeds.outlets import plan_sync
from feeds.records import FetchedFeed

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


def outlet(**kwargs: object) -> OutletForPoll:
    return OutletForPoll("kz-daily", "KZ Daily", "https://kz-daily.test/rss", "ru", EVERY, **kwargs)  # type: ignore[arg-type]


def fetched(status: int = 200, **kwargs: object) -> FetchedFeed:
    return FetchedFeed(outlet(), status, b"", {}, '"v2"', "Sun, 22 Nov 2026 05:00:00 GMT", **kwargs)  # type: ignore[arg-type]


def test_smoothed_gap_starts_at_the_first_gap_then_moves_by_a_third() -> None:
    """The usual gap between new items: none before two finds, then a moving average."""
    assert smoothed_gap(None, None, NOW) is None
    assert smoothed_gap(NOW - timedelta(hours=2), None, NOW) == timedelta(hours=2)
    after_burst = smoothed_gap(NOW - timedelta(minutes=10), timedelta(hours=2), NOW)
    assert after_burst == timedelta(seconds=int(0.7 * 7200 + 0.3 * 600))


def test_after_success_keeps_validators_resets_failures_and_learns_the_gap() -> None:
    """A 200 with new items: new validators, no error, next poll `every` away, gap updated."""
    before = outlet(failures=4, last_new_at=NOW - timedelta(hours=1), new_gap=timedelta(hours=1))
    update = after_success(before, fetched(), NOW, found_new=True)
    assert (update.etag, update.failures, update.error) == ('"v2"', 0, None)
    assert update.next_poll_at == NOW + EVERY
    assert update.found_new and update.new_gap == timedelta(hours=1)
    quiet = after_success(before, fetched(304), NOW, found_new=False)
    assert not quiet.found_new and quiet.new_gap is None and quiet.status == 304


def test_after_failure_counts_and_backs_off_keeping_the_validators() -> None:
    """A failure adds one to the failures in a row, keeps ETag, records kind and status."""
    before = outlet(failures=2, etag='"v1"')
    error = FetchError(
        "kz-daily", "https://kz-daily.test/rss", "HTTP 403", status=403, kind="blocked"
    )
    update = after_failure(before, error, NOW, retry_after=None, jitter=0.0)
    assert (update.failures, update.etag, update.error_kind, update.status) == (
        3,
        '"v1"',
        "blocked",
        403,
    )
    assert update.error == str(error) and update.next_poll_at == NOW + EVERY * 4


def status(state: Health, **kwargs: object) -> OutletStatus:
    fields = {"failures": 0, "last_error": None, "last_success_at": None, "last_new_at": None}
    return OutletStatus("x", "X", "https://x.test", state, **{**fields, **kwargs})  # type: ignore[arg-type]


def test_state_changes_lists_only_outlets_whose_health_moved() -> None:
    """An outlet whose stored state still holds is not reported; a changed one is, with why."""
    blocked = status("ok", failures=2, error_kind="blocked", last_error="HTTP 403")
    steady = replace(status("failing", failures=5, error_kind="failing"), id="y")
    [change] = state_changes([steady, blocked], NOW)
    assert (change.outlet_id, change.old, change.new, change.error) == (
        "x",
        "ok",
        "blocked",
        "HTTP 403",
    )


CONFIGS = [
    OutletConfig("a", "A", "https://a.test/rss", "en"),
    OutletConfig("b", "B", "https://b.test/rss", "kk", timedelta(hours=1)),
]


def test_plan_sync_resets_new_and_edited_outlets_only() -> None:
    """New outlets and edited URLs are polled now from the new URL; unchanged ones keep
    their redirect, validators and schedule."""
    stored = {"a": "https://a.test/rss", "b": "https://b.test/old-rss", "gone": "https://g.test"}
    a, b = plan_sync(CONFIGS, stored, EVERY, NOW)
    assert (a.id, a.reset_at, a.every) == ("a", None, EVERY)
    assert (b.id, b.reset_at, b.config_url, b.every) == (
        "b",
        NOW,
        "https://b.test/rss",
        timedelta(hours=1),
    )
    [fresh] = plan_sync(CONFIGS[:1], {}, EVERY, NOW)
    assert fresh.reset_at == NOW
