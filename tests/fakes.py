"""Fakes for our own seams (never for httpx, feedparser or python-telegram-bot)."""

from dataclasses import dataclass, field


@dataclass
class FakeNotifier:
    """A Notifier that records what it is given."""

    sent: list[str] = field(default_factory=list)
    silent: list[bool] = field(default_factory=list)  # per message: sent without a sound

    async def send(
        self, text_html: str, *, silent: bool = False, reply_to: int | None = None
    ) -> None:
        self.sent.append(text_html)
        self.silent.append(silent)
