"""The outlets file (`config/feeds.yaml`) and what it makes of the outlet rows.
Pure: parses text and decides; no I/O, no clock.

feeds:
  - id: eurasianet          # lowercase letters, digits, - and _
    name: Eurasianet
    url: https://eurasianet.org/rss
    lang: en                # en | ru | kk | other ISO code
    every: 30m              # optional, overrides TRIALWATCH_POLL_EVERY
    fulltext: true          # optional: the feed gives only a lead; fetch each new article's page
"""

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from core.records import OutletConfig, OutletSync
from core.yamlconf import Located, check_keys, load_located, records, text_value, unique_ids

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
LANG_PATTERN = re.compile(r"[a-z]{2,3}\Z")
_DURATION = re.compile(r"\s*(\d+)\s*([smhd])\s*\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
FEED_KEYS = {"id", "name", "url", "lang", "every", "fulltext"}
MIN_EVERY = timedelta(seconds=30)


def plan_sync(
    configs: Sequence[OutletConfig],
    stored_urls: Mapping[str, str],
    default_every: timedelta,
    now: datetime,
) -> list[OutletSync]:
    """The outlet rows feeds.yaml asks for. `stored_urls`: each stored outlet's id and
    configured URL. A new outlet, or one whose URL the user edited, is polled at
    `now` from that URL, forgetting redirects and validators (they belonged to the
    old feed); an unchanged one keeps its redirect, validators and schedule."""
    return [
        OutletSync(
            id=c.id,
            name=c.name,
            config_url=c.url,
            lang=c.lang,
            every=c.every or default_every,
            reset_at=now if stored_urls.get(c.id) != c.url else None,
        )
        for c in configs
    ]


def parse_duration(text: str) -> timedelta:
    """`30s`, `15m`, `1h`, `1d` → timedelta; ValueError otherwise."""
    m = _DURATION.match(text)
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 1h")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def parse_outlets(text: str, path: str = "feeds.yaml") -> list[OutletConfig]:
    """Parse and validate the outlets file; raise `ConfigError` listing every problem."""
    located = load_located(text, path)
    if not isinstance(located.data, dict) or "feeds" not in located.data:
        located.problem("", "expected a mapping with a 'feeds:' list")
        located.check()
    for name in sorted(located.data.keys() - {"feeds"}):
        located.problem(name, "unknown section; the file holds only 'feeds:'")
    outlets = [(key, _outlet(located, key, item)) for key, item in records(located, "feeds")]
    keyed = [(key, outlet.id) for key, outlet in outlets if outlet.id]
    unique_ids(located, keyed, lambda i: bool(ID_PATTERN.match(i)), "use a-z, 0-9, - and _")
    located.check()
    return [outlet for _, outlet in outlets]


def _outlet(located: Located, key: str, item: dict[str, Any]) -> OutletConfig:
    check_keys(located, key, item, {"id", "name", "url", "lang"}, FEED_KEYS)
    url = text_value(located, f"{key}.url", item.get("url")) if "url" in item else None
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        located.problem(f"{key}.url", f"{url!r} is not an http(s) URL")
    lang = text_value(located, f"{key}.lang", item.get("lang")) if "lang" in item else None
    if lang and not LANG_PATTERN.match(lang):
        located.problem(f"{key}.lang", f"{lang!r} is not an ISO language code like en, ru, kk")
    every = None
    if item.get("every") is not None:
        try:
            every = parse_duration(str(item["every"]))
        except ValueError as e:
            located.problem(f"{key}.every", str(e))
        else:
            if every < MIN_EVERY:
                located.problem(f"{key}.every", "poll at most every 30s; outlets ban faster bots")
    ident = text_value(located, f"{key}.id", item.get("id")) if "id" in item else None
    name = text_value(located, f"{key}.name", item.get("name")) if "name" in item else None
    fulltext = item.get("fulltext", False)
    if not isinstance(fulltext, bool):
        located.problem(f"{key}.fulltext", f"expected true or false, got {fulltext!r}")
        fulltext = False
    return OutletConfig(
        id=ident or "",
        name=name or "",
        url=url or "",
        lang=lang or "",
        every=every,
        fulltext=fulltext,
    )
