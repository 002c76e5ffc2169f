"""What every service runs on, built once by `bot.app.build_app`."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import Engine

from bot.admin import AdminReporter
from bot.config import Config
from bot.cycle import CycleDeps
from bot.destinations import Destination, single_destination
from bot.notifier import Notifier
from bot.settings import Settings
from bot.workers import CpuPool
from core.records import Match
from feeds.pages import PageFetcher
from matchers import Matcher, is_urgent

if TYPE_CHECKING:
    from telegram.ext import ExtBot


@dataclass
class App:
    """Settings, config, database, HTTP client and where messages go; the config and
    matcher are replaced on a live reload."""

    settings: Settings
    config: Config
    matcher: Matcher
    engine: Engine
    client: httpx.AsyncClient
    notifier: Notifier  # every destination's, when there is no bot (console mode, tests)
    admin: AdminReporter
    config_stamp: tuple[float, ...] = ()
    pages: PageFetcher | None = None  # article pages: full text and evidence re-checks
    workers: CpuPool | None = None  # processes for parsing and matching (bot.cycle)
    jobs: set[asyncio.Task[None]] = field(default_factory=set)  # running poll/digest jobs
    bot: "ExtBot[int] | None" = None  # None: console mode (python-telegram-bot not loaded)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    digests_at: dict[str, datetime] = field(default_factory=dict)  # destination → last digest
    _senders: dict[tuple[str, int | None], Notifier] = field(default_factory=dict)
    _sending: dict[str, asyncio.Lock] = field(default_factory=dict)

    @property
    def destinations(self) -> tuple[Destination, ...]:
        """From destinations.yaml, else the one chat of TRIALWATCH_TELEGRAM_CHAT."""
        if self.config.destinations is not None:
            return self.config.destinations
        s = self.settings
        return tuple(single_destination(s.chat_id, s.digest_times, s.timezone))

    def cycle_deps(self) -> CycleDeps:
        fulltext = frozenset(o.id for o in self.config.outlets if o.fulltext)
        return CycleDeps(
            self.engine,
            self.client,
            self.matcher,
            self.pages,
            fulltext,
            self.destinations,
            self.workers,
        )

    def sender(self, destination: Destination) -> Notifier:
        """The notifier for one destination's chat and topic."""
        if self.bot is None:
            return self.notifier
        from bot.notify import TelegramNotifier  # there is a bot: python-telegram-bot is loaded

        key = (str(destination.chat), destination.topic)
        if key not in self._senders:
            setting = (
                "TRIALWATCH_TELEGRAM_CHAT"
                if self.config.destinations is None
                else f"the chat/topic of destination {destination.id} in destinations.yaml"
            )
            self._senders[key] = TelegramNotifier(
                self.bot, destination.chat, topic=destination.topic, setting=setting
            )
        return self._senders[key]

    def sending(self, destination: Destination) -> asyncio.Lock:
        """Held while a destination's queue is being sent: the digest job and /digest (or
        alerts) never read the same pending rows at once, so nothing goes out twice."""
        return self._sending.setdefault(destination.id, asyncio.Lock())

    def is_urgent(self, matches: list[Match]) -> bool:
        return is_urgent(matches, self.config.watchlist)

    def name_of(self, entry_id: str) -> str:
        return self.config.watchlist.name_of(entry_id)
