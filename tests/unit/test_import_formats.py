"""Reading uploaded tables and writing downloads: encodings, escaping, typed cells."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.utils import translation

from editorial.tables.cells import parse_date, parse_decimal
from editorial.tables.formats import (
    CSVImportFormat,
    ExcelCSVExportFormat,
    TypedXLSXExportFormat,
    XLSXImportFormat,
)
from editorial.tables.reading import ImportFileRefused, decode_csv_bytes, read_csv_table
from editorial.tables.writing import csv_cell, escape_formula, stream_csv, write_xlsx


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


TABLE = "指标,期间,数值\n软件业务收入,1—11月,65360\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TABLE.encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbf" + TABLE.encode("utf-8"), "utf-8-sig"),
        (TABLE.encode("gb18030"), "gb18030"),
        (TABLE.encode("gbk"), "gb18030"),
        (b"\x84\x31\x95\x33" + TABLE.encode("gb18030"), "gb18030"),  # GB18030's BOM
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "gb18030-bom"],
)
def test_csv_in_utf8_or_gb18030_decodes_to_the_same_text(data, encoding):
    text, used = decode_csv_bytes(data)
    assert text == TABLE
    assert used == encoding


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (b"PK\x03\x04rest-of-a-workbook", "xlsx"),
        (TABLE.encode("utf-16"), "UTF-16"),
        (b"name\n\x80\x80\xff\n", "GB18030"),
        ("名称\n\x01\x02\n".encode(), "control characters"),
    ],
    ids=["empty", "blank", "xlsx", "utf16", "neither", "controls"],
)
def test_unreadable_csv_is_refused_with_advice(data, says):
    with pytest.raises(ImportFileRefused) as refused:
        decode_csv_bytes(data)
    assert says in str(refused.value)
    assert "UnicodeDecodeError" not in str(refused.value)


def test_import_format_reads_raw_bytes_into_a_dataset():
    fmt = CSVImportFormat()
    assert fmt.is_binary() and fmt.get_read_mode() == "rb"  # the admin passes bytes through
    dataset = fmt.create_dataset(TABLE.encode("gb18030"))
    assert dataset.headers == ["指标", "期间", "数值"]
    assert dataset.dict == [{"指标": "软件业务收入", "期间": "1—11月", "数值": "65360"}]
    assert not fmt.can_export()


def test_row_wider_than_the_header_is_refused():
    with pytest.raises(ImportFileRefused, match="more cells"):
        read_csv_table(b"a,b\n1,2,3\n")


def test_xlsx_format_refuses_a_csv_file_and_a_broken_workbook():
    with pytest.raises(ImportFileRefused, match="not an Excel"):
        XLSXImportFormat().create_dataset(b"a,b\n1,2\n")
    with pytest.raises(ImportFileRefused, match="damaged"):
        XLSXImportFormat().create_dataset(b"PK\x03\x04 not really a zip")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3.5", "-3.5"),
        ("+12%", "+12%"),
        ("同比增长-3.5%", "同比增长-3.5%"),
        ("", ""),
    ],
)
def test_formula_cells_are_escaped_and_numbers_are_not(cell, expected):
    assert escape_formula(cell) == expected


def test_csv_cells_are_plain():
    assert csv_cell(Decimal("65360.0000")) == "65360"
    assert csv_cell(Decimal("-3.50")) == "-3.5"
    assert csv_cell(Decimal("1E+4")) == "10000"
    assert csv_cell(date(2020, 12, 31)) == "2020-12-31"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "1"
    assert csv_cell("=1+1") == "'=1+1"


def test_streamed_csv_has_a_bom_keeps_chinese_and_escapes_formulas():
    rows = [("软件业务收入", Decimal("65360.0000"), "=HYPERLINK(\"x\")") for _ in range(5000)]
    chunks = list(stream_csv(headers=["指标", "数值", "句子"], rows=rows))
    assert len(chunks) > 1  # written in pieces, not at once
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == ["指标", "数值", "句子"]
    assert parsed[1] == ["软件业务收入", "65360", "'=HYPERLINK(\"x\")"]
    assert len(parsed) == 5001


def test_xlsx_keeps_numbers_and_dates_typed_and_text_inert():
    buffer = io.BytesIO()
    rows = [("软件业务收入", Decimal("65360.5"), 12, date(2020, 11, 30), "=1+1", None, "a\x01b")]
    write_xlsx(buffer, headers=["指标", "数值", "期", "日期", "句子", "空", "控制"], rows=rows)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    header, row = list(sheet.iter_rows(values_only=False))
    assert [c.value for c in header][:2] == ["指标", "数值"]
    assert row[0].value == "软件业务收入"
    assert row[1].value == 65360.5 and row[1].data_type == "n"
    assert row[2].value == 12 and row[2].data_type == "n"
    assert row[3].value.date() == date(2020, 11, 30) and row[3].is_date
    assert row[4].value == "=1+1" and row[4].data_type == "s"  # a string, not a formula
    assert row[5].value is None
    assert row[6].value == "a\ufffdb"


def test_admin_export_formats_escape_csv_and_type_xlsx():
    dataset = tablib.Dataset(headers=["name", "value"])
    dataset.append(["=cmd|' /C calc'!A0", "-3.5"])
    text = ExcelCSVExportFormat().export_data(dataset)
    assert text.splitlines()[1] == "'=cmd|' /C calc'!A0,-3.5"

    typed = tablib.Dataset(headers=["name", "value"])
    typed.append(["软件", Decimal("1.25")])
    sheet = openpyxl.load_workbook(io.BytesIO(TypedXLSXExportFormat().export_data(typed))).active
    assert sheet["B2"].value == 1.25


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("65,360", Decimal("65360")),
        ("１２.５", Decimal("12.5")),
        ("12.5%", Decimal("12.5")),
        (" -3.2 ", Decimal("-3.2")),
        (7.0, Decimal("7.0")),
        ("", None),
        ("—", None),
    ],
)
def test_numbers_as_editors_type_them(text, number):
    assert parse_decimal(text) == number


def test_not_a_number_or_date_says_so():
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal("约六万")
    with pytest.raises(ValueError, match="2020-12-31"):
        parse_date("十二月")
    assert parse_date("2020年11月30日") == date(2020, 11, 30)
    assert parse_date("2020/11/30") == date(2020, 11, 30)
