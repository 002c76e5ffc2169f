"""Outlets that fail, against a real server on 127.0.0.1: every failure is an error
value naming the outlet and cause, and the outlet's health says what kind it is."""

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import FeedError
from core.records import OutletForPoll
from feeds.fetch import fetch_one, make_client
from feeds.localserver import Canned, OutletServer
from feeds.parse import parse
from feeds.records import FetchResult, ParsedFeed

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data" / "feeds"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "feeds"
RSS = (DATA / "azattyq_ru.xml").read_bytes()


async def poll(
    server: OutletServer, path: str, canned: Canned | None = None, deadline: float = 10.0
) -> tuple[FetchResult, ParsedFeed | FeedError | None]:
    """Fetch and (if fetched) parse one outlet, as the poll cycle does."""
    if canned is not None:
        server.canned[f"/{path}"] = canned
    outlet = OutletForPoll("o", "O", server.url(path), "ru", timedelta(minutes=15))
    async with make_client(timeout=1.0) as client:
        result = await fetch_one(client, outlet, now=NOW, deadline=deadline)
    if result.feed is None:
        return result, None
    try:
        return result, parse(result.feed)
    except FeedError as e:
        return result, e


def failure(result: FetchResult, parsed: object) -> FeedError:
    error = result.error or parsed
    assert isinstance(error, FeedError), parsed
    assert "'http://127.0.0.1:" in str(error)  # names the outlet's URL
    return error


@pytest.mark.parametrize(
    ("canned", "kind", "says"),
    [
        pytest.param(Canned(delay=2.0, body=RSS), "failing", "ReadTimeout", id="timeout"),
        pytest.param(
            Canned(body=RSS * 3, trickle=0.3), "failing", "no complete response", id="slow body"
        ),
        pytest.param(Canned(status=500), "failing", "HTTP 500", id="500"),
        pytest.param(Canned(status=502), "failing", "HTTP 502", id="502"),
        pytest.param(
            Canned(status=503, headers={"Retry-After": "120"}),
            "failing",
            "HTTP 503",
            id="503 retry-after",
        ),
        pytest.param(
            Canned(status=429, headers={"Retry-After": "3600"}),
            "failing",
            "HTTP 429",
            id="429 retry-after",
        ),
        pytest.param(Canned(status=401), "blocked", "HTTP 401", id="401"),
        pytest.param(Canned(status=403), "blocked", "refuses us", id="403"),
        pytest.param(Canned(status=451), "blocked", "HTTP 451", id="451"),
        pytest.param(
            Canned(
                status=503,
                headers={"cf-mitigated": "challenge"},
                body=b"<html><title>Just a moment...</title></html>",
            ),
            "blocked",
            "challenge",
            id="cloudflare challenge 503",
        ),
        pytest.param(
            Canned(body=b"<!DOCTYPE html><html><div class='captcha'></div></html>"),
            "blocked",
            "bot-protection",
            id="challenge page 200",
        ),
        pytest.param(
            Canned(body=b"<!DOCTYPE html><html><body>Our news</body></html>"),
            "broken",
            "HTML page",
            id="html instead of feed",
        ),
        pytest.param(Canned(body=b""), "broken", "empty response", id="empty 200"),
        pytest.param(
            Canned(body=RSS[: RSS.index(b"<item>") + 10]),
            "broken",
            "not a readable",
            id="truncated xml",
        ),
        pytest.param(
            Canned(status=301, headers={"Location": "/loop"}),
            "failing",
            "TooManyRedirects",
            id="redirect loop",
        ),
    ],
)
async def test_failures_are_reported_with_their_kind(
    outlet_server: OutletServer, canned: Canned, kind: str, says: str
) -> None:
    """Each fault becomes one error naming outlet and cause; nothing raises."""
    outlet_server.canned["/loop"] = Canned(status=301, headers={"Location": "/loop"})
    result, parsed = await poll(
        outlet_server,
        "loop" if "Location" in canned.headers else "x",
        None if "Location" in canned.headers else canned,
        deadline=2.0 if canned.trickle else 10.0,
    )
    error = failure(result, parsed)
    assert error.kind == kind
    assert says in str(error)


async def test_retry_after_sets_the_wait(outlet_server: OutletServer) -> None:
    """429 with Retry-After tells the scheduler when to come back."""
    result, _ = await poll(
        outlet_server, "busy", Canned(status=429, headers={"Retry-After": "3600"})
    )
    assert result.retry_after == timedelta(hours=1)


async def test_dns_failure_and_refused_connection() -> None:
    """An unknown host and a closed port are errors naming the outlet."""
    async with make_client(timeout=2.0) as client:
        for url in ("http://outlet.invalid/rss", "http://127.0.0.1:9/rss"):
            outlet = OutletForPoll("o", "O", url, "en", timedelta(minutes=15))
            result = await fetch_one(client, outlet, now=NOW)
            assert result.error is not None and result.error.kind == "failing"
            assert "httpx.ConnectError" in str(result.error) and url in str(result.error)


