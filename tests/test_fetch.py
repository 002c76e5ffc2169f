"""The HTTP adapter, against a real outlet server on 127.0.0.1."""

import asyncio
import logging
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import stamina

from core.records import OutletForPoll
from feeds.fetch import (
    MAX_BODY,
    USER_AGENT,
    fetch_all,
    fetch_one,
    interleave_hosts,
    log_retry,
    make_client,
)
from feeds.localserver import Canned, OutletServer

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def outlet(url: str, **kwargs: object) -> OutletForPoll:
    return OutletForPoll(
        id="o", name="O", url=url, lang="en", every=timedelta(minutes=15), **kwargs
    )  # type: ignore[arg-type]


async def test_conditional_get_and_not_modified(outlet_server: OutletServer) -> None:
    """The ETag is stored and sent back; a 304 is 'not modified', not an error."""
    async with make_client() as client:
        first = await fetch_one(client, outlet(outlet_server.url("eurasianet_en.xml")))
        assert first.feed is not None and first.feed.status == 200 and first.feed.etag
        second = await fetch_one(
            client, outlet(outlet_server.url("eurasianet_en.xml"), etag=first.feed.etag)
        )
    assert second.error is None and second.feed is not None and second.feed.not_modified
    seen = outlet_server.requests_for("eurasianet_en.xml")
    assert seen[0].get("User-Agent") == USER_AGENT
    assert seen[1].get("If-None-Match") == first.feed.etag


async def test_server_errors_are_retried_client_errors_are_not(
    outlet_server: OutletServer,
) -> None:
    """A 500 is tried again (three attempts); a 404 once; both end as errors, not raises."""
    outlet_server.canned["/down"] = Canned(status=500)
    outlet_server.canned["/gone"] = Canned(status=404)
    async with make_client() as client:
        down = await fetch_one(client, outlet(outlet_server.url("down")))
        gone = await fetch_one(client, outlet(outlet_server.url("gone")))
    assert down.error is not None and down.error.status == 500
    assert gone.error is not None and "HTTP 404" in str(gone.error)
    assert len(outlet_server.requests_for("down")) == 3
    assert len(outlet_server.requests_for("gone")) == 1


async def test_a_retry_that_succeeds_gives_the_feed(
    outlet_server: OutletServer, caplog: pytest.LogCaptureFixture
) -> None:
    """After a 502 the GET is tried again; its answer is the result, and the retry
    warning names the outlet, the attempt and the cause."""
    outlet_server.canned["/flaky.xml"] = Canned(status=502)

    def recover(details: stamina.instrumentation.RetryDetails) -> None:
        outlet_server.canned.pop("/flaky.xml", None)  # the outlet is back

    feed = outlet_server.root / "flaky.xml"
    feed.write_bytes(b"<rss version='2.0'><channel/></rss>")
    stamina.instrumentation.set_on_retry_hooks([log_retry, recover])
    try:
        with caplog.at_level(logging.WARNING, logger="feeds.fetch"):
            async with make_client() as client:
                result = await fetch_one(client, outlet(outlet_server.url("flaky.xml")))
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)
    assert result.error is None and result.feed is not None and result.feed.status == 200
    assert result.feed.body.startswith(b"<rss")
    assert len(outlet_server.requests_for("flaky.xml")) == 2
    [warning] = [r.getMessage() for r in caplog.records if r.name == "feeds.fetch"]
    assert warning.startswith("o: retry 1 in ") and "HTTP 502" in warning


async def test_a_key_in_the_url_is_not_logged(
    outlet_server: OutletServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A private feed's token shows neither in the error nor in the retry warnings."""
    outlet_server.canned["/down?token=s3cr3t-value"] = Canned(status=500)
    stamina.instrumentation.set_on_retry_hooks([log_retry])
    try:
        with caplog.at_level(logging.WARNING, logger="feeds.fetch"):
            async with make_client() as client:
                result = await fetch_one(
                    client, outlet(outlet_server.url("down?token=s3cr3t-value"))
                )
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)
    assert result.error is not None and "token=***" in str(result.error)
    warnings = [r.getMessage() for r in caplog.records if r.name == "feeds.fetch"]
    assert len(warnings) == 2 and all("token=***" in w for w in warnings)
    assert "s3cr3t" not in str(result.error) + " ".join(warnings)


