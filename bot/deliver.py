"""Send the outbox: urgent alerts after each cycle, the digest on schedule.

A delivery is marked sent only after Telegram accepted the message that holds
it, so a crash or a refusal leaves it queued for the next attempt.
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.notify import Notifier
from bot.render import Message, NameOf, render_alert, render_digest
from bot.stories import group_stories
from core.errors import DeliveryError
from storage.queries import Store

log = logging.getLogger(__name__)


async def send_urgent(
    store: Store, notifier: Notifier, tz: ZoneInfo, name_of: NameOf, now: datetime
) -> tuple[int, DeliveryError | None]:
    """Send every pending urgent alert, oldest first; the same story from several
    outlets in one cycle is one alert ("also reported by")."""
    messages = [
        render_alert(story.lead, tz, name_of, now=now, also=story.also)
        for story in group_stories(store.pending(urgent=True))
    ]
    return await _send_in_order(store, notifier, messages, now)


async def send_digest(
    store: Store, notifier: Notifier, tz: ZoneInfo, name_of: NameOf, now: datetime
) -> tuple[int, DeliveryError | None]:
    """Send the pending digest, oldest first."""
    messages = render_digest(store.pending(urgent=False), tz, name_of, now)
    return await _send_in_order(store, notifier, messages, now)


async def _send_in_order(
    store: Store, notifier: Notifier, messages: Sequence[Message], now: datetime
) -> tuple[int, DeliveryError | None]:
    """(articles sent, the error that stopped sending, if any)."""
    sent = 0
    for index, message in enumerate(messages):
        try:
            await notifier.send(message.html, silent=message.silent)
        except DeliveryError as e:
            queued = sum(len(m.delivery_ids) for m in messages[index:])
            log.error("%s; %d deliveries stay queued", e, queued)
            store.mark_failed(message.delivery_ids, str(e))
            return sent, e  # keep the order: later messages wait for this one
        store.mark_sent(message.delivery_ids, now)
        sent += len(message.delivery_ids)
    return sent, None
