"""Turn uploaded bulletin bytes into text, or say clearly why they cannot be read.

Bulletins arrive as UTF-8 (with or without BOM), GB18030/GBK from Chinese Windows tools
and occasionally UTF-16 (with a BOM, or without one when it reads as ordinary text). The rule is "never silently wrong": a decoding that
only succeeds by producing mojibake is refused rather than handed to the parser, because
an editor would otherwise import garbage that looks like text.
"""

from __future__ import annotations

import codecs
import unicodedata
from functools import lru_cache

from editorial.parsing.tree import BulletinParseError

# Checked longest first: the UTF-32 LE BOM starts with the UTF-16 LE BOM.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of files editors upload by mistake (images, archives, office files, PDF).
_BINARY_SIGNATURES = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF",
    b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
)

# Control characters that legitimately occur in extracted text: tab, line ends, and the
# form feed pdftotext puts between pages.
_TEXT_CONTROLS = frozenset("\t\n\r\x0b\x0c")

_GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "hz", "cp936"})

# In real GB-encoded Chinese almost every character is in GB2312; text decoded from
# Big5, Shift-JIS or Latin-1 bytes as GB18030 is full of rare and private-use characters.
_MAX_RARE_SHARE = 0.05


def decode_bulletin_bytes(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding_name)`` with line ends normalised to ``\\n``.

    Raises ``BulletinParseError`` with code ``empty``, ``binary`` or ``encoding``.
    """
    if not data.strip():
        raise BulletinParseError("The file is empty.", code="empty")
    text, encoding = _decode_with_bom(data) or _decode_without_bom(data)
    text = text.lstrip("\ufeff")  # a GB18030 "BOM" or a doubled UTF-8 one
    if not text.strip():
        raise BulletinParseError("The file holds only whitespace.", code="empty")
    _refuse_control_characters(text)
    _refuse_garbled(text, encoding)
    return normalise_line_ends(text), encoding


def normalise_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_with_bom(data: bytes) -> tuple[str, str] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise BulletinParseError(
                    f"The file starts with a {encoding} byte-order mark but is not valid "
                    f"{encoding} (byte {error.start}).",
                    code="encoding",
                ) from error
    return None


def _decode_without_bom(data: bytes) -> tuple[str, str]:
    utf16 = _decode_utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    _refuse_binary_bytes(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise BulletinParseError(
            f"The file is neither UTF-8 (bad byte at offset {utf8_error}) nor GB18030/GBK "
            f"(bad byte at offset {error.start}); save it as UTF-8 and upload it again.",
            code="encoding",
        ) from error
    if _looks_like_chinese(text) or _detector_agrees_on_gb(data):
        return text, "gb18030"
    raise BulletinParseError(
        "The file decodes as GB18030 only as garbled characters; it is probably in "
        "another encoding (Big5, Shift-JIS, Latin-1). Save it as UTF-8 and upload it again.",
        code="encoding",
    )


# Share of characters that must be ordinary text (CJK, its punctuation, printable ASCII,
# whitespace) before NUL-laden bytes are taken as UTF-16 without a byte-order mark.
_MIN_UTF16_TEXT_SHARE = 0.95


def _ordinary_text_share(text: str) -> float:
    if not text:
        return 0.0
    ordinary = sum(
        1
        for char in text
        if char in "\t\n\r\x0c"
        or " " <= char <= "~"
        or "\u3000" <= char <= "\u303f"
        or "\u4e00" <= char <= "\u9fff"
        or "\uff00" <= char <= "\uffef"
        or "\u2000" <= char <= "\u206f"
    )
    return ordinary / len(text)


def _decode_utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 saved without a byte-order mark (some Windows tools): every line end and
    ASCII character carries a NUL byte, which plain 8-bit text never has. Taken only
    when one byte order gives ordinary text throughout; anything else stays binary."""
    if b"\x00" not in data or len(data) % 2 or data.startswith(_BINARY_SIGNATURES):
        return None
    best: tuple[float, str, str] | None = None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        share = _ordinary_text_share(text)
        if share >= _MIN_UTF16_TEXT_SHARE and (best is None or share > best[0]):
            best = (share, text, encoding)
    return (best[1], best[2]) if best else None


def _refuse_binary_bytes(data: bytes) -> None:
    # Without a BOM, NUL bytes mean a binary file (BOM-less UTF-16 that reads as
    # ordinary text was taken before this).
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data:
        raise BulletinParseError("The file is not text (binary content).", code="binary")


def _refuse_control_characters(text: str) -> None:
    controls = sum(
        1 for char in text if unicodedata.category(char) == "Cc" and char not in _TEXT_CONTROLS
    )
    if controls > max(3, len(text) // 100):
        raise BulletinParseError(
            f"The file is not text ({controls} control characters).", code="binary"
        )


def _refuse_garbled(text: str, encoding: str) -> None:
    # Odd-length or random bytes behind a UTF-16 BOM still "decode", into unassigned and
    # private-use code points; real text has (almost) none.
    odd = sum(1 for char in text if unicodedata.category(char) in ("Cn", "Co", "Cs"))
    if odd > max(3, len(text) // 100):
        raise BulletinParseError(
            f"The file decodes as {encoding} only into {odd} unassigned characters; "
            "it is probably in another encoding.",
            code="encoding",
        )


def _looks_like_chinese(text: str) -> bool:
    non_ascii = [char for char in text if ord(char) > 0x7F]
    if not non_ascii:
        return True
    rare = sum(1 for char in non_ascii if not _in_gb2312(char))
    return rare / len(non_ascii) <= _MAX_RARE_SHARE


@lru_cache(maxsize=16384)
def _in_gb2312(char: str) -> bool:
    if unicodedata.category(char) == "Co":  # private use: never real text here
        return False
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _detector_agrees_on_gb(data: bytes) -> bool:
    """charset-normalizer as a tie-breaker for text full of rare characters."""
    # Loaded on the rare text that needs it: charset-normalizer takes ~0.05 s to import.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best is not None and best.encoding.replace("_", "").lower() in _GB_FAMILY
