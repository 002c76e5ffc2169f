"""The bot's commands: thin handlers over `bot.services`, answering admins only.

`build_commands(app, token, base_url, admins)` makes a python-telegram-bot
`Application` that receives updates by long polling; `serve_commands` runs it
on the caller's event loop (next to our own scheduler) until `stop` is set,
starting over when Telegram is unreachable, so feeds keep being polled and
commands resume once Telegram answers again.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import replies, services
from bot.context import App

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
POLL_TIMEOUT = 10  # seconds a getUpdates waits for an update (long polling)
RESTART_AFTER = 5.0  # seconds before trying to reach Telegram again


def _app(context: Context) -> App:
    app: App = context.application.bot_data["app"]
    return app


async def _reply(update: Update, texts: str | Sequence[str]) -> None:
    message = update.effective_message
    if message is None:
        return
    for text in [texts] if isinstance(texts, str) else texts:
        await message.reply_text(
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            do_quote=False,
        )


async def help(update: Update, context: Context) -> None:
    """/help: the commands and what they do."""
    await _reply(update, replies.render_help())


async def status(update: Update, context: Context) -> None:
    """/status: each outlet's health, the queue, the last poll cycle, the replicas."""
    app, now = _app(context), datetime.now(UTC)
    view = services.status_view(app, now)
    await _reply(update, replies.render_status(view, now, app.settings.tz))


async def watchlist(update: Update, context: Context) -> None:
    """/watchlist: every entry with its id, name and kind."""
    await _reply(update, replies.render_watchlist(_app(context).config.watchlist))


async def search(update: Update, context: Context) -> None:
    """/search <name or words>: the latest stored articles about it."""
    text = " ".join(context.args or [])
    if not text:
        await _reply(update, replies.USAGE["search"])
        return
    app = _app(context)
    await _reply(update, replies.render_search(text, services.search(app, text), app.settings.tz))


async def case(update: Update, context: Context) -> None:
    """/case <entry-id> [page]: the entry's timeline, newest first, a page at a time."""
    args = context.args or []
    if not 1 <= len(args) <= 2 or (len(args) == 2 and not (args[1].isdigit() and int(args[1]))):
        await _reply(update, replies.USAGE["case"])
        return
    app = _app(context)
    page = services.case_page(app, args[0], int(args[1]) if len(args) == 2 else 1)
    if page is None:
        await _reply(update, replies.unknown_entry(args[0]))
        return
    await _reply(
        update,
        replies.render_case(
            page.name, args[0], page.lines, page.page, page.pages, app.settings.tz, page.changes
        ),
    )


async def why(update: Update, context: Context) -> None:
    """/why <article link>: the entries, words, scores and reasons, and where it went."""
    args = context.args or []
    if len(args) != 1:
        await _reply(update, replies.USAGE["why"])
        return
    app = _app(context)
    detail = services.why(app, args[0])
    if detail is None:
        await _reply(update, replies.NO_ARTICLE)
        return
    await _reply(update, replies.render_why(detail, app.name_of, app.settings.tz))


async def test(update: Update, context: Context) -> None:
    """/test <text>: what the watchlist finds in the text, like `match --text`."""
    text = " ".join(context.args or [])
    if not text:
        await _reply(update, replies.USAGE["test"])
        return
    app = _app(context)
    result = services.test_text(app, text)
    await _reply(
        update,
        replies.render_test(text, result.matches, result.urgent, result.routed, app.name_of),
    )


async def digest(update: Update, context: Context) -> None:
    """/digest: send the pending digest to every destination now."""
    report = await services.digest(_app(context), datetime.now(UTC))
    await _reply(update, replies.render_digest_sent(report.sent, report.refused))


HANDLERS: dict[str, Callable[[Update, Context], Coroutine[Any, Any, None]]] = {
    "help": help,
    "start": help,
    "status": status,
    "watchlist": watchlist,
    "search": search,
    "case": case,
    "why": why,
    "test": test,
    "digest": digest,
}


class _Strangers:
    """Refuse a stranger once, briefly, and then ignore them."""

    def __init__(self) -> None:
        self.refused: set[int] = set()

    async def __call__(self, update: Update, context: Context) -> None:
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None or user.id in self.refused:
            return
        word = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        addressed = word.partition("@")[2]
        if addressed and addressed.lower() != (context.bot.username or "").lower():
            return  # a command for another bot in the same group
        self.refused.add(user.id)
        log.info("refused a command from user %s (not in TRIALWATCH_ADMINS)", user.id)
        await message.reply_text(replies.REFUSAL, do_quote=False)


async def _unknown(update: Update, context: Context) -> None:
    word = (update.effective_message.text or "").split()[0] if update.effective_message else ""
    addressed = word.partition("@")[2]
    if addressed and addressed.lower() != (context.bot.username or "").lower():
        return
    await _reply(update, replies.UNKNOWN_COMMAND)


async def _on_error(update: object, context: Context) -> None:
    """A handler failed: log it, tell the admin briefly, never show a traceback."""
    log.error("a bot command failed: %r", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text(replies.FAILED, do_quote=False)


def build_commands(
    app: App, token: str, base_url: str | None, admins: frozenset[int]
) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application answering `admins` only; other users get one short refusal."""
    builder = (
        Application.builder()
        .token(token)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .request(HTTPXRequest(connect_timeout=10, read_timeout=10, write_timeout=10))
        .get_updates_request(HTTPXRequest(read_timeout=POLL_TIMEOUT + 10, connect_timeout=10))
        .job_queue(None)  # our own AsyncIOScheduler runs the jobs
    )
    if base_url:
        builder = builder.base_url(base_url.rstrip("/") + "/bot")
    application = builder.build()
    application.bot_data["app"] = app
    is_admin = filters.User(user_id=admins)
    for name, handler in HANDLERS.items():
        application.add_handler(CommandHandler(name, handler, filters=is_admin))
    application.add_handler(MessageHandler(filters.COMMAND & ~is_admin, _Strangers()))
    application.add_handler(MessageHandler(filters.COMMAND & is_admin, _unknown))
    application.add_error_handler(_on_error)
    return application


MENU = [BotCommand(c.name, c.description) for c in replies.COMMANDS]


async def serve_commands(
    application: Application[Any, Any, Any, Any, Any, Any], stop: asyncio.Event
) -> None:
    """Receive and answer commands until `stop` is set. Starting (getMe, setMyCommands,
    the polling bootstrap) is tried again every few seconds while Telegram is unreachable;
    once polling, python-telegram-bot retries failed getUpdates itself, and updates resume
    where they stopped."""
    if not await _start_polling(application, stop):
        await application.shutdown()
        return
    await application.start()
    log.info("bot commands on: long polling for updates")
    try:
        await stop.wait()
    finally:
        assert application.updater is not None
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def _start_polling(
    application: Application[Any, Any, Any, Any, Any, Any], stop: asyncio.Event
) -> bool:
    """True once polling runs; False when stopped first or the token is refused."""
    assert application.updater is not None
    while not stop.is_set():
        try:
            await application.initialize()
            await application.bot.set_my_commands(MENU)
            await application.updater.start_polling(
                timeout=POLL_TIMEOUT, allowed_updates=["message"], error_callback=_polling_error
            )
            return True
        except InvalidToken:
            log.error("Telegram refused the token; check TRIALWATCH_TELEGRAM_TOKEN: commands off")
            return False
        except TelegramError as e:
            log.warning("bot commands wait for Telegram: %s", e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RESTART_AFTER)
    return False


def _polling_error(error: TelegramError) -> None:
    log.warning("getting updates from Telegram failed, retrying: %s", error)
