"""decode_bulletin_bytes: every encoding editors send, and clear refusals for the rest."""

import codecs
import zlib

import pytest

from editorial.parsing.encoding import decode_bulletin_bytes
from editorial.parsing.tree import BulletinParseError

TEXT = " 产业环境 \n\n工信部发布 12 项 AI 标准\n\n12月1日，收入累计完成12451亿元，同比增长3.5%。\n"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("gbk"), "gb18030"),
    ],
)
def test_decodes_every_encoding_editors_send(data, encoding):
    assert decode_bulletin_bytes(data) == (TEXT, encoding)


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])
def test_line_ends_become_newlines(line_end):
    text, _ = decode_bulletin_bytes(TEXT.replace("\n", line_end).encode("gb18030"))
    assert text == TEXT


def test_gb18030_with_rare_but_real_characters_is_accepted():
    # Names with characters outside GB2312 (堃, 喆, 赟) are real text, not mojibake.
    text = "海川科技董事长王堃表示，" * 3 + "副总裁李喆、张赟出席。" + "收入增长。" * 40
    assert decode_bulletin_bytes(text.encode("gb18030")) == (text, "gb18030")


def test_ascii_only_text_is_utf8():
    assert decode_bulletin_bytes(b"Page 1\nHello") == ("Page 1\nHello", "utf-8")


@pytest.mark.parametrize("data", [b"", b"   ", b" \n\t\r\n  \n", codecs.BOM_UTF8 + b" \n"])
def test_empty_input(data):
    with pytest.raises(BulletinParseError) as caught:
        decode_bulletin_bytes(data)
    assert caught.value.code == "empty"


def test_whitespace_only_utf16_is_empty():
    with pytest.raises(BulletinParseError) as caught:
        decode_bulletin_bytes(codecs.BOM_UTF16_LE + " \n \n".encode("utf-16-le"))
    assert caught.value.code == "empty"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + zlib.compress(TEXT.encode() * 20)


@pytest.mark.parametrize(
    "data",
    [
        PNG,
        ZIP,
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n\x00\x01\x02",
        b"some text\x00with a NUL byte",
        bytes(range(1, 32)) * 10,  # control characters that happen to be valid UTF-8
        "正文".encode() + b"\x01\x02\x03\x04\x05\x06\x07",
    ],
)
def test_binary_junk_is_refused(data):
    with pytest.raises(BulletinParseError) as caught:
        decode_bulletin_bytes(data)
    assert caught.value.code == "binary"


@pytest.mark.parametrize(
    "data",
    [
        b"caf\xe9 au lait \x80\x80 cr\xe8me",  # Latin-1: neither UTF-8 nor GB18030
        "資訊產業監測：營運競爭與技術情報，收入累計完成。".encode("big5") * 5,  # mojibake as GBK
        "情報通信白書：携帯電話の契約数は増加した。".encode("shift_jis") * 5,
        codecs.BOM_UTF8 + b"\xff\xfe bad",  # a BOM that lies
        codecs.BOM_UTF16_LE + bytes(range(0xD8, 0xE0)) * 4,  # lone surrogates
    ],
)
def test_undecodable_bytes_are_refused_not_guessed(data):
    with pytest.raises(BulletinParseError) as caught:
        decode_bulletin_bytes(data)
    assert caught.value.code == "encoding"
    assert str(caught.value)  # an English message for logs


def test_utf8_with_one_corrupt_byte_is_refused_with_its_offset():
    data = ("12月1日，工业和信息化部发布12项行业标准。" * 50).encode("utf-8")
    corrupt = data[:301] + b"\xff" + data[301:]
    with pytest.raises(BulletinParseError, match="UTF-8 \\(bad byte at offset 301\\)") as caught:
        decode_bulletin_bytes(corrupt)
    assert caught.value.code == "encoding"


def test_bom_is_not_part_of_the_text():
    text, _ = decode_bulletin_bytes(codecs.BOM_UTF8 + codecs.BOM_UTF8 + "正文".encode())
    assert text == "正文"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised(encoding):
    text = "信息产业监测\n2020年第48期\n产业环境\n工信部发布数据中心发展指引（2020）。\n"
    decoded, name = decode_bulletin_bytes(text.encode(encoding))
    assert decoded == text and name == encoding


def test_nul_laden_junk_is_still_binary():
    with pytest.raises(BulletinParseError) as refused:
        decode_bulletin_bytes(bytes(range(256)) * 8)
    assert refused.value.code == "binary"
