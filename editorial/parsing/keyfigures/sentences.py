"""Text cut into sentences, and a sentence normalised for the number patterns."""

from __future__ import annotations

import re

from editorial.parsing.normalise import fullwidth_to_ascii

_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*")


def split_sentences(text: str) -> list[tuple[int, str, bool]]:
    """(offset, sentence, starts_new_paragraph) for every non-blank sentence."""
    out: list[tuple[int, str, bool]] = []
    pos = 0
    bounds = [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    for end in bounds:
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((pos + lead, stripped, "\n" in chunk[:lead] or pos == 0))
        pos = end
    return out


# Full-width punctuation that matters inside numbers; normalise.py leaves it alone on purpose.
_NUMERIC_PUNCT = str.maketrans({"．": ".", "％": "%", "－": "-", "−": "-", "～": "~"})
_WHITESPACE = re.compile(r"\s+")


def normalise(sentence: str) -> str:
    """ASCII digits and number punctuation; whitespace dropped unless it separates Latin words.

    Spaces and line breaks inside a sentence are PDF artefacts (``同比增长\\n12.6%``).
    """
    text = fullwidth_to_ascii(sentence).translate(_NUMERIC_PUNCT)

    def squeeze(m: re.Match[str]) -> str:
        pair = text[m.start() - 1 : m.start()] + text[m.end() : m.end() + 1]
        # "AI PC", "APP 2300余款": the space keeps a Latin word off the number or word after it.
        latin = len(pair) == 2 and pair.isascii() and pair.isalnum() and not pair.isdigit()
        return " " if latin else ""

    return _WHITESPACE.sub(squeeze, text)
