"""The two CSV readers agree: pandas' C reader on files whose records are single lines (the fast path, chunked
into Arrow strings), and the csv module record by record (every other file). Same cells, same line numbers,
same shape reasons, same header line; and the fast path steps aside whenever a record may span lines."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.ingest import read as R

from tests.ingest.helpers import HEADER, ROWS


def _slow(text: str, delimiter: str) -> R.RawTable:
    records, starts, ends = R._csv_records(text, delimiter, "f.csv")
    table = R.to_table(records, starts, "f.csv", "csv")
    R.check_quoting(text, records, starts, ends, table, delimiter)
    return table


def _fast(text: str, delimiter: str) -> R.RawTable | None:
    data = text.encode("utf-8")
    stats = R.line_stats(data, delimiter)
    return None if stats is None else R._fast_table(data, "utf-8", delimiter, "f.csv", stats, None)


def _same(a: R.RawTable, b: R.RawTable) -> None:
    assert a.header == b.header and a.header_line == b.header_line and a.preamble == b.preamble
    assert a.line.tolist() == b.line.tolist()
    pd.testing.assert_frame_equal(a.rows.astype(str).reset_index(drop=True), b.rows.astype(str).reset_index(drop=True))


CASES = {
    "plain": "a;b;c\r\n1;2;3\r\n4;5;6\r\n",
    "title_blank_lines": "Extraction au 30/06/2025\r\n\r\na;b;c\r\n;;\r\n1;2;3\r\n \r\n4;5;6",
    "short_and_long_rows": "a;b;c\n1;2\n1;2;3;4\n5;6;7\n",
    "repeated_header": "a;b;c\n1;2;3\na;b;c\n4;5;6\n",
    "quoted_delimiters": 'a;b;c\n"x;y";2;3\n"p""q";"";6\n',
    "all_quoted": '"a","b","c"\r\n"1","2,5","3"\r\n',
    "bare_cr": "a|b|c\r1|2|3\r4|5|6\r",
    "tab": "a\tb\tc\n1\t2\t3\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_and_slow_readers_agree(case):
    text = CASES[case]
    delimiter = R.sniff_delimiter(text)
    fast = _fast(text, delimiter)
    assert fast is not None, "these files have single-line records: the fast path must take them"
    _same(fast, _slow(text, delimiter))


@pytest.mark.parametrize("text", [
    'a;b;c\n1;"two\nlines";3\n',     # a legitimate quoted line break
    'a;b;c\n1;"DURAND;3\n4;5;6\n',   # a stray quote
    'a;b;c\n1;ab"c;3\n',             # a quote inside a field: literal for the csv module
])
def test_the_fast_path_steps_aside_when_a_record_may_span_lines(text):
    assert R.line_stats(text.encode("utf-8"), ";") is None


CELL = st.text(st.characters(blacklist_characters=';"\r\n', blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=15),
       quote=st.booleans(), newline=st.sampled_from(["\n", "\r\n"]))
def test_readers_agree_on_any_single_line_file(rows, quote, newline):
    def cell(c: str) -> str:
        return f'"{c}"' if quote else c

    text = newline.join([";".join(["a", "b", "c"])] + [";".join(map(cell, r)) for r in rows]) + newline
    if R.line_stats(text.encode("utf-8"), ";") is None:
        return
    try:
        slow = _slow(text, ";")
    except R.ExtractRejected as err:
        with pytest.raises(R.ExtractRejected):
            _fast(text, ";")
        assert str(err)
        return
    _same(_fast(text, ";"), slow)


def test_a_million_line_extract_is_not_held_as_python_strings():
    """The fast path stores cells as Arrow strings (bytes in one buffer), not one Python object each."""
    text = ";".join(HEADER) + "\n" + "\n".join(";".join(r) for r in ROWS * 2000) + "\n"
    table = _fast(text, ";")
    assert table is not None and len(table.rows) == len(ROWS) * 2000
    assert all(str(table.rows[h].dtype) == "string" and table.rows[h].array.__class__.__name__.startswith("Arrow")
               for h in table.header)
