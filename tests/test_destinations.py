"""Destinations: the file is validated like the others, filters route each article,
digests keep their own times and quiet hours. Pure: no database, no Telegram."""

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.destinations import (
    ArticleFacts,
    Destination,
    DestinationFilter,
    destinations_for,
    digest_due,
    digest_slot,
    is_quiet,
    parse_destinations,
)
from core.errors import ConfigError
from core.records import Match
from matchers import parse_watchlist

WATCHLIST = parse_watchlist(
    """
defendants:
  - {id: orazbek, name: Dauren Orazbek}
  - {id: semirova, name: Lyazzat Semirova}
cases:
  - {id: salt-lake, name: Salt Lake affair}
keywords:
  - {id: verdict, terms: [verdict], urgent: true}
regions:
  - [Mangystau, Мангистауский]
""",
    "w.yaml",
)

FULL = """
destinations:
  - id: main
    chat: -1001000000001
  - id: salt-desk
    chat: -1002000000002
    topic: 7
    filter:
      cases: [salt-lake]
      entries: [semirova]
      kinds: [person, case]
      languages: [ru, kk]
      regions: [Мангистауский]
    digest_at: "08:00, 20:00"
    quiet: "22:00-07:00"
    timezone: Asia/Aqtau
  - id: alerts
    chat: "@trial_alerts"
    filter: {urgent_only: true}
"""


def match(entry: str, kind: str = "person", score: float = 1.0) -> Match:
    return Match(entry, kind, entry, 0, 3, score, "full name", entry, (0, 3))  # type: ignore[arg-type]


def test_full_file_parses() -> None:
    """Every key of the example is read into the destination it belongs to."""
    main, desk, alerts = parse_destinations(FULL, "d.yaml", WATCHLIST)
    assert (main.id, main.chat, main.topic, main.filter) == (
        "main",
        -1001000000001,
        None,
        DestinationFilter(),
    )
    assert main.digest_at == (time(9, 0),)
    assert desk.topic == 7 and desk.timezone == "Asia/Aqtau"
    assert desk.filter.cases == {"salt-lake"} and desk.filter.regions == {"mangystau"}
    assert desk.digest_at == (time(8, 0), time(20, 0))
    assert desk.quiet == (time(22, 0), time(7, 0))
    assert alerts.chat == "@trial_alerts" and alerts.filter.urgent_only


