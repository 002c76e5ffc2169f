"""Reports for the people who run trialwatch: to TRIALWATCH_TELEGRAM_ADMIN_CHAT, if set.

Each report has a topic; a topic's report is sent once, and again only when its
text changes, so a problem that persists for hours is one message, not hundreds.
"""

import logging

from bot.notifier import Notifier
from core.errors import DeliveryError

log = logging.getLogger(__name__)


class AdminReporter:
    def __init__(self, notifier: Notifier | None) -> None:
        self.notifier = notifier
        self._sent: dict[str, str] = {}

    async def report(self, topic: str, text_html: str) -> None:
        """Send `text_html` unless this topic's last report said the same."""
        if self._sent.get(topic) == text_html:
            return
        self._sent[topic] = text_html
        if self.notifier is None:
            return
        try:
            await self.notifier.send(text_html)
        except DeliveryError as e:
            log.error("could not report to the admin chat: %s", e)

    async def announce(self, text_html: str) -> None:
        """Send a one-off report (an event that cannot repeat, like a state change)."""
        await self.report("announcement", text_html)
        self.resolved("announcement")

    def resolved(self, topic: str) -> None:
        """The problem is gone: its next occurrence will be reported again."""
        self._sent.pop(topic, None)