async def test_gzip_without_content_encoding(outlet_server: OutletServer) -> None:
    """Gzip bytes served as plain XML are recognised by their magic bytes and inflated."""
    _, parsed = await poll(outlet_server, "gz", Canned(body=gzip.compress(RSS)))
    assert isinstance(parsed, ParsedFeed) and len(parsed.articles) == 3


async def test_gzip_bomb_is_refused(outlet_server: OutletServer) -> None:
    """A small gzip body that inflates to gigabytes stops at the cap."""
    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)
    result, parsed = await poll(outlet_server, "bomb", Canned(body=bomb))
    assert "inflates past" in str(failure(result, parsed))


def cyrillic_feed(encoding: str, declared: str | None) -> bytes:
    prolog = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    text = (
        prolog
        + '<rss version="2.0"><channel><title>Новости</title>'
        + "".join(
            f"<item><title>Приговор по делу номер {i} оглашён в суде</title>"
            f"<link>https://x.test/{i}</link><description>Суд рассмотрел жалобу защиты и "
            f"оставил приговор без изменений.</description></item>"
            for i in range(5)
        )
        + "</channel></rss>"
    )
    return text.encode(encoding)


@pytest.mark.parametrize(
    ("declared", "header"),
    [(None, None), ("utf-8", None), (None, "text/xml; charset=utf-8")],
    ids=["undeclared", "wrong prolog", "wrong header"],
)
async def test_cp1251_without_a_true_charset(
    outlet_server: OutletServer, declared: str | None, header: str | None
) -> None:
    """Russian text in windows-1251 reads as Russian even when the charset is missing or wrong."""
    headers = {"Content-Type": header} if header else {}
    _, parsed = await poll(
        outlet_server, "cp", Canned(body=cyrillic_feed("cp1251", declared), headers=headers)
    )
    assert isinstance(parsed, ParsedFeed)
    assert parsed.articles[0].title == "Приговор по делу номер 0 оглашён в суде"


async def test_latin1_undeclared(outlet_server: OutletServer) -> None:
    """Western text in latin-1 with no declaration keeps its accents."""
    body = (
        '<rss version="2.0"><channel><title>t</title><item><title>Julgamento em São Paulo'
        "</title><link>https://x.test/1</link></item></channel></rss>"
    ).encode("latin-1")
    _, parsed = await poll(outlet_server, "latin", Canned(body=body))
    assert isinstance(parsed, ParsedFeed) and parsed.articles[0].title.endswith("São Paulo")


async def test_external_entities_are_not_read(outlet_server: OutletServer, tmp_path: Path) -> None:
    """An XXE feed never pulls a local file into an article."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>a &xxe; b</title>'
        "<link>https://x.test/1</link><description>&xxe;</description></item>"
        "</channel></rss>"
    ).encode()
    _result, parsed = await poll(outlet_server, "xxe", Canned(body=body))
    articles = parsed.articles if isinstance(parsed, ParsedFeed) else []
    assert all("TOP-SECRET" not in a.title + a.text for a in articles)


async def test_entity_expansion_is_bounded(outlet_server: OutletServer) -> None:
    """A billion-laughs feed fails or parses small; it never blows up memory."""
    lol = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{lol}]><rss version="2.0"><channel>'
        "<title>t</title><item><title>&lol9;</title><link>https://x.test/1</link></item>"
        "</channel></rss>"
    ).encode()
    _result, parsed = await poll(outlet_server, "lol", Canned(body=body))
    if isinstance(parsed, ParsedFeed):
        assert all(len(a.title) < 1_000_000 for a in parsed.articles)


@pytest.mark.skipif(not SHARED.exists(), reason="shared fixtures not present")
@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("broken_gzip_bytes_without_content_encoding.xml.gz", 10),
        ("broken_latin1_undeclared_uol.xml", 15),
        ("broken_nested_empty_items_feedburner_pcmag.xml", 10),
        ("broken_truncated_reuters_server_exception.xml", "broken"),
        ("broken_double_xmldecl_prefixed_rss_dylanharris.xml", "broken"),
    ],
)
async def test_real_broken_feeds(
    outlet_server: OutletServer, name: str, outcome: int | str
) -> None:
    """Real broken responses: usable ones give their items, the rest a 'broken' error."""
    result, parsed = await poll(
        outlet_server,
        name,
        Canned(body=(SHARED / name).read_bytes(), headers={"Content-Type": "application/rss+xml"}),
    )
    if isinstance(outcome, int):
        assert isinstance(parsed, ParsedFeed) and len(parsed.articles) == outcome
        if name.endswith(".gz"):
            assert any("Бузулук" in a.title for a in parsed.articles)
    else:
        assert failure(result, parsed).kind == outcome
