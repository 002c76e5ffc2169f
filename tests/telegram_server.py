"""A fake Telegram Bot API on 127.0.0.1, reached through python-telegram-bot's base_url.

It answers what trialwatch calls (getMe, sendMessage, getUpdates, setMyCommands, ...)
and rejects what Telegram rejects: a wrong token, an unknown chat or forum topic,
bad HTML, text over 4096 characters. Faults can be queued to test 429, 5xx and
refusals; a chat can refuse every message (403) while others accept; `down`
makes every method answer 502, as when Telegram is unreachable.

Incoming messages for the bot are queued with `command(...)` and handed out by
long-polled getUpdates (held until one arrives or `timeout` seconds pass).

Sent messages are kept by (chat, message_id): a reply (`reply_parameters`, or the
older `reply_to_message_id`) to one that is unknown or deleted (`delete(...)`,
deleteMessage) is refused with Telegram's "message to be replied not found",
unless `allow_sending_without_reply` is set; then it goes out as a plain message.
"""

import contextlib
import html
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from feeds.localserver import run_in_thread

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "trialwatch",
    "username": "trialwatch_bot",
}
CHANNEL = {"id": -1001234567890, "type": "channel", "title": "Trial Watch"}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
    "tg-emoji",
}
_PIECE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|\w+);|[<>&]"
)


def html_error(text: str) -> str | None:
    """Telegram's complaint about `text` as HTML, or None if it would accept it."""
    stack: list[str] = []
    for m in _PIECE.finditer(text):
        piece = m.group()
        if piece in "<>&" and len(piece) == 1:
            return f"Can't parse entities: character '{piece}' is reserved and must be escaped"
        if piece.startswith("&"):
            if m.group(4) not in ("lt", "gt", "amp", "quot") and not m.group(4).startswith("#"):
                return f"Can't parse entities: unsupported HTML entity '{piece}'"
            continue
        closing, tag = m.group(1), m.group(2).lower()
        if tag not in ALLOWED_TAGS:
            return f'Can\'t parse entities: unsupported start tag "{tag}"'
        if closing:
            if not stack or stack.pop() != tag:
                return (
                    f"Can't parse entities: can't find end tag corresponding to start tag \"{tag}\""
                )
        else:
            stack.append(tag)
    if stack:
        return f"Can't parse entities: can't find end of the entity starting with {stack[-1]}"
    return None


def visible_length(text: str, parse_mode: str | None) -> int:
    if parse_mode == "HTML":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Fault:
    """A canned error for the next sendMessage call."""

    status: int
    description: str
    retry_after: int | None = None
    migrate_to: int | None = None
    delay: float = 0.0


