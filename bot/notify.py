"""Where messages go: a Telegram chat. The interface and the console (no token) are in
`bot.notifier`, which imports no Telegram library: the monitor starts without it."""

import asyncio
import html
import logging
import os
import re

from telegram import LinkPreviewOptions, Message, ReplyParameters
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

from bot.bounds import clip
from bot.notifier import ConsoleNotifier, Notifier, Posted
from bot.render import to_plain
from core.errors import DeliveryError, MessageRefused

# Opt in to what python-telegram-bot 23 will do anyway: RetryAfter.retry_after as a
# timedelta (v22 warns on every flood-control error otherwise).
os.environ.setdefault("PTB_TIMEDELTA", "1")

log = logging.getLogger(__name__)
_TAG = re.compile(r"<[^>]*>")
NETWORK_RETRIES = 3
__all__ = ["ConsoleNotifier", "Notifier", "Posted", "TelegramNotifier", "greet", "make_bot"]


def make_bot(token: str, base_url: str | None = None, *, timeout: float = 10.0) -> ExtBot[int]:
    """A bot that respects flood limits and waits out `RetryAfter` a few times."""
    limiter: AIORateLimiter = AIORateLimiter(max_retries=3)
    request = HTTPXRequest(
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
    )
    if base_url:
        return ExtBot(token, base_url=api_base(base_url), rate_limiter=limiter, request=request)
    return ExtBot(token, rate_limiter=limiter, request=request)


def api_base(server: str) -> str:
    """python-telegram-bot's `base_url` for TRIALWATCH_TELEGRAM_API, given either the
    server root (`http://host:8081`) or python-telegram-bot's own `…/bot` form."""
    server = server.strip().rstrip("/")
    return server if server.endswith("/bot") else server + "/bot"


async def greet(bot: ExtBot[int]) -> str | None:
    """Ask Telegram who the bot is (getMe) at start-up. None if it answers; otherwise
    one line saying what is wrong and what to do, never the token. Polling does not
    wait for Telegram: what would be sent stays queued until it answers."""
    try:
        await bot.initialize()
    except InvalidToken:
        return (
            "Telegram rejects TRIALWATCH_TELEGRAM_TOKEN (401 Unauthorized): it is mistyped or "
            "was revoked; copy the token @BotFather gives for your bot into "
            "TRIALWATCH_TELEGRAM_TOKEN and restart. Polling goes on; messages stay queued."
        )
    except TelegramError as e:
        cause = hide_token(f"{type(e).__name__}: {e}", bot.token)
        return (
            f"Telegram does not answer ({cause}); check the network or TRIALWATCH_TELEGRAM_API. "
            "Polling goes on; messages stay queued and go out when Telegram answers."
        )
    return None


def hide_token(text: str, token: str) -> str:
    """`text` with the bot token (and its secret half alone) replaced."""
    secret = token.partition(":")[2]
    text = text.replace(token, "<TRIALWATCH_TELEGRAM_TOKEN>")
    return text.replace(secret, "<secret>") if len(secret) >= 8 else text


class TelegramNotifier:
    """Send to one chat (or one forum topic of it) as HTML without link previews."""

    def __init__(
        self,
        bot: ExtBot[int],
        chat_id: int | str,
        *,
        topic: int | None = None,
        backoff: float = 2.0,
        setting: str = "TRIALWATCH_TELEGRAM_CHAT",
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.topic = topic  # message_thread_id of a forum topic
        self.backoff = backoff  # seconds before the first retry of a network error; doubles
        self.setting = setting  # the variable to fix when the chat is wrong

    async def send(
        self, text_html: str, *, silent: bool = False, reply_to: int | None = None
    ) -> Posted:
        # allow_sending_without_reply: an original deleted meanwhile must not keep
        # the notice out ("message to be replied not found"); it goes out on its own.
        reply = (
            ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        try:
            message = await self._send_html(text_html, silent=silent, reply=reply)
        except TelegramError as e:
            raise self._error(e) from None
        replied = message.reply_to_message
        return Posted(
            str(self.chat_id),
            self.topic,
            message.message_id,
            replied.message_id if replied is not None else None,
        )

    async def _send_html(
        self, text_html: str, *, silent: bool, reply: ReplyParameters | None
    ) -> Message:
        try:
            return await self._send_retrying(text_html, ParseMode.HTML, silent, reply)
        except BadRequest as e:
            if is_chat_problem(e.message):
                raise
            # Something in this message (markup, length, a link): send it reduced.
            log.warning("Telegram refused a message (%s); sending it as plain text", e.message)
            try:
                return await self._send_retrying(reduced(text_html), None, silent, reply)
            except BadRequest as again:
                if is_chat_problem(again.message):
                    raise
                raise MessageRefused(
                    f"Telegram refused a message, also as plain text: {again.message}; "
                    f"it is set aside: {clip(to_plain(text_html), 200)}"
                ) from None

    async def _send_retrying(
        self, text: str, parse_mode: str | None, silent: bool, reply: ReplyParameters | None
    ) -> Message:
        # BadRequest subclasses NetworkError but is permanent: never retry it.
        for attempt in range(NETWORK_RETRIES + 1):
            try:
                return await self.bot.send_message(
                    self.chat_id,
                    text,
                    message_thread_id=self.topic,
                    parse_mode=parse_mode,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    disable_notification=silent,
                    reply_parameters=reply,
                )
            except (BadRequest, Forbidden, InvalidToken):
                raise
            except RetryAfter as e:
                if attempt == NETWORK_RETRIES:
                    raise
                wait = (
                    e.retry_after.total_seconds()
                    if hasattr(e.retry_after, "total_seconds")
                    else float(e.retry_after)
                )
                log.info("Telegram flood control: waiting %.0fs before sending to %s", wait,
                         self.chat_id)  # fmt: skip
                await asyncio.sleep(wait)
            except NetworkError:  # 5xx, timeouts, connection errors: transient
                if attempt == NETWORK_RETRIES:
                    raise
                await asyncio.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

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
        cause = hide_token(f"{type(e).__name__}: {e}", self.bot.token)
        return DeliveryError(f"Telegram refused the message: {cause}{hint}")


REDUCED_MAX = 3500  # UTF-16 units of a reduced message: well under Telegram's 4096
# BadRequest texts that are about the chat, not the message: sending another form
# of the message cannot help, so the queue waits (the error names what to fix).
_CHAT_PROBLEMS = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "upgraded to a supergroup",
    "chat_restricted",
    "bot was kicked",
    "peer_id_invalid",
)


def is_chat_problem(message: str) -> bool:
    """True when a BadRequest concerns the chat (fix the setting), not one message."""
    return any(problem in message.lower() for problem in _CHAT_PROBLEMS)


def reduced(text_html: str) -> str:
    """The reduced form of a message: plain text (links as URLs, or dropped when that
    is too long), cut at a line to REDUCED_MAX UTF-16 units."""
    for plain in (to_plain(text_html), html.unescape(_TAG.sub("", text_html))):
        if _units(plain) <= REDUCED_MAX:
            return plain
    kept: list[str] = []
    for line in plain.split("\n"):
        if _units("\n".join([*kept, line])) > REDUCED_MAX - 2:
            break
        kept.append(line)
    text = "\n".join(kept) if kept else plain[: REDUCED_MAX // 2]
    while _units(text) > REDUCED_MAX - 2:
        text = text[: len(text) * 9 // 10]
    return text + "\n…"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
