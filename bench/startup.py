"""Start-up: how soon `trialwatch run` is ready, and its memory, as separate processes.

    python -m bench.startup [--runs 3] [--people 10000] [--feeds 1000] [--items 20]
                            [--tree PATH ...] [--no-cycle]

Two configs: the shipped `config/` and a generated one (`bench/feedgen.py`, seed
2026: `--people` watched people, `--feeds` outlets served on loopback by
`bench/server.py`). Each start is a new `trialwatch run` (console mode: no token)
on a database already migrated and synced by an untimed first start; "cold" starts
with no compiled watchlist on disk, "warm" with the one the previous start left.
"Ready" is the log line `trialwatch running` (the scheduler and the bot's commands
are up): wall-clock seconds from the process's start, its CPU seconds (user +
system, /proc) and its RSS (with any child processes) at that moment. Median of
`--runs` starts, taken round-robin over trees, configs and cold/warm so that a
change of load touches all alike.

Then, unless `--no-cycle`, one start per config on a fresh database: RSS once the
first poll cycle has finished (the heartbeat's cycle time is set) and 5 s idle
after. The shipped outlets are real sites: where the network is closed their
cycle is a cycle of failures.

`--tree PATH` (repeatable) also runs the trialwatch found at PATH (a checkout or
`git archive` of another commit), in the same rounds, for before/after figures;
the default is this checkout alone.
"""

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bench.feedgen import people, watchlist_yaml, write_feeds

HERE = Path(__file__).resolve().parent.parent
READY = "trialwatch running"
TICK = os.sysconf("SC_CLK_TCK")
START = "import sys; from bot.cli import main; sys.exit(main(['run']))"


@dataclass
class Start:
    """One `trialwatch run`: seconds to ready (wall, CPU), RSS MiB at ready."""

    wall: float
    cpu: float
    rss: float


@dataclass
class Figures:
    starts: dict[tuple[str, str, str], list[Start]] = field(default_factory=dict)
    after_cycle: dict[tuple[str, str], tuple[float, float, float]] = field(default_factory=dict)


def rss_mib(pid: int) -> float:
    """Resident memory of `pid` and its descendants, MiB."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(found.group(1)) if found else 0
    return total / 1024


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [c for c, p in parents.items() if p in frontier]
        found += children
        frontier = children
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


class Running:
    """A `trialwatch run` whose stderr is read in a thread (so it never blocks)."""

    def __init__(self, tree: Path, env: dict[str, str], cwd: Path) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-c", START],
            env={**env, "PYTHONPATH": str(tree)},
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.ready = threading.Event()
        self.at_ready: Start | None = None
        self.tail: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            self._lines(self.process.stderr)

    def _lines(self, stream: TextIO) -> None:
        for line in stream:
            if READY in line and not self.ready.is_set():
                pid = self.process.pid
                wall = time.perf_counter() - self.started
                self.at_ready = Start(wall, cpu_seconds(pid), rss_mib(pid))
                self.ready.set()
            self.tail = [*self.tail[-20:], line]

    def wait_ready(self, timeout: float = 300) -> Start:
        if not self.ready.wait(timeout) or self.at_ready is None:
            self.kill()
            raise RuntimeError("trialwatch never became ready:\n" + "".join(self.tail))
        return self.at_ready

    def kill(self) -> None:
        """Stop at once: a start is measured, and its first cycle would only burn CPU
        (and, stopped gently, run to its end in the worker thread)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join()


def environment(config: Path, database: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIALWATCH_")}
    return env | {
        "TRIALWATCH_CONFIG_DIR": str(config),
        "TRIALWATCH_DATABASE_URL": f"sqlite:///{database}",
        "TRIALWATCH_CACHE_DIR": str(cache),  # read by the trees that have the cache
        "TRIALWATCH_POLL_EVERY": "15m",
    }


@contextmanager
def outlet_server(folder: Path) -> Iterator[int]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(folder)],
        cwd=HERE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"bench.server did not start: {line!r}")
        yield int(line.split()[1])
    finally:
        server.terminate()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()


def generated_config(root: Path, args: argparse.Namespace) -> Path:
    """A config of `--feeds` outlets on the bench server and `--people` watched people;
    the feeds' folder is root/feeds (served by `outlet_server`), port filled in later."""
    feeds, config = root / "feeds", root / "generated"
    feeds.mkdir()
    config.mkdir()
    names = people(args.people, args.seed)
    written = write_feeds(feeds, args.feeds, args.items, names, args.seed)
    (config / "watchlist.yaml").write_text(watchlist_yaml(names), encoding="utf-8")
    (config / "feeds.template").write_text(
        "feeds:\n"
        + "".join(
            f"  - {{id: o{i}, name: Outlet {i}, url: 'http://127.0.0.1:PORT/{name}', "
            f"lang: {lang}}}\n"
            for i, (name, lang) in enumerate(written)
        ),
        encoding="utf-8",
    )
    return config


