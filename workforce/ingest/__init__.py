"""Import of HR extracts (French SIRH exports): one module per stage, in the order the data flows.

read.py       bytes -> text table (encoding, delimiter, header line, records that do not fit)
mapping.py    headers -> canonical columns (presets in data/mappings/), personal columns dropped
parse.py      text -> exact dtypes (dates, numbers, value synonyms), unreadable cells remembered
validate.py   row checks (pandera) and the métier check against the référentiel; split, never drop
movements.py  arrivals, departures, internal changes between consecutive snapshots
quality.py    the quality report stored with each import
pipeline.py   the import in one transaction (`import_extract`), and reading reports back

Glossary of the French domain words: `workforce.ingest.columns`.
"""

from workforce.ingest.pipeline import ImportResult, find_extract, import_extract, prepare, quality_report
from workforce.ingest.read import ExtractRejected

__all__ = ["ExtractRejected", "ImportResult", "find_extract", "import_extract", "prepare", "quality_report"]
