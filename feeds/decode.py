"""Feed bytes as the outlet meant them. Pure functions: no network, no clock.

Outlets label their bytes wrongly in two ways, and the bytes win both times:

- `Content-Encoding`: a body said to be gzip or deflate that is not compressed is
  used as it is; a gzip body with no label is inflated. We read the raw body and
  undo the encoding here, so a wrong label is not a transport error.
- charset: bytes that are valid UTF-8 (and not plain ASCII) are UTF-8, whatever
  the header or the XML declaration says; the chance that text in another
  encoding is valid UTF-8 by accident is negligible past a few accented letters.
  Only bytes that are not UTF-8 and read as implausible Latin-1 (words made of
  accented letters only: Russian or Kazakh in windows-1251) are read as windows-1251.
"""

import re
import zlib

from core.errors import ParseError
from feeds.records import FetchedFeed

MAX_INFLATED = 20 * 1024 * 1024  # bytes; a feed is rarely over 1 MB
GZIP_MAGIC = b"\x1f\x8b"
CP1251 = "windows-1251"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# How a document's first bytes show its Unicode encoding (XML 1.0, appendix F).
# UTF-32's marks start like UTF-16's, so they are ruled out first.
_UNICODE_STARTS = (
    (b"\xff\xfe\x00\x00", None),
    (b"\x00\x00\xfe\xff", None),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
# A "word" of a Latin-1 reading: ASCII letters and the letters at 0xC0-0xFF
# (which windows-1251 uses for А-я), plus Ё/ё (0xA8/0xB8).
_WORD = re.compile(rb"[A-Za-z\xa8\xb8\xc0-\xff]+")
_HIGH = re.compile(rb"[\xa8\xb8\xc0-\xff]")


def content_decoded(fetched: FetchedFeed) -> bytes:
    """The body with its content coding undone, trusting the bytes over the label.

    Raises `ParseError` for a body that is gzip by its magic bytes but broken,
    or that inflates past `MAX_INFLATED` bytes.
    """
    body = fetched.body
    labels = fetched.headers.get("content-encoding", fetched.headers.get("Content-Encoding", ""))
    for label in reversed([part.strip().lower() for part in labels.split(",") if part.strip()]):
        if label in ("gzip", "x-gzip") and body.startswith(GZIP_MAGIC):
            body = _inflate(fetched, body, 16 + zlib.MAX_WBITS)
        elif label == "deflate" and not _looks_like_xml(body):
            body = _inflate_deflate(fetched, body)
    if body.startswith(GZIP_MAGIC):  # gzip with no label, or gzip twice
        body = _inflate(fetched, body, 16 + zlib.MAX_WBITS)
    return body


def _inflate_deflate(fetched: FetchedFeed, body: bytes) -> bytes:
    """`deflate` is zlib-wrapped by the standard and raw by some servers; plain
    bytes that are neither are kept as they are."""
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            return _inflate(fetched, body, wbits)
        except ParseError:
            continue
    return body


def _inflate(fetched: FetchedFeed, body: bytes, wbits: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    outlet = fetched.outlet
    try:
        plain = inflater.decompress(body, MAX_INFLATED)
    except zlib.error as e:
        raise ParseError(outlet.id, outlet.url, f"broken compressed body: {e}") from e
    if inflater.unconsumed_tail:
        raise ParseError(outlet.id, outlet.url, f"body inflates past {MAX_INFLATED} bytes")
    return plain


def _looks_like_xml(body: bytes) -> bool:
    return body.lstrip()[:1] == b"<" or body.startswith(_BOMS)


def charset_of(body: bytes, *, min_letters: int = 8) -> str | None:
    """The charset the bytes themselves show, or None to let the labels decide.

    The charset a byte-order mark (or UTF-16's `<?`) shows, whatever the labels say;
    `utf-8` for valid UTF-8 that is not plain ASCII; `windows-1251` for bytes that
    are not UTF-8 and look like Cyrillic read as Latin-1; None otherwise (ASCII,
    UTF-32, or plausible Western text such as French or German).
    `min_letters`: how many letters of accented words it takes to judge.
    """
    for start, charset in _UNICODE_STARTS:
        if body.startswith(start):  # a byte-order mark or UTF-16 `<`: surer than any label
            return charset
    if b"\x00" in body[:4]:
        return None  # UTF-32 and the like: the labels decide
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return CP1251 if _implausible_latin1(body, min_letters) else None
    return "utf-8"


def _implausible_latin1(body: bytes, min_letters: int) -> bool:
    """True when most letters of the words that hold accented letters are accented.

    French or German (`Procès`, `für`) has one or two accented letters in a word of
    ASCII ones; Russian in windows-1251 read as Latin-1 has words made of nothing
    else (`Ñóä`). Counted over words, so ASCII markup does not dilute it.
    """
    high = letters = 0
    for word in _WORD.findall(body):
        accented = len(_HIGH.findall(word))
        if accented:
            high += accented
            letters += len(word)
    return letters >= min_letters and high / letters > 0.6
