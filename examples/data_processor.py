"""Cleans and summarises tabular records (lists of dicts), as a small ETL step would."""

import csv
import io
import statistics
from typing import Dict, Iterable, List, Optional, Sequence

Record = Dict[str, str]


class ProcessingError(Exception):
    pass


def parse_csv(text: str, required: Sequence[str] = ()) -> List[Record]:
    """Parses CSV text with a header row; every required column must be present."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise ProcessingError("no header row")
    missing = [c for c in required if c not in reader.fieldnames]
    if missing:
        raise ProcessingError(f"missing columns: {', '.join(missing)}")
    return [dict(row) for row in reader]


def normalize_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        return ""
    return cleaned.title()


def to_number(value: str) -> Optional[float]:
    value = value.strip().replace(",", ".")
    if value in ("", "-", "n/a", "N/A"):
        return None
    try:
        return float(value)
    except ValueError:
        raise ProcessingError(f"not a number: {value!r}") from None


def clean(records: Iterable[Record], numeric: Sequence[str] = ()) -> List[Dict[str, object]]:
    result: List[Dict[str, object]] = []
    for record in records:
        row: Dict[str, object] = {}
        for key, value in record.items():
            if key in numeric:
                row[key] = to_number(value or "")
            elif key == "name":
                row[key] = normalize_name(value or "")
            else:
                row[key] = (value or "").strip()
        result.append(row)
    return result


def summarize(values: Iterable[Optional[float]]) -> Dict[str, float]:
    present = [v for v in values if v is not None]
    if not present:
        raise ProcessingError("no values to summarize")
    summary = {"count": float(len(present)), "min": min(present), "max": max(present), "mean": statistics.fmean(present)}
    if len(present) > 1:
        summary["stdev"] = statistics.stdev(present)
    return summary


def group_by(records: Iterable[Dict[str, object]], key: str) -> Dict[str, List[Dict[str, object]]]:
    groups: Dict[str, List[Dict[str, object]]] = {}
    for record in records:
        if key not in record:
            raise ProcessingError(f"record without {key!r}")
        groups.setdefault(str(record[key]), []).append(record)
    return groups


def deduplicate(records: List[Dict[str, object]], keys: Sequence[str]) -> List[Dict[str, object]]:
    seen = set()
    unique = []
    for record in records:
        identity = tuple(record.get(k) for k in keys)
        if identity in seen:
            continue
        seen.add(identity)
        unique.append(record)
    return unique
