"""Canonical article URLs, so one article is stored once. Pure functions."""

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


def article_key(outlet_id: str, link: str | None, guid: str | None, title: str) -> str:
    """The identity of an article: its canonical link, else its guid, else its title."""
    if link and urlsplit(link).scheme in ("http", "https"):
        return canonical_url(link)
    if guid:
        return f"guid:{outlet_id}:{guid.strip()}"
    return f"title:{outlet_id}:{' '.join(title.casefold().split())}"
