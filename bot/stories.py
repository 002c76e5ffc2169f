"""Group articles that tell the same story, so the digest shows it once with
"also reported by …". Pure functions: no I/O, no clock.

Two articles from different outlets are one story when they appeared within
STORY_WINDOW of each other and
- they are about the same watched people or cases at the same stage (a verdict on
  the same person, the same day: the usual shape of one court event reported by
  several outlets, in several languages), or
- their titles are alike once transliterated to one script (rapidfuzz
  `token_set_ratio` ≥ TITLE_SIMILARITY), with a watched entry or place in common.

Transliterating first lets «Суд приговорил Жыланбаева» meet "Zhylanbayev
sentenced"; similarity is a fallback for stories with no stage in common.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from core.records import DeliveryItem
from matchers.normalize import skeleton, words

STORY_WINDOW = timedelta(hours=36)
TITLE_SIMILARITY = 70  # 0..100; same-story titles across outlets scored 72-100 in our tests

SUBJECT_KINDS = ("person", "case")


@dataclass(frozen=True, slots=True)
class Story:
    """One story: the article shown first, then the same story from other outlets."""

    items: tuple[DeliveryItem, ...]

    @property
    def lead(self) -> DeliveryItem:
        return self.items[0]

    @property
    def also(self) -> tuple[DeliveryItem, ...]:
        return self.items[1:]

    @property
    def delivery_ids(self) -> tuple[int, ...]:
        return tuple(i.delivery_id for i in self.items)

    def other_outlets(self) -> list[str]:
        """The other outlets that reported it, each once, in order."""
        names = dict.fromkeys(i.outlet for i in self.also if i.outlet != self.lead.outlet)
        return list(names)


def subjects(item: DeliveryItem) -> frozenset[str]:
    """The watched people and cases an article is delivered for."""
    return frozenset(m.entry_id for m in item.matches if m.deliverable and m.kind in SUBJECT_KINDS)


def stage(item: DeliveryItem) -> str | None:
    """The court word that decided the article: its first keyword match (the
    relevance decision stores the stage's keyword first)."""
    return next((m.entry_id for m in item.matches if m.kind == "keyword"), None)


def group_stories(items: Sequence[DeliveryItem]) -> list[Story]:
    """Stories in the order of their first article; each article in exactly one."""
    stories: list[list[DeliveryItem]] = []
    keys = [_title_key(i.title) for i in items]
    key_of = {i.delivery_id: k for i, k in zip(items, keys, strict=True)}
    for item, key in zip(items, keys, strict=True):
        for story in stories:
            if any(other.outlet == item.outlet for other in story):
                continue  # one article per outlet: its other articles are other stories
            if any(_same_story(item, key, other, key_of[other.delivery_id]) for other in story):
                story.append(item)
                break
        else:
            stories.append([item])
    return [Story(tuple(s)) for s in stories]


def _same_story(a: DeliveryItem, a_key: str, b: DeliveryItem, b_key: str) -> bool:
    if abs(_when(a) - _when(b)) > STORY_WINDOW:
        return False
    shared_subjects = subjects(a) & subjects(b)
    if shared_subjects and subjects(a) == subjects(b) and stage(a) and stage(a) == stage(b):
        return True
    shared = shared_subjects or (_places(a) & _places(b))
    return bool(shared) and fuzz.token_set_ratio(a_key, b_key) >= TITLE_SIMILARITY


def _places(item: DeliveryItem) -> frozenset[str]:
    return frozenset(m.entry_id for m in item.matches if m.kind == "region")


def _when(item: DeliveryItem) -> datetime:
    return item.published or item.seen


def _title_key(title: str) -> str:
    """The title in one script: the skeleton of each word (Жыланбаев = Zhylanbayev)."""
    return " ".join(skeleton(w) for w in words(title) if len(w) > 2)