BAD = [
    pytest.param("destinations: []\n", "d.yaml:1: destinations: list at least one", id="empty"),
    pytest.param(
        "destinations:\n  - id: a\n    chat: -1001\n    filter: {cases: [orazbek]}\n",
        "d.yaml:4: destinations[0].filter.cases[0]: 'orazbek' is not a case id in the watchlist",
        id="a person where a case belongs",
    ),
    pytest.param(
        "destinations:\n  - id: a\n    chat: -1001\n    filter:\n      entries: [nobody]\n",
        "d.yaml:5: destinations[0].filter.entries[0]: 'nobody' is not an entry id",
        id="unknown entry",
    ),
    pytest.param(
        "destinations:\n  - id: a\n    chat: -1001\n    digest_at: [18:30]\n",
        "d.yaml:4: destinations[0].digest_at: got the number 1110: put times in quotes",
        id="unquoted time",
    ),
    pytest.param(
        "destinations:\n  - id: a\n    chat: -1001\n    quiet: '22:00'\n",
        'd.yaml:4: destinations[0].quiet: expected a range like "22:00-07:00"',
        id="quiet without an end",
    ),
    pytest.param(
        "destinations:\n  - id: a\n    chat: general\n",
        "d.yaml:3: destinations[0].chat: expected a chat id like -1001234567890 or @channelname",
        id="chat that is neither id nor @name",
    ),
    pytest.param(
        "destinations:\n  - id: a\n    chat: -1001\n    topic: general\n",
        "d.yaml:4: destinations[0].topic: expected the forum topic's number",
        id="topic by name",
    ),
    pytest.param(
        "destinations:\n  - {id: a, chat: -1001}\n  - {id: b, chat: '-1001'}\n",
        "d.yaml:3: destinations[1].chat: same chat and topic as the destination on line 2",
        id="same chat twice",
    ),
    pytest.param(
        "destinations:\n  - {id: a, chat: -1001, filter: {kinds: [people]}}\n",
        "d.yaml:2: destinations[0].filter.kinds[0]: 'people' is not a kind",
        id="unknown kind",
    ),
    pytest.param(
        "destinations:\n  - {id: a, chat: -1001, filter: {urgent: true}}\n",
        "d.yaml:2: destinations[0].filter.urgent: unknown key; allowed keys are cases, entries",
        id="misspelt filter key",
    ),
    pytest.param(
        "destinations:\n  - {id: a, chat: -1001, filter: {regions: [Atlantis]}}\n",
        "d.yaml:2: destinations[0].filter.regions[0]: 'Atlantis' is not a region of the watchlist",
        id="unknown region",
    ),
    pytest.param(
        "destinations:\n  - {id: a, chat: -1001, timezone: Almaty}\n",
        "d.yaml:2: destinations[0].timezone: unknown time zone 'Almaty'",
        id="bad time zone",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_mistakes_are_located(text: str, expected: str) -> None:
    """Each mistake names the file, the line, the key and what to write instead."""
    with pytest.raises(ConfigError) as caught:
        parse_destinations(text, "d.yaml", WATCHLIST)
    assert expected in str(caught.value)


ROUTES = [
    pytest.param(ArticleFacts((match("orazbek"),), "en", False), ("main",), id="person, en"),
    pytest.param(
        ArticleFacts((match("semirova"),), "ru", False, frozenset({"mangystau"})),
        ("main", "salt-desk"),
        id="listed person, ru, region",
    ),
    pytest.param(
        ArticleFacts((match("semirova"),), "ru", False),
        ("main",),
        id="listed person without the region",
    ),
    pytest.param(
        ArticleFacts(
            (match("salt-lake", "case"), match("verdict", "keyword")),
            "kk",
            True,
            frozenset({"mangystau"}),
        ),
        ("main", "salt-desk", "alerts"),
        id="urgent case news",
    ),
    pytest.param(
        ArticleFacts((match("orazbek", score=0.3),), "en", True), (), id="nothing deliverable"
    ),
]


@pytest.mark.parametrize(("facts", "expected"), ROUTES)
def test_route(facts: ArticleFacts, expected: tuple[str, ...]) -> None:
    """An article goes to every destination whose filter it passes, and only those."""
    assert destinations_for(facts, parse_destinations(FULL, "d.yaml", WATCHLIST)) == expected


DESK = Destination(
    "desk", -1001, digest_at=(time(8, 0), time(22, 30)), quiet=(time(22, 0), time(7, 0))
)


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    """A moment given in Almaty time (UTC+5), as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo("Asia/Almaty")).astimezone(UTC)


def test_quiet_hours_wrap_midnight() -> None:
    """22:00-07:00 is quiet at 23:00 and 06:59, not at 07:00 or 21:59."""
    assert is_quiet(DESK, at(23)) and is_quiet(DESK, at(6, 59))
    assert not is_quiet(DESK, at(7)) and not is_quiet(DESK, at(21, 59))


def test_digest_times_and_quiet_hours() -> None:
    """The 08:00 digest is due once at 08:00; the 22:30 one falls in quiet hours and
    waits until they end at 07:00."""
    assert not digest_due(DESK, at(7, 0), at(7, 59))
    assert digest_due(DESK, at(7, 0), at(8, 0))
    assert not digest_due(DESK, at(8, 0), at(12, 0))  # already sent at 08:00
    assert not digest_due(DESK, at(8, 0), at(22, 31))  # quiet: held
    assert not digest_due(DESK, at(8, 0), at(6, 59, day=11))
    assert digest_due(DESK, at(8, 0), at(7, 0, day=11))  # quiet ended: the held digest
    assert not digest_due(DESK, at(7, 0, day=11), at(7, 30, day=11))


def test_digest_slot_is_the_scheduled_time_whoever_reads_the_clock() -> None:
    """Several clocks reading the time a little apart name the same digest: the scheduled
    time (08:00), or the end of the quiet hours a digest time fell in (07:00 next day);
    none while quiet, none once `grace` has passed, none for an urgent-only destination."""
    from datetime import timedelta

    hour = timedelta(hours=1)
    assert digest_slot(DESK, at(7, 59), hour) == at(7, 0)  # the 22:30 one, held
    assert digest_slot(DESK, at(8, 0), hour) == digest_slot(DESK, at(8, 40), hour) == at(8, 0)
    assert digest_slot(DESK, at(9, 1), hour) is None  # more than an hour late
    assert digest_slot(DESK, at(22, 31), hour) is None  # quiet: held
    assert digest_slot(DESK, at(7, 0, day=11), hour) == at(7, 0, day=11)
    assert digest_slot(DESK, at(7, 30, day=11), hour) == at(7, 0, day=11)
    urgent_only = replace(DESK, filter=DestinationFilter(urgent_only=True))
    assert digest_slot(urgent_only, at(8, 0), hour) is None
    west = replace(DESK, timezone="Asia/Tokyo", quiet=None)  # 08:00 there is 04:00 here
    assert digest_slot(west, at(4, 0), hour) == at(4, 0)
    assert digest_slot(west, at(8, 0), hour) is None


def test_shipped_example_is_valid() -> None:
    """config/destinations.example.yaml parses against the shipped watchlist."""
    from pathlib import Path

    config = Path(__file__).resolve().parent.parent / "config"
    watchlist = parse_watchlist((config / "watchlist.yaml").read_text(encoding="utf-8"))
    example = config / "destinations.example.yaml"
    found = parse_destinations(example.read_text(encoding="utf-8"), str(example), watchlist)
    assert [d.id for d in found] == ["default", "january-desk", "alerts"]
    assert found[1].topic == 42 and found[2].filter.urgent_only


def test_route_through_the_matcher_and_relevance_rules() -> None:
    """The cycle's route stage: the real matcher's analysis, the relevance decision, the
    regions the article names, then each destination's filter."""
    from datetime import timedelta

    from bot.route import route
    from core.records import OutletForPoll, ParsedArticle
    from matchers import compile_watchlist

    matcher = compile_watchlist(WATCHLIST)
    now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    outlet = OutletForPoll("o", "O", "https://o.test/rss", "ru", timedelta(minutes=15))
    outlet = replace(outlet, last_success_at=now - timedelta(hours=1))
    destinations = parse_destinations(FULL, "d.yaml", WATCHLIST)

    def routed(title: str) -> tuple[str, ...]:
        article = ParsedArticle(
            f"https://o.test/{title}", "https://o.test/x", None, title, "", None, now
        )
        intent = route(
            article, outlet, matcher.analyse(title, "", "ru"), WATCHLIST, now, destinations
        )
        return intent.destinations if intent.deliverable else ()

    assert routed("Lyazzat Semirova spoke to the press in Mangystau") == ("main", "salt-desk")
    assert routed("Lyazzat Semirova spoke to the press") == ("main",)
    assert routed("Nothing about anyone") == ()
