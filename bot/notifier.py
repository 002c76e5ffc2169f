"""What a notifier is (`Notifier`), and the console's (console mode: no token).

Kept apart from `bot.notify` (Telegram's) so that a monitor with no token never
imports python-telegram-bot (~0.3 s and ~9 MiB at every start).
"""

import sys
from dataclasses import dataclass
from typing import Protocol, TextIO

from bot.render import to_plain


@dataclass(frozen=True, slots=True)
class Posted:
    """Where Telegram put an accepted message: the chat as configured (-100… or
    @name), the forum topic, its message id, and the message it replies to, if any."""

    chat: str
    topic: int | None
    message_id: int
    reply_to: int | None = None


class Notifier(Protocol):
    async def send(
        self, text_html: str, *, silent: bool = False, reply_to: int | None = None
    ) -> Posted | None:
        """Deliver one message or raise `DeliveryError`; return only when accepted, with
        where it went (None: not Telegram, e.g. the console). `silent`: no notification
        sound (the digest). `reply_to`: a message id in the same chat to reply to; if
        Telegram no longer has it, the message goes out as a plain one."""


class ConsoleNotifier:
    """Console mode: print what would be sent, as plain text."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    async def send(
        self, text_html: str, *, silent: bool = False, reply_to: int | None = None
    ) -> Posted | None:
        print("─" * 60, file=self.stream)
        print(to_plain(text_html), file=self.stream, flush=True)
        return None
