"""Is a matched article worth the channel, and how urgently? Pure: no I/O, no clock.

    decide_delivery(analysis, watchlist, published=…, now=…, backlog=…) -> Decision

The rules (issue 9; they trade a little recall for a channel without world news):

- **Subjects** are watched people and cases found at the delivery score. A case
  found only by a `together` pattern or an `everyday` alias ("January events")
  counts only with a regional context near it: another country's January events
  are not Bloody January.
- **Regional context** is a place from the watchlist's `regions:` in the title or
  within REGION_REACH sentences of the words it qualifies.
- **urgent**: a subject and a court word marked `urgent` in one sentence, or
  that court word in the title (the story is about it) and a subject anywhere,
  in an article first published within URGENT_WINDOW of `now` and not part of
  an outlet's first-poll backlog.
- **digest**: any other article with a subject; old and backlog articles go here.
- **region**: no subject, but court words with a regional context: a trial in
  the region to follow ("Other trials in the region"), never urgent.
- **drop**: court words with no regional context (world news), or nothing.

The matches handed back are what to store and show: a subject's and its court
word's best occurrences are moved to the sentence where they meet, so the
snippet is that sentence; region hits come back as matches of kind "region";
the stage's court word comes first among the keyword matches.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.records import ALERT_THRESHOLD, Match
from matchers.match import EVERYDAY, Analysis, Occurrence
from matchers.snippet import snippet_around
from matchers.watchlist import Watchlist

DeliveryKind = Literal["urgent", "digest", "region", "drop"]
URGENT_WINDOW = timedelta(days=3)  # issue 9: older news is never an alert
REGION_REACH = 2  # sentences between a place and the words it makes regional
WEAK_REASONS = frozenset({"pattern", EVERYDAY})  # case evidence that needs a region


@dataclass(frozen=True, slots=True)
class Decision:
    """Where an article goes, why (one line, for logs and `match`), and its stage:
    the id of the court word that decided it (verdict, detention, ...), if any."""

    kind: DeliveryKind
    reason: str
    stage: str | None = None
    matches: tuple[Match, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.kind != "drop"


def decide_delivery(
    analysis: Analysis,
    watchlist: Watchlist,
    *,
    published: datetime | None,
    now: datetime,
    backlog: bool = False,
) -> Decision:
    """Decide one article. `published`: its first-published time (None: unknown,
    taken as new); `backlog`: it came with an outlet's first poll."""
    found = [o for o in analysis.occurrences if o.score >= ALERT_THRESHOLD]
    regions = [o for o in found if o.kind == "region"]
    courts = [o for o in found if o.kind == "keyword"]
    subjects = [
        o
        for o in found
        if o.kind in ("person", "case")
        and (o.reason not in WEAK_REASONS or _regional(analysis, regions, [o]))
    ]
    region_matches = _region_matches(analysis, regions)
    if not subjects:
        weak = [o.entry_id for o in found if o.kind == "case"]
        if courts and _regional(analysis, regions, courts):
            stage = _stage(watchlist, courts)
            places = ", ".join(dict.fromkeys(m.entry_id for m in region_matches))
            matches = _stage_first((*analysis.matches, *region_matches), stage)
            return Decision("region", f"court words in the region ({places})", stage, matches)
        if weak:
            why = f"{weak[0]} only by an everyday phrase or pattern, with no regional context"
        elif courts:
            why = "court words with no regional context"
        else:
            why = "no watched person, case or court word"
        return Decision("drop", why, None, tuple(analysis.matches))
    urgent_ids = {k.id for k in watchlist.keywords if k.urgent}
    meeting = _meeting(analysis, subjects, [o for o in courts if o.entry_id in urgent_ids])
    stage = meeting[1].entry_id if meeting else _stage(watchlist, courts)
    matches = _stage_first(_shown(analysis, meeting, region_matches), stage)
    if meeting is None:
        return Decision("digest", "no urgent court word beside a watched name", stage, matches)
    if backlog:
        return Decision("digest", "an outlet's first poll: backlog, not news", stage, matches)
    if published is not None and now - published > URGENT_WINDOW:
        return Decision("digest", f"published {published:%d %b %Y}: not news", stage, matches)
    subject, court = meeting
    return Decision("urgent", f"{subject.entry_id} and {court.entry_id} together", stage, matches)


def _regional(
    analysis: Analysis, regions: Sequence[Occurrence], near: Iterable[Occurrence]
) -> bool:
    """A place in the title, or within REGION_REACH sentences of one of `near`."""
    if any(analysis.in_title(r) for r in regions):
        return True
    sentences = {o.sentence for o in near}
    return any(abs(r.sentence - s) <= REGION_REACH for r in regions for s in sentences)


def _meeting(
    analysis: Analysis, subjects: Sequence[Occurrence], courts: Sequence[Occurrence]
) -> tuple[Occurrence, Occurrence] | None:
    """A (subject, court word) in one sentence, or the court word in the title and
    the subject anywhere; one sentence first, then a subject in the body: its
    snippet says more than the headline."""
    pairs = [
        (s, c) for s in subjects for c in courts if s.sentence == c.sentence or analysis.in_title(c)
    ]
    if not pairs:
        return None
    return min(pairs, key=lambda p: _meeting_rank(analysis, *p))


def _meeting_rank(
    analysis: Analysis, subject: Occurrence, court: Occurrence
) -> tuple[bool, bool, float, int]:
    # One sentence first, then a subject in the body; the best score, the first one.
    together = subject.sentence == court.sentence
    return (not together, analysis.in_title(subject), -subject.score, subject.start)


def _stage(watchlist: Watchlist, courts: Sequence[Occurrence]) -> str | None:
    """The first court word found, in watchlist order (verdict before hearing)."""
    present = {o.entry_id for o in courts}
    return next((k.id for k in watchlist.keywords if k.id in present), None)


def _shown(
    analysis: Analysis,
    meeting: tuple[Occurrence, Occurrence] | None,
    region_matches: Sequence[Match],
) -> tuple[Match, ...]:
    """The analysis' matches, the meeting pair's moved to the sentence they share."""
    moved = {}
    if meeting is not None:
        for occurrence in meeting:
            moved[occurrence.entry_id] = _as_match(analysis, occurrence)
    matches = [moved.get(m.entry_id, m) for m in analysis.matches]
    return (*matches, *region_matches)


def _stage_first(matches: Sequence[Match], stage: str | None) -> tuple[Match, ...]:
    """The stage's court word first among the keywords, so that it is the first
    keyword match stored (the renderers read the stage from it)."""
    return tuple(sorted(matches, key=lambda m: not (m.kind == "keyword" and m.entry_id == stage)))


def _region_matches(analysis: Analysis, regions: Sequence[Occurrence]) -> list[Match]:
    """One match per place, its first occurrence."""
    first: dict[str, Occurrence] = {}
    for r in regions:
        first.setdefault(r.entry_id, r)
    return [_as_match(analysis, r) for r in first.values()]


def _as_match(analysis: Analysis, o: Occurrence) -> Match:
    snippet, mark = snippet_around(analysis.text, o.start, o.end)
    form = analysis.text[o.start : o.end]
    return Match(o.entry_id, o.kind, form, o.start, o.end, o.score, o.reason, snippet, mark)