async def test_retry_after_is_honoured(outlet_server: OutletServer) -> None:
    """A 429/503 with Retry-After tells the scheduler how long to leave the outlet alone."""
    outlet_server.canned["/busy"] = Canned(status=429, headers={"Retry-After": "600"})
    async with make_client() as client:
        result = await fetch_one(client, outlet(outlet_server.url("busy")), now=NOW)
    assert result.error is not None and result.retry_after == timedelta(seconds=600)


async def test_permanent_redirect_reports_new_url(outlet_server: OutletServer) -> None:
    """A 301 is followed and the new URL is reported so storage can update it."""
    target = outlet_server.url("eurasianet_en.xml")
    outlet_server.canned["/old"] = Canned(status=301, headers={"Location": target})
    outlet_server.canned["/temp"] = Canned(status=302, headers={"Location": target})
    async with make_client() as client:
        moved = await fetch_one(client, outlet(outlet_server.url("old")))
        temporary = await fetch_one(client, outlet(outlet_server.url("temp")))
    assert moved.feed is not None and moved.feed.moved_to == target
    assert temporary.feed is not None and temporary.feed.moved_to is None


async def test_body_over_the_cap_is_refused(outlet_server: OutletServer) -> None:
    """An endless or huge body is cut off with a clear error instead of eating memory."""
    outlet_server.canned["/huge"] = Canned(body=b"<rss>" + b" " * (MAX_BODY + 10))
    async with make_client() as client:
        result = await fetch_one(client, outlet(outlet_server.url("huge")))
    assert result.error is not None and "cap" in str(result.error)


async def test_connection_refused_is_an_error_value() -> None:
    """A dead host is a FetchError naming the outlet and URL, never an exception."""
    async with make_client(timeout=2) as client:
        result = await fetch_one(client, outlet("http://127.0.0.1:9/rss"))
    assert result.error is not None
    assert str(result.error).startswith("fetch failed: o 'http://127.0.0.1:9/rss': httpx.")


async def test_fetching_waits_for_a_slow_consumer(outlet_server: OutletServer) -> None:
    """Bodies are not fetched far ahead of the cycle using them: with 2 at a time, a
    consumer busy with its first result leaves the other outlets unrequested."""
    for i in range(20):
        outlet_server.canned[f"/f{i}.xml"] = Canned(body=b"<rss version='2.0'/>")
    outlets = [outlet(outlet_server.url(f"f{i}.xml")) for i in range(20)]
    async with make_client() as client:
        results = fetch_all(client, outlets, concurrency=2)
        first = await anext(results)
        await asyncio.sleep(0.5)  # long enough to fetch all 20 from loopback
        requested = len(outlet_server.requests)
        rest = [r async for r in results]
    assert first.feed is not None and len(rest) == 19
    assert requested <= 6  # 2 in flight, 2 waiting in the queue, and the one taken


def test_outlets_are_interleaved_by_host() -> None:
    """A host with many outlets does not hold up the others: hosts take turns."""
    urls = ["http://a.test/1", "http://a.test/2", "http://a.test/3", "http://B.test/1"]
    urls += ["https://c.test/1"]
    order = [o.url for o in interleave_hosts([outlet(u) for u in urls])]
    assert order == [
        "http://a.test/1",
        "http://B.test/1",
        "https://c.test/1",
        "http://a.test/2",
        "http://a.test/3",
    ]


def test_a_client_is_cheap_to_make() -> None:
    """Certificates are loaded once per process, not once per client (each load
    costs tens of ms of CPU): ten clients cost less CPU than one load."""
    make_client()  # the process's first client loads them
    started = time.process_time()
    ssl.create_default_context()
    one_load = time.process_time() - started
    started = time.process_time()
    clients = [make_client() for _ in range(10)]
    assert len(clients) == 10 and time.process_time() - started < one_load


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS feed server on 127.0.0.1 whose certificate nobody vouches for."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<rss version='2.0'><channel/></rss>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Feed)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/rss"
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_certificates_are_checked(self_signed_server: str) -> None:
    """An HTTPS outlet whose certificate does not verify is an error, not a feed."""
    async with make_client(timeout=5) as client:
        result = await fetch_one(client, outlet(self_signed_server))
    assert result.feed is None and result.error is not None
    assert "certificate" in str(result.error).lower()
