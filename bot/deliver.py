"""Send the outbox: urgent alerts after each cycle, the digest on schedule.

A delivery is marked sent only after Telegram accepted the message that holds
it, so a crash or a refusal leaves it queued for the next attempt; it keeps the
message's id, so a later change notice (bot.research.evidence) can reply to it.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.notifier import Notifier
from bot.render import Message, NameOf, render_alert, render_digest
from bot.stories import group_stories
from core.errors import DeliveryError, MessageRefused
from core.records import DEFAULT_DESTINATION
from storage import outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    """What one send did: articles sent, and the error that stopped it, if any."""

    count: int
    error: DeliveryError | None = None
    set_aside: tuple[MessageRefused, ...] = ()  # refused in every form, later ones went on


def digest_messages(
    engine: Engine,
    tz: ZoneInfo,
    name_of: NameOf,
    now: datetime,
    *,
    destination: str = DEFAULT_DESTINATION,
) -> list[Message]:
    """One destination's pending digest as it would be sent now (the one render of it)."""
    pending = outbox.pending(engine, urgent=False, destination=destination)
    return render_digest(pending, tz, name_of, now)


async def send_urgent(
    engine: Engine,
    notifier: Notifier,
    tz: ZoneInfo,
    name_of: NameOf,
    now: datetime,
    *,
    destination: str = DEFAULT_DESTINATION,
) -> Sent:
    """Send one destination's pending urgent alerts, oldest first; the same story from
    several outlets in one cycle is one alert ("also reported by")."""
    pending = outbox.pending(engine, urgent=True, destination=destination)
    messages = [
        render_alert(story.lead, tz, name_of, now=now, also=story.also)
        for story in group_stories(pending)
    ]
    return await _send_in_order(engine, notifier, messages, now, "alert")


async def send_digest(
    engine: Engine,
    notifier: Notifier,
    tz: ZoneInfo,
    name_of: NameOf,
    now: datetime,
    *,
    destination: str = DEFAULT_DESTINATION,
) -> Sent:
    """Send one destination's pending digest, oldest first."""
    messages = digest_messages(engine, tz, name_of, now, destination=destination)
    return await _send_in_order(engine, notifier, messages, now, "digest")


async def _send_in_order(
    engine: Engine, notifier: Notifier, messages: Sequence[Message], now: datetime, kind: str
) -> Sent:
    """Send `messages` in order; log one line per message sent (chat, kind, articles,
    and k/n, which is the progress of a long digest under flood control)."""
    chat = getattr(notifier, "chat_id", "console")
    sent = 0
    set_aside: list[MessageRefused] = []
    for index, message in enumerate(messages):
        try:
            posted = await notifier.send(message.html, silent=message.silent)
        except MessageRefused as e:
            # This message, not the chat: set it aside so it never holds later ones back.
            log.error("%s (deliveries %s)", e, list(message.delivery_ids))
            outbox.set_aside(engine, message.delivery_ids, str(e), now)
            set_aside.append(e)
            continue
        except DeliveryError as e:
            queued = sum(len(m.delivery_ids) for m in messages[index:])
            log.error("%s; %d deliveries stay queued", e, queued)
            outbox.mark_failed(engine, message.delivery_ids, str(e))
            # The chat refuses (or Telegram is unreachable): keep the order, later
            # messages wait for this one.
            return Sent(sent, e, tuple(set_aside))
        if posted is None:
            outbox.mark_sent(engine, message.delivery_ids, now)
        else:  # where it went: a change notice about these articles replies to it
            outbox.mark_sent(
                engine,
                message.delivery_ids,
                now,
                chat=posted.chat,
                topic=posted.topic,
                message_id=posted.message_id,
            )
        sent += len(message.delivery_ids)
        log.info(
            "sent %s %d/%d to %s: %d articles (%d so far)",
            kind,
            index + 1,
            len(messages),
            chat,
            len(message.delivery_ids),
            sent,
        )
    return Sent(sent, None, tuple(set_aside))
