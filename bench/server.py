"""The bench's outlet server: a folder of feeds on several loopback addresses, in its own process.

    python -m bench.server FOLDER --hosts 127.0.0.1,127.0.0.2 [--port 0]

Prints `ready PORT` when listening. Files are served from memory with an md5
ETag (If-None-Match → 304) over keep-alive HTTP/1.1 (aiohttp). `GET /_delay/MS`
sets the latency added to every response (stands in for network distance);
`GET /_stats` returns and resets the count of 200s and 304s and the time of the first
feed request since (`first`: time.monotonic(), the same clock in every process on
Linux; null if none); `GET /_first` returns that time without resetting anything.
"""

import argparse
import asyncio
import hashlib
import json
import socket
import sys
import time
from pathlib import Path

from aiohttp import web


def app_for(folder: Path) -> web.Application:
    files = {
        f"/{p.name}": (p.read_bytes(), '"' + hashlib.md5(p.read_bytes()).hexdigest() + '"')
        for p in folder.iterdir()
        if p.is_file()
    }
    state = {"delay": 0.0, "200": 0, "304": 0}
    first: list[float] = []  # when the first feed request since the last /_stats came

    async def feed(request: web.Request) -> web.StreamResponse:
        if not first:
            first.append(time.monotonic())
        if state["delay"]:
            await asyncio.sleep(state["delay"])
        found = files.get(request.path)
        if found is None:
            return web.Response(status=404, text="not found")
        body, etag = found
        if request.headers.get("If-None-Match") == etag:
            state["304"] += 1
            return web.Response(status=304, headers={"ETag": etag})
        state["200"] += 1
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": "application/xml"})

    async def delay(request: web.Request) -> web.Response:
        state["delay"] = int(request.match_info["ms"]) / 1000
        return web.Response(text="ok")

    async def stats(request: web.Request) -> web.Response:
        counts = {"200": state["200"], "304": state["304"], "first": first[0] if first else None}
        state["200"] = state["304"] = 0
        first.clear()
        return web.Response(text=json.dumps(counts))

    async def first_request(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(first[0] if first else None))

    app = web.Application()
    app.router.add_get("/_delay/{ms}", delay)
    app.router.add_get("/_stats", stats)
    app.router.add_get("/_first", first_request)
    app.router.add_get("/{name}", feed)
    return app


async def serve(folder: Path, hosts: list[str], port: int) -> None:
    runner = web.AppRunner(web.Application(), access_log=None)
    runner = web.AppRunner(app_for(folder), access_log=None)
    await runner.setup()
    if port == 0:  # one free port, the same on every address
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = probe.getsockname()[1]
    for host in hosts:
        await web.TCPSite(runner, host, port, backlog=2048).start()
    print(f"ready {port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--hosts", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.folder, args.hosts.split(","), args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
