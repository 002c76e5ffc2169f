"""What every service runs on, built once by `bot.app.build_app`."""

import asyncio
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine

from bot.admin import AdminReporter
from bot.config import Config
from bot.cycle import CycleDeps
from bot.notify import Notifier
from bot.settings import Settings
from feeds.pages import PageFetcher
from matchers import Matcher


@dataclass
class App:
    """Settings, config, database, HTTP client and where messages go; the config and
    matcher are replaced on a live reload."""

    settings: Settings
    config: Config
    matcher: Matcher
    engine: Engine
    client: httpx.AsyncClient
    notifier: Notifier
    admin: AdminReporter
    config_stamp: tuple[float, ...] = ()
    pages: PageFetcher | None = None  # article pages: full text and evidence re-checks
    jobs: set[asyncio.Task[None]] = field(default_factory=set)  # running poll/digest jobs

    def cycle_deps(self) -> CycleDeps:
        fulltext = frozenset(o.id for o in self.config.outlets if o.fulltext)
        return CycleDeps(self.engine, self.client, self.matcher, self.pages, fulltext)

    def name_of(self, entry_id: str) -> str:
        return self.config.watchlist.name_of(entry_id)
