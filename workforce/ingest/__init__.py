"""Import of HR extracts (French SIRH exports): one module per stage, in the order the data flows.

errors.py     the error of a file refused as a whole
read.py       bytes -> text table (encoding, delimiter, header line, records that do not fit; a stray quote refused)
xlsx.py       a workbook -> text records (zip checked before parsing, one visible sheet)
mapping.py    headers -> canonical columns (presets in data/mappings/), personal columns dropped
parse.py      text -> exact dtypes (dates, numbers, value synonyms), unreadable cells remembered
validate.py   row checks (pandera) and the métier check against the référentiel; split, never drop
movements.py  arrivals, departures, internal changes between consecutive snapshots
quality.py    the quality report stored with each import
pipeline.py   the import in one transaction (`import_extract`), under the import lock
extracts.py   the extracts stored: find, list, delete (a mistyped date), movements computed again

Glossary of the French domain words: `workforce.ingest.columns`.
"""

from workforce.ingest.errors import ExtractRejected
from workforce.ingest.extracts import delete_extract, find_extract, list_extracts, quality_report
from workforce.ingest.pipeline import ImportResult, import_extract, prepare

__all__ = ["ExtractRejected", "ImportResult", "delete_extract", "find_extract", "import_extract", "list_extracts",
           "prepare", "quality_report"]
