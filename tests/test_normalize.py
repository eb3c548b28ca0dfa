"""How names are compared: the fast ASCII path folds exactly like the Unicode one."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.normalize import fold

_SPACES = re.compile(r"\s+")


def _unicode_fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_names_fold_as_unicode_names_do(value: str) -> None:
    assert fold(value) == _unicode_fold(value)


def test_accents_case_and_spaces_are_ignored() -> None:
    assert fold("  Hélène\u00a0 DUPONT ") == fold("helene dupont") == "helene dupont"