@dataclass
class FakeTelegram:
    token: str
    chat_id: str = str(CHANNEL["id"])  # the channel the bot may post in
    base_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)  # other chats, by id
    topics: dict[str, set[int]] = field(default_factory=dict)  # forum chat id → thread ids
    refusing: dict[str, Fault] = field(default_factory=dict)  # chat id → its answer to every send
    updates: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)  # the last setMyCommands
    down: bool = False  # every method answers 502 Bad Gateway
    messages: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # accepted
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)
    _next_update: int = 1001

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.sent]

    def texts_to(self, chat_id: int | str, thread_id: int | None = None) -> list[str]:
        """What reached one chat (and one forum topic, when given), in order."""
        return [
            m["text"]
            for m in self.sent
            if str(m.get("chat_id")) == str(chat_id)
            and (thread_id is None or str(m.get("message_thread_id")) == str(thread_id))
        ]

    def returned(self, text_part: str) -> dict[str, Any]:
        """The message Telegram answered with for the one sent text containing `text_part`."""
        [found] = [m for m in self.messages.values() if text_part in m["text"]]
        return found

    def delete(self, chat_id: int | str, message_id: int) -> None:
        """Someone deleted a message in the chat."""
        with self.lock:
            self.messages.pop((str(chat_id), message_id), None)

    def add_chat(
        self,
        chat_id: int,
        kind: str = "channel",
        *,
        title: str = "",
        topics: frozenset[int] = frozenset(),
    ) -> None:
        """A chat the bot may post in: a channel, a group, or a forum with `topics`."""
        chat: dict[str, Any] = {"id": chat_id, "type": kind, "title": title or f"Chat {chat_id}"}
        if topics:
            chat["is_forum"] = True
            self.topics[str(chat_id)] = set(topics)
        with self.lock:
            self.chats[str(chat_id)] = chat

    def command(
        self, text: str, *, user_id: int = 111, chat_id: int | None = None, group: bool = False
    ) -> int:
        """Queue a message from a user (a command in a private chat, or in a group);
        return its update id."""
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if group:
            chat = {"id": chat_id or -1005550000001, "type": "supergroup", "title": "Monitors"}
        else:
            chat = {"id": chat_id or user_id, "type": "private", "first_name": user["first_name"]}
        word = text.split()[0] if text.startswith("/") else ""
        message: dict[str, Any] = {
            "message_id": self._next_update,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if word:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(word)}]
        with self.arrived:
            self.chats.setdefault(str(chat["id"]), chat)
            update_id = self._next_update
            self._next_update += 1
            self.updates.append({"update_id": update_id, "message": message})
            self.arrived.notify_all()
        return update_id

    def handle(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
        if not match:
            return 404, _error(404, "Not Found")
        token, method = match.group(1), match.group(2).lower()
        with self.lock:
            self.calls.append((method, params))
            if self.down:
                return 502, _error(502, "Bad Gateway")
            if token != self.token:
                return 401, _error(401, "Unauthorized")
            if method == "getme":
                return 200, {"ok": True, "result": BOT_USER}
            if method == "sendmessage":
                return self._send(params)
            if method == "deletemessage":
                key = (str(params.get("chat_id")), int(params.get("message_id") or 0))
                if self.messages.pop(key, None) is None:
                    return 400, _error(400, "Bad Request: message to delete not found")
            if method == "getupdates":
                return self._updates(params)
            if method == "setmycommands":
                self.commands = list(params.get("commands", []))
            return 200, {"ok": True, "result": True}

    def _updates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Long polling: drop confirmed updates, wait up to `timeout` for new ones."""
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            left = deadline - time.monotonic()
            if self.updates or left <= 0 or self.down:
                break
            self.arrived.wait(min(left, 0.5))
        if self.down:
            return 502, _error(502, "Bad Gateway")
        return 200, {"ok": True, "result": self.updates[: int(params.get("limit") or 100)]}

    def _send(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.faults:
            fault = self.faults.pop(0)
            if fault.delay:
                time.sleep(fault.delay)
            body = _error(fault.status, fault.description)
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            if fault.migrate_to is not None:
                body["parameters"] = {"migrate_to_chat_id": fault.migrate_to}
            return fault.status, body
        chat_id = str(params.get("chat_id"))
        chat = CHANNEL if chat_id == self.chat_id else self.chats.get(chat_id)
        if chat is None:
            return 400, _error(400, "Bad Request: chat not found")
        if chat_id in self.refusing:
            refusal = self.refusing[chat_id]
            return refusal.status, _error(refusal.status, refusal.description)
        thread = params.get("message_thread_id")
        if thread is not None and int(thread) not in self.topics.get(chat_id, set()):
            return 400, _error(400, "Bad Request: message thread not found")
        text = str(params.get("text", ""))
        mode = params.get("parse_mode")
        if mode == "HTML" and (problem := html_error(text)):
            return 400, _error(400, f"Bad Request: {problem}")
        if not 1 <= visible_length(text, mode) <= 4096:
            return 400, _error(400, "Bad Request: message is too long")
        replied, allow = _reply_of(params)
        original = self.messages.get((chat_id, replied)) if replied is not None else None
        if replied is not None and original is None and not allow:
            return 400, _error(400, "Bad Request: message to be replied not found")
        self.sent.append(params)
        message: dict[str, Any] = {
            "message_id": len(self.sent),
            "date": int(time.time()),
            "chat": chat,
            "text": text,
        }
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        if thread is not None:
            message["message_thread_id"] = int(thread)
        self.messages[(chat_id, message["message_id"])] = message
        if original is not None:
            message = {**message, "reply_to_message": original}
        return 200, {"ok": True, "result": message}


def _reply_of(params: dict[str, Any]) -> tuple[int | None, bool]:
    """(the message id a sendMessage replies to, allow_sending_without_reply)."""
    reply = params.get("reply_parameters")
    if isinstance(reply, dict):
        return int(reply["message_id"]), bool(reply.get("allow_sending_without_reply"))
    if params.get("reply_to_message_id") is not None:
        allow = str(params.get("allow_sending_without_reply")).lower() == "true"
        return int(params["reply_to_message_id"]), allow
    return None, False


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        decoded: dict[str, Any] = json.loads(body or b"{}")
        return decoded
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        try:
            params[key] = json.loads(value) if value[:1] in "{[" else value
        except json.JSONDecodeError:
            params[key] = value
    return params


@contextmanager
def fake_telegram(token: str) -> Iterator[FakeTelegram]:
    """Run the fake Bot API until the block ends; `base_url` goes in TRIALWATCH_TELEGRAM_API."""
    state = FakeTelegram(token=token)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            params = _decode(self.rfile.read(length), self.headers.get("Content-Type", ""))
            status, body = state.handle(self.path, params)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # a long poll the client gave up on
                self.wfile.write(payload)

        do_GET = do_POST

        def log_message(self, format: str, *args: object) -> None:
            pass

    with run_in_thread(Handler) as base_url:
        state.base_url = base_url
        try:
            yield state
        finally:
            with state.arrived:  # release long polls so the server can stop
                state.down = True
                state.arrived.notify_all()
