"""The alert and digest format: who and what first, evidence, stories grouped,
parts numbered, plurals right, sent silently. Our own invented items."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.render import BUDGET, REGION_SECTION, render_alert, render_digest, to_plain, visible_length
from bot.stories import group_stories
from core.records import DeliveryItem, Match
from tests.telegram_server import html_error

TZ = ZoneInfo("Asia/Almaty")
NOW = datetime(2031, 3, 4, 6, 0, tzinfo=UTC)
NAMES = {"berdibekov": "Aslan Berdibekov", "bitter-march": "Bitter March"}


def text_of(message_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", message_html))


def name_of(entry_id: str) -> str:
    return NAMES.get(entry_id, entry_id)


def m(entry_id: str, kind: str, form: str, snippet: str = "", reason: str = "full name") -> Match:
    snippet = snippet or form
    at = snippet.find(form)
    return Match(entry_id, kind, form, 0, len(form), 1.0, reason, snippet, (at, at + len(form)))  # type: ignore[arg-type]


SENTENCE = "On Friday the judge sentenced Aslan Berdibekov to five years."


def verdict_item(
    i: int = 1,
    outlet: str = "Azattyq",
    age: timedelta = timedelta(hours=2),
    title: str = "Teacher sentenced in Almaty",
    lang: str = "ru",
) -> DeliveryItem:
    return DeliveryItem(
        i,
        True,
        outlet,
        title,
        f"https://o.test/{i}?utm_source=rss&id=7",
        NOW - age,
        NOW - age,
        (
            m("berdibekov", "person", "Aslan Berdibekov", SENTENCE),
            m("verdict", "keyword", "sentenced", SENTENCE, "keyword"),
        ),
        author="A. Writer",
        lang=lang,
    )


def region_item(i: int, title: str, place: str = "Almaty") -> DeliveryItem:
    return DeliveryItem(
        i,
        False,
        "Vlast",
        title,
        f"https://v.test/{i}",
        NOW - timedelta(hours=5),
        NOW,
        (
            m("verdict", "keyword", "sentenced", reason="keyword"),
            m(place, "region", place, reason="region"),
        ),
        lang="en",
    )


def test_alert_reads_who_what_where_evidence_snippet_tags() -> None:
    """The first line says the stage and the person; then title, outlet, evidence,
    the sentence where they meet, and hashtags; the link loses its tracking."""
    message = render_alert(verdict_item(), TZ, name_of, now=NOW)
    lines = to_plain(message.html).split("\n")
    assert lines[0] == "🔴 VERDICT · Aslan Berdibekov"
    assert lines[1] == "Teacher sentenced in Almaty"
    assert lines[2] == "https://o.test/1?id=7"
    assert lines[3] == "Azattyq · RU · 09:00 Almaty · 2 h ago · by A. Writer"
    assert lines[4] == "Aslan Berdibekov (full name) · sentenced"
    assert lines[5] == SENTENCE
    assert lines[6] == "#Berdibekov #verdict"
    assert "<b>Aslan Berdibekov</b>" in message.html and not message.silent
    assert html_error(message.html) is None


def test_alert_never_repeats_the_headline_as_snippet() -> None:
    """When the only evidence is the title itself, no snippet line repeats it."""
    item = verdict_item(title=SENTENCE)
    plain = to_plain(render_alert(item, TZ, name_of, now=NOW).html)
    assert plain.count(SENTENCE) == 1


def test_digest_groups_one_story_from_several_outlets() -> None:
    """The same verdict from three outlets (two languages) is one entry, 'also reported by'."""
    items = [
        verdict_item(1, "Azattyq"),
        verdict_item(2, "Vlast", age=timedelta(hours=3), title="Берди­беков приговорен", lang="ru"),
        verdict_item(3, "Eurasianet", age=timedelta(hours=1), title="Teacher jailed", lang="en"),
    ]
    assert len(group_stories(items)) == 1
    [message] = render_digest(items, TZ, name_of, NOW)
    assert text_of(message.html).count("•") == 1
    assert "also reported by Vlast, Eurasianet" in text_of(message.html)
    assert '<a href="https://o.test/2?id=7">Vlast</a>' in message.html
    assert message.delivery_ids == (1, 2, 3) and message.silent


def test_digest_header_sections_and_plurals() -> None:
    """Header with period and counts, watched sections first (verdicts first), then
    'Other trials in the region', one line each; '1 story', '2 stories'."""
    hearing = DeliveryItem(
        5,
        False,
        "Kursiv",
        "Bitter March remembered",
        "https://k.test/5",
        NOW,
        NOW,
        (
            m(
                "bitter-march",
                "case",
                "Bitter March",
                "Bitter March was remembered in Almaty.",
                "alias",
            ),
        ),
        lang="ru",
    )
    items = [
        hearing,
        verdict_item(1),
        region_item(7, "Blogger sentenced in Almaty"),
        region_item(8, "Kyrgyz reporter jailed", "Kyrgyzstan"),
    ]
    [message] = render_digest(items, TZ, name_of, NOW)
    plain = to_plain(message.html)
    header = plain.split("\n")[:2]
    assert header[0] == "📰 trialwatch digest · 04 Mar 09:00 – 04 Mar 11:00"
    assert (
        header[1]
        == "2 stories on watched people and cases · 2 other trials in the region · 4 articles"
    )
    assert plain.index("Aslan Berdibekov · 1 story") < plain.index("Bitter March · 1 story")
    assert plain.index("Bitter March") < plain.index(f"{REGION_SECTION} · 2 stories")
    region_lines = [
        line for line in plain.split("\n") if line.startswith(("• Blogger", "• Kyrgyz"))
    ]
    assert len(region_lines) == 2 and "Almaty" in region_lines[0] and "#" not in region_lines[0]


def test_old_articles_show_their_date_marked() -> None:
    """An old verdict in the digest carries its date, marked as old."""
    old = verdict_item(age=timedelta(days=400))
    plain = to_plain(render_digest([old], TZ, name_of, NOW)[0].html)
    assert "📅 28 Jan 2030 (old)" in plain
    assert "1 story on watched people and cases · 1 article" in plain  # no "0 other trials"


def test_long_digest_parts_are_numbered_and_never_end_on_a_heading() -> None:
    """Parts are numbered (1/n); no part ends with a section heading; every id once."""
    items = [
        DeliveryItem(
            i,
            False,
            f"Outlet {i}",
            f"Story {i} " + "ж" * 200,
            f"https://o.test/{i}",
            NOW - timedelta(days=i),
            NOW,
            (m(f"person-{i % 7}", "person", f"Person {i % 7}", "x " * 100 + f"Person {i % 7}"),),
        )
        for i in range(80)
    ]
    messages = render_digest(items, TZ, name_of, NOW)
    total = len(messages)
    assert total > 2
    for number, message in enumerate(messages, 1):
        plain = to_plain(message.html)
        assert f"({number}/{total})" in plain.split("\n")[0]
        last_line = plain.rstrip().split("\n")[-1]
        assert not last_line.startswith(("⚖️", "🗺")), last_line  # never an orphan heading
        assert visible_length(message.html) <= BUDGET and html_error(message.html) is None
    assert sorted(i for msg in messages for i in msg.delivery_ids) == list(range(80))
