"""Where messages go: a Telegram chat, or the console when there is no token."""

import asyncio
import logging
import os
import sys
from typing import Protocol, TextIO

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.render import to_plain
from core.errors import DeliveryError

# Opt in to what python-telegram-bot 23 will do anyway: RetryAfter.retry_after as a
# timedelta (v22 warns on every flood-control error otherwise).
os.environ.setdefault("PTB_TIMEDELTA", "1")

log = logging.getLogger(__name__)
NETWORK_RETRIES = 3


class Notifier(Protocol):
    async def send(self, text_html: str, *, silent: bool = False) -> None:
        """Deliver one message or raise `DeliveryError`; return only when accepted.
        `silent`: no notification sound (the digest)."""


class ConsoleNotifier:
    """Console mode: print what would be sent, as plain text."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    async def send(self, text_html: str, *, silent: bool = False) -> None:
        print("─" * 60, file=self.stream)
        print(to_plain(text_html), file=self.stream, flush=True)


def make_bot(token: str, base_url: str | None = None, *, timeout: float = 10.0) -> ExtBot[int]:
    """A bot that respects flood limits and waits out `RetryAfter` a few times."""
    limiter: AIORateLimiter = AIORateLimiter(max_retries=3)
    request = HTTPXRequest(
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
    )
    if base_url:
        return ExtBot(
            token, base_url=base_url.rstrip("/") + "/bot", rate_limiter=limiter, request=request
        )
    return ExtBot(token, rate_limiter=limiter, request=request)


class TelegramNotifier:
    """Send to one chat as HTML without link previews."""

    def __init__(
        self,
        bot: ExtBot[int],
        chat_id: int | str,
        *,
        backoff: float = 2.0,
        setting: str = "TRIALWATCH_TELEGRAM_CHAT",
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.backoff = backoff  # seconds before the first retry of a network error; doubles
        self.setting = setting  # the variable to fix when the chat is wrong

    async def send(self, text_html: str, *, silent: bool = False) -> None:
        try:
            await self._send_html(text_html, splits_left=3, silent=silent)
        except TelegramError as e:
            raise self._error(e) from None

    async def _send_html(self, text_html: str, *, splits_left: int, silent: bool) -> None:
        try:
            await self._send_retrying(text_html, ParseMode.HTML, silent)
        except BadRequest as e:
            problem = e.message.lower()
            if "can't parse entities" in problem:
                log.warning("Telegram rejected the HTML (%s); sending as plain text", e.message)
                await self._send_retrying(to_plain(text_html), None, silent)
            elif "message is too long" in problem and splits_left and "\n\n" in text_html:
                # Our count and Telegram's disagreed: split between entries and send both.
                first, second = _halves(text_html)
                await self._send_html(first, splits_left=splits_left - 1, silent=silent)
                await self._send_html(second, splits_left=splits_left - 1, silent=silent)
            else:
                raise

    async def _send_retrying(self, text: str, parse_mode: str | None, silent: bool) -> None:
        # BadRequest subclasses NetworkError but is permanent: never retry it.
        for attempt in range(NETWORK_RETRIES + 1):
            try:
                await self.bot.send_message(
                    self.chat_id,
                    text,
                    parse_mode=parse_mode,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    disable_notification=silent,
                )
                return
            except (BadRequest, Forbidden, InvalidToken):
                raise
            except RetryAfter as e:
                if attempt == NETWORK_RETRIES:
                    raise
                await asyncio.sleep(
                    e.retry_after.total_seconds()
                    if hasattr(e.retry_after, "total_seconds")
                    else float(e.retry_after)
                )
            except NetworkError:  # 5xx, timeouts, connection errors: transient
                if attempt == NETWORK_RETRIES:
                    raise
                await asyncio.sleep(self.backoff * 2**attempt)

    def _error(self, e: Exception) -> DeliveryError:
        hint = ""
        if isinstance(e, ChatMigrated):
            hint = f"; the group became a supergroup: set {self.setting}={e.new_chat_id}"
        elif isinstance(e, Forbidden) or "chat not found" in str(e).lower():
            hint = (
                f"; check {self.setting} ({self.chat_id}) and that the bot is an "
                "administrator of the channel with the right to post"
            )
        elif isinstance(e, InvalidToken):
            hint = "; check TRIALWATCH_TELEGRAM_TOKEN"
        return DeliveryError(f"Telegram refused the message: {type(e).__name__}: {e}{hint}")


def _halves(text_html: str) -> tuple[str, str]:
    """Split at the blank line nearest the middle: entries never span blank lines."""
    middle = len(text_html) // 2
    cuts = [i for i in range(len(text_html)) if text_html.startswith("\n\n", i)]
    cut = min(cuts, key=lambda i: abs(i - middle))
    return text_html[:cut], text_html[cut + 2 :]
