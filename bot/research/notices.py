"""Change notices: whether a notice replies to the article's alert, and its text.
Pure functions: no Telegram, no database, no clock.

A notice about an edited, taken-down or moved article replies to the message that
alerted the destination about it. It goes out on its own, quoting the title and
the link and saying why it is not a reply, when that message cannot be replied to:

    digest     the article went out in a digest (one message for many articles)
    unsent     the article's alert was never sent there (Telegram refused it)
    unknown    Telegram's id for the alert is not known (sent before ids were kept,
               or printed to the console)
    elsewhere  the destination has moved to another chat or topic since
    deleted    Telegram no longer had the alert (someone deleted it)

While the article's own message is still queued, its notice waits behind it.
"""

import html
from dataclasses import dataclass

from core.research import Original, Verdict

WHY_ALONE = {
    "digest": "the article went out in a digest",
    "unsent": "the article's alert was never sent here",
    "unknown": "the alert's Telegram message id is not known",
    "elsewhere": "the alert went to the chat this destination used before",
    "deleted": "the alert is no longer in the chat",
}


@dataclass(frozen=True, slots=True)
class Telling:
    """How to send one notice: as a reply to `reply_to`, or alone for reason `how`."""

    how: str  # reply | digest | unsent | unknown | elsewhere
    reply_to: int | None = None


def how_to_tell(original: Original | None, chat: str | None, topic: int | None) -> Telling | None:
    """How a destination (`chat`, `topic` as configured now) gets a notice about an
    article whose outbox row there is `original`; None: wait, the alert is still queued."""
    if original is None or original.set_aside:
        return Telling("unsent")
    if original.sent_at is None:
        return None
    if not original.urgent:
        return Telling("digest")
    if original.message_id is None or original.chat is None:
        return Telling("unknown")
    if (original.chat, original.topic) != (chat, topic):
        return Telling("elsewhere")
    return Telling("reply", original.message_id)


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What a notice says: the article and the check's verdict."""

    title: str
    url: str
    verdict: Verdict


def render_notice(facts: NoticeFacts, how: str = "reply") -> str:
    """The channel message (HTML). As a reply: what changed, with the linked title.
    On its own: the same, then the address written out and why it is not a reply."""
    v, title = facts.verdict, html.escape(facts.title)
    link = f'<a href="{html.escape(facts.url, quote=True)}">{title}</a>'
    if v.status == "gone":
        text = f"Taken down ({v.http_status}): {link}"
    elif v.status == "moved":
        text = f"Now redirects elsewhere: {link} → {html.escape(v.final_url or '')}"
    else:
        changes = [
            line
            for line in (v.diff or "").splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        excerpt = "\n".join(html.escape(line[:200]) for line in changes[:6])
        text = f"Edited: {link}\n<pre>{excerpt}</pre>" if excerpt else f"Edited: {link}"
    if how == "reply":
        return text
    why = WHY_ALONE.get(how, how)
    return f"{text}\n{html.escape(facts.url)}\n<i>Not a reply: {html.escape(why, quote=False)}.</i>"
