"""The search index's folding is the same with and without its ASCII shortcut."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from matchers.searchkeys import fold


def reference(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@given(st.text() | st.text(alphabet=st.characters(max_codepoint=127)))
def test_fold_matches_its_definition(text: str) -> None:
    """Any text, ASCII or not, folds as casefold + NFKD + marks dropped."""
    assert fold(text) == reference(text)


def test_ascii_ligatures_and_marks() -> None:
    """Ligatures decompose and marks go, in Latin and Cyrillic alike."""
    assert fold("Ёлка ﬁnale Café") == "елка finale cafe"
