"""The CSV reader on hostile exports: NUL bytes, U+2028, quoted newlines and quotes, BOM, CRLF, bad rows."""

import io

import pytest

from source_marketo.components.bulk.csv_rows import CsvFormatError, ExportRows


class Chunks(io.BufferedIOBase):
    """Serves the bytes in small chunks, so values straddle chunk borders."""

    def __init__(self, data: bytes, size: int = 7) -> None:
        self._chunks = [data[i : i + size] for i in range(0, len(data), size)]

    def readable(self):
        return True

    def read1(self, size=-1):
        return self._chunks.pop(0) if self._chunks else b""

    read = read1


def rows(data: bytes):
    reader = ExportRows(Chunks(data), "export e1")
    return reader.header, list(reader)


def test_given_quoted_newlines_quotes_and_commas_when_read_then_values_are_intact():
    header, body = rows(b'id,notes\n1,"line one\nline two"\n2,"say ""hi"", then go"\n3,null\n')
    assert header == ["id", "notes"]
    assert body == [["1", "line one\nline two"], ["2", 'say "hi", then go'], ["3", "null"]]


def test_given_unicode_line_separators_in_cjk_text_when_read_then_they_do_not_split_rows():
    text = "id,name\n1,東京\u2028大阪\u2029名古屋\n2,x\n"
    assert rows(text.encode())[1] == [["1", "東京\u2028大阪\u2029名古屋"], ["2", "x"]]


def test_given_a_bom_and_crlf_line_ends_when_read_then_header_and_rows_are_clean():
    assert rows(b"\xef\xbb\xbfid,email\r\n1,a@b.c\r\n") == (["id", "email"], [["1", "a@b.c"]])


def test_given_a_quoted_crlf_inside_a_value_when_read_then_it_is_kept():
    assert rows(b'id,notes\r\n1,"a\r\nb"\r\n')[1] == [["1", "a\r\nb"]]


def test_given_a_trailing_blank_line_when_read_then_it_is_ignored():
    assert rows(b"id\n1\n\n")[1] == [["1"]]


def test_given_a_row_with_too_few_columns_when_read_then_the_error_names_export_and_line():
    with pytest.raises(CsvFormatError, match=r"export e1: line 3 has 1 columns where the header has 2"):
        rows(b"id,email\n1,a@b.c\n2\n")


def test_given_a_bare_carriage_return_in_an_unquoted_value_when_read_then_a_clear_error():
    with pytest.raises(CsvFormatError, match="line 2 is not valid CSV"):
        rows(b"id,email\n1,a\rb\n")


def test_given_invalid_utf8_when_read_then_it_is_replaced_and_counted():
    reader = ExportRows(Chunks(b"id,name\n1,caf\xe9\n"), "e")
    assert list(reader) == [["1", "caf\ufffd"]] and reader.invalid_utf8 == 1


def test_given_an_empty_file_when_read_then_no_rows():
    assert rows(b"") == ([], [])
