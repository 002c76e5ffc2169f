"""A small outlet server on 127.0.0.1 for the demo and the tests.

Serves files from a folder with ETag / If-None-Match support, records every
request, and lets a caller override any path with a canned response.
"""

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Canned:
    """A fixed response for one path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between 100-byte pieces of the body


@dataclass
class OutletServer:
    root: Path
    base_url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    arrivals: list[tuple[str, float]] = field(default_factory=list)  # (path, time.monotonic())
    canned: dict[str, Canned] = field(default_factory=dict)
    latency: float = 0.0  # seconds added to every response, like a distant outlet

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def requests_for(self, name: str) -> list[dict[str, str]]:
        return [headers for path, headers in self.requests if path == f"/{name}"]


def _handler(server: OutletServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            # Header names are case-insensitive and clients send them in different cases.
            headers = {name.title(): value for name, value in self.headers.items()}
            server.requests.append((self.path, headers))
            server.arrivals.append((self.path, time.monotonic()))
            time.sleep(server.latency)
            canned = server.canned.get(self.path)
            if canned is not None:
                time.sleep(canned.delay)
                return self._reply(canned.status, canned.body, canned.headers, canned.trickle)
            path = (server.root / self.path.lstrip("/")).resolve()
            if server.root.resolve() not in path.parents or not path.is_file():
                return self._reply(404, b"not found", {"Content-Type": "text/plain"})
            body = path.read_bytes()
            etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._reply(304, b"", {"ETag": etag})
            return self._reply(200, body, {"ETag": etag, "Content-Type": "application/xml"})

        def _reply(
            self, status: int, body: bytes, headers: dict[str, str], trickle: float = 0.0
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status == 304:
                return
            with contextlib.suppress(ConnectionError):  # the client gave up: fine
                if not trickle:
                    self.wfile.write(body)
                for i in range(0, len(body) if trickle else 0, 100):
                    self.wfile.write(body[i : i + 100])
                    self.wfile.flush()
                    time.sleep(trickle)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test and demo output clean

    return Handler


@contextmanager
def serve(root: Path, *, latency: float = 0.0) -> Iterator[OutletServer]:
    """Run an outlet server for `root` on a free loopback port until the block ends."""
    state = OutletServer(root=root, latency=latency)
    with run_in_thread(_handler(state)) as base_url:
        state.base_url = base_url
        yield state


@contextmanager
def run_in_thread(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free port of 127.0.0.1 in a thread; yield the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
