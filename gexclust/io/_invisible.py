r"""Characters in labels that cannot be seen: stripped at a label's ends, named inside it.

Two labels that look the same must be the same label, or the user must be told they are
not. GEO's own files hold none of these characters (none of the real files under
``shared/data`` does); they come from text pasted from web pages and word processors, and
from files joined with ``cat`` whose second part starts with a byte-order mark. pandas and
GEOparse keep them all, so ``'ALL'`` and ``'ALL\u200b'`` become two classes.

The rule, for every reader (sample ids, types, titles, SOFT and series-matrix lines,
sample-sheet cells):

- at either end of a label or line, a zero-width space (U+200B), a zero-width (non-)joiner
  (U+200C, U+200D), a word joiner (U+2060) or a byte-order mark (U+FEFF) is stripped, as
  blanks are (``str.strip`` already strips the Unicode spaces, the no-break space and the
  line and paragraph separators U+2028/U+2029 there): nobody types them as part of a name;
- inside a label every character is kept as written (removing one could make two distinct
  samples one), but a warning names the file, line and label, with the character's code,
  for a character that shows as nothing or as a plain space: a format character (category
  Cf: U+200B, U+FEFF, U+00AD, direction marks), a line or paragraph separator, or a space
  other than U+0020 (a no-break space).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .._logging import warn_first

#: Characters that show as nothing, stripped at a label's ends along with blanks.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_EDGES = re.compile(rf"^[\s{INVISIBLE}]+|[\s{INVISIBLE}]+$")
#: Categories of the characters named inside a label: format, line and paragraph separators.
_HIDDEN_CATEGORIES = ("Cf", "Zl", "Zp")


def clean_label(text: str) -> str:
    """``text`` without blanks or invisible characters (:data:`INVISIBLE`) at its ends."""
    text = text.strip()
    if text and (text[0] in INVISIBLE or text[-1] in INVISIBLE):
        text = _EDGES.sub("", text)
    return text


def hidden_character(text: str) -> str | None:
    """The first character of ``text`` that shows as nothing or as a plain space but is none."""
    if text.isascii():
        return None
    for char in text:
        category = unicodedata.category(char)
        if category in _HIDDEN_CATEGORIES or (category == "Zs" and char != " "):
            return char
    return None


def warn_hidden(path, labels: Iterable[tuple[int | None, str, str]]) -> None:
    r"""One warning for the labels holding a :func:`hidden_character`: the first, and how many.

    ``labels`` holds (line or None, what the label is, the label), e.g.
    ``(5, "type", "A\u200bLL")``.
    """
    found = [(line, what, label, char) for line, what, label in labels
             if (char := hidden_character(label)) is not None]
    warn_first(found, lambda first: _hidden_said(path, *first),
               "label(s) hold such characters")


def _hidden_said(path, line: int | None, what: str, label: str, char: str) -> str:
    where = f", line {line}" if line else ""
    name = unicodedata.name(char, "a control character")
    shows = {"Zs": "a space", "Zl": "a line break or nothing",
             "Zp": "a line break or nothing"}.get(unicodedata.category(char), "nothing")
    return (f"{path}{where}: {what} {label!r} holds U+{ord(char):04X} ({name}), which shows as "
            f"{shows}; kept as written, so it differs from the same text without it")
