"""Inventory reconciliation for warehouse stock counts.

Reads the expected stock levels exported from the ordering system and the
physical counts uploaded by warehouse staff, matches them by SKU and
location, and produces a report of discrepancies that exceed a tolerance.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path
from typing import Iterable, Iterator

log = logging.getLogger(__name__)

DEFAULT_TOLERANCE = Decimal("0.02")  # 2% of expected quantity
MIN_ABSOLUTE_DIFF = 3


class ReconcileError(Exception):
    """Raised when the input files cannot be reconciled at all."""


@dataclasses.dataclass(frozen=True)
class StockKey:
    sku: str
    location: str

    def __str__(self) -> str:
        return f"{self.sku}@{self.location}"


@dataclasses.dataclass
class StockLine:
    key: StockKey
    expected: int = 0
    counted: int | None = None
    unit_cost: Decimal = Decimal("0")
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def difference(self) -> int:
        if self.counted is None:
            return -self.expected
        return self.counted - self.expected

    @property
    def value_difference(self) -> Decimal:
        value = self.unit_cost * self.difference
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def exceeds(self, tolerance: Decimal) -> bool:
        diff = abs(self.difference)
        if diff < MIN_ABSOLUTE_DIFF:
            return False
        if self.expected == 0:
            return True
        return Decimal(diff) / Decimal(self.expected) > tolerance


def read_expected(path: Path) -> Iterator[StockLine]:
    """Yield expected stock lines from the ordering system's CSV export.

    The export uses a semicolon as the delimiter and a comma as the decimal
    separator, because it was configured for a German locale years ago and
    nobody wants to touch it.
    """
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        for lineno, row in enumerate(reader, start=2):
            try:
                key = StockKey(row["Artikelnummer"].strip(), row["Lagerort"].strip())
                expected = int(row["Bestand"])
                cost = Decimal(row["Einstandspreis"].replace(".", "").replace(",", "."))
            except (KeyError, ValueError, ArithmeticError) as exc:
                raise ReconcileError(f"{path}:{lineno}: bad row: {exc}") from exc
            yield StockLine(key=key, expected=expected, unit_cost=cost)


def read_counts(paths: Iterable[Path]) -> dict[StockKey, int]:
    """Sum physical counts from one or more count sheets.

    The same SKU and location may appear on several sheets when a location
    was counted by more than one person; the counts are added together.
    """
    totals: dict[StockKey, int] = defaultdict(int)
    for path in paths:
        with path.open(newline="", encoding="utf-8") as fh:
            for lineno, row in enumerate(csv.reader(fh), start=1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 3:
                    log.warning("%s:%d: expected 3 columns, got %d", path, lineno, len(row))
                    continue
                sku, location, qty = (cell.strip() for cell in row[:3])
                try:
                    totals[StockKey(sku, location)] += int(qty)
                except ValueError:
                    log.warning("%s:%d: ignoring non-numeric quantity %r", path, lineno, qty)
    return dict(totals)


def reconcile(
    expected: Iterable[StockLine],
    counts: dict[StockKey, int],
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> list[StockLine]:
    lines: dict[StockKey, StockLine] = {}
    for line in expected:
        if line.key in lines:
            lines[line.key].expected += line.expected
            lines[line.key].notes.append("duplicate row in export")
        else:
            lines[line.key] = line

    for key, qty in counts.items():
        line = lines.get(key)
        if line is None:
            line = StockLine(key=key, notes=["not in export"])
            lines[key] = line
        line.counted = qty

    flagged = [line for line in lines.values() if line.exceeds(tolerance)]
    flagged.sort(key=lambda l: (abs(l.value_difference), str(l.key)), reverse=True)
    return flagged


def write_report(lines: list[StockLine], path: Path, *, when: dt.date | None = None) -> None:
    when = when or dt.date.today()
    total = sum((l.value_difference for l in lines), Decimal("0"))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["# Reconciliation report", when.isoformat()])
        writer.writerow(["sku", "location", "expected", "counted", "difference", "value", "notes"])
        for line in lines:
            writer.writerow(
                [
                    line.key.sku,
                    line.key.location,
                    line.expected,
                    "" if line.counted is None else line.counted,
                    line.difference,
                    f"{line.value_difference:.2f}",
                    "; ".join(line.notes),
                ]
            )
        writer.writerow([])
        writer.writerow(["total value difference", "", "", "", "", f"{total:.2f}", ""])
    log.info("wrote %d flagged lines to %s (total %s)", len(lines), path, total)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="CSV export from the ordering system")
    parser.add_argument("counts", type=Path, nargs="+", help="count sheets")
    parser.add_argument("-o", "--output", type=Path, default=Path("report.csv"))
    parser.add_argument(
        "-t",
        "--tolerance",
        type=Decimal,
        default=DEFAULT_TOLERANCE,
        help="relative tolerance, e.g. 0.05 for 5%% (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-8s %(message)s",
    )
    try:
        expected = list(read_expected(args.export))
        counts = read_counts(args.counts)
        flagged = reconcile(expected, counts, args.tolerance)
    except ReconcileError as exc:
        log.error("%s", exc)
        return 2
    write_report(flagged, args.output)
    return 1 if flagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
