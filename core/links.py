"""Canonical article URLs and the link identity of an article. Pure functions.

In `core` because storage needs them too (migration 0008 computes the link
identity of the articles already stored).
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = {"fbclid", "gclid", "yclid", "dclid", "mc_cid", "mc_eid", "igshid", "_ga", "ref", "rss"}
_TRACKING_PREFIXES = ("utm_", "at_", "pk_")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments, tracking
    parameters and trailing slashes, and sort the query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or ""
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    )
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def without_tracking(url: str) -> str:
    """The link as given, less its tracking parameters (utm_*, fbclid, ...)."""
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _is_tracking(k)]
    if len(kept) == len(pairs):
        return url.strip()
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _is_tracking(key: str) -> bool:
    return key.lower() in _TRACKING or key.lower().startswith(_TRACKING_PREFIXES)


def url_key(url: str) -> str | None:
    """The link identity of `url`: its canonical form without scheme and `www.`; a
    fragment with a number is kept (`#post-2` and `#post-3` of a live blog are two
    items), others (`#comments`) are not. None for a link that is not http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    canonical = canonical_url(url).split("://", 1)[1].removeprefix("www.")
    numbered = any(c.isdigit() for c in parts.fragment)
    return canonical + (f"#{parts.fragment}" if numbered else "")