def shipped_config(root: Path) -> Path:
    config = root / "shipped"
    config.mkdir()
    for name in ("feeds.yaml", "watchlist.yaml"):
        shutil.copy(HERE / "config" / name, config / name)
    return config


def clear_cache(cache: Path) -> None:
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()


def measure_starts(
    args: argparse.Namespace, trees: dict[str, Path], configs: dict[str, Path], root: Path
) -> Figures:
    figures = Figures()
    places = {
        (tree, config): (root / f"db-{tree}-{config}" / "tw.db", root / f"cache-{tree}-{config}")
        for tree in trees
        for config in configs
    }
    for (tree, config), (database, cache) in places.items():  # migrate, sync, fill the cache
        clear_cache(cache)
        run = Running(trees[tree], environment(configs[config], database, cache), root)
        run.wait_ready()
        run.kill()
    for r in range(args.runs):
        print(f"round {r + 1}/{args.runs} …", file=sys.stderr, flush=True)
        for state in ("cold", "warm"):
            for (tree, config), (database, cache) in places.items():
                if state == "cold":
                    clear_cache(cache)
                run = Running(trees[tree], environment(configs[config], database, cache), root)
                start = run.wait_ready()
                run.kill()
                figures.starts.setdefault((tree, config, state), []).append(start)
                print(
                    f"  {tree} {config} {state}: ready {start.wall:.2f} s, "
                    f"{start.cpu:.2f} s CPU, {start.rss:.0f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
    return figures


def measure_cycle(
    trees: dict[str, Path], configs: dict[str, Path], root: Path, figures: Figures
) -> None:
    """RSS after the first poll cycle on a fresh database, and after 5 s idle."""
    from storage.db import make_engine
    from storage.monitor import heartbeat

    for tree in trees:
        for config in configs:
            folder = root / f"cycle-{tree}-{config}"
            folder.mkdir()
            database = folder / "tw.db"
            run = Running(trees[tree], environment(configs[config], database, folder), root)
            run.wait_ready()
            engine = make_engine(f"sqlite:///{database}")
            deadline = time.monotonic() + 900
            try:
                while time.monotonic() < deadline and run.process.poll() is None:
                    beat = heartbeat(engine)
                    if beat is not None and beat.cycle_at is not None:
                        break
                    time.sleep(0.5)
                else:
                    raise RuntimeError(f"{tree} {config}: no cycle finished\n{''.join(run.tail)}")
                after = rss_mib(run.process.pid)
                time.sleep(5)
                figures.after_cycle[(tree, config)] = (
                    after,
                    rss_mib(run.process.pid),
                    cpu_seconds(run.process.pid),
                )
            finally:
                engine.dispose()
                run.stop()


def report(args: argparse.Namespace, figures: Figures, trees: dict[str, Path]) -> str:
    lines = [
        "",
        f"start-up of `trialwatch run`, console mode; median of {args.runs} "
        f"(min–max wall); generated: {args.feeds} outlets × {args.items} items, "
        f"{args.people} people",
        "| tree | config | cache | ready s (wall) | ready s (CPU) | RSS MiB at ready |",
        "|---|---|---|---:|---:|---:|",
    ]
    for (tree, config, state), starts in figures.starts.items():
        walls = [s.wall for s in starts]
        lines.append(
            f"| {tree} | {config} | {state} | {statistics.median(walls):.2f} "
            f"({min(walls):.2f}–{max(walls):.2f}) "
            f"| {statistics.median(s.cpu for s in starts):.2f} "
            f"| {statistics.median(s.rss for s in starts):.0f} |"
        )
    if figures.after_cycle:
        lines += [
            "",
            "| tree | config | RSS MiB after the first cycle | idle 5 s later | CPU s so far |",
            "|---|---|---:|---:|---:|",
        ]
        for (tree, config), (after, idle, cpu) in figures.after_cycle.items():
            lines.append(f"| {tree} | {config} | {after:.0f} | {idle:.0f} | {cpu:.1f} |")
    return "\n".join(lines)


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), load average {load}, "
        f"Python {platform.python_version()}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    parser.add_argument("--no-cycle", action="store_true", help="skip the after-cycle RSS")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    trees = {"this": HERE} | {t.resolve().name: t.resolve() for t in args.tree}
    print(f"machine: {machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="tw-startup-") as tmp:
        root = Path(tmp)
        configs = {"shipped": shipped_config(root), "generated": generated_config(root, args)}
        with outlet_server(root / "feeds") as port:
            template = configs["generated"] / "feeds.template"
            text = template.read_text(encoding="utf-8").replace("PORT", str(port))
            (configs["generated"] / "feeds.yaml").write_text(text, encoding="utf-8")
            figures = measure_starts(args, trees, configs, root)
            if not args.no_cycle:
                measure_cycle(trees, configs, root, figures)
    text = report(args, figures, trees) + f"\n\nmachine at the end: {machine()}"
    print(text)
    return text


if __name__ == "__main__":
    main()
