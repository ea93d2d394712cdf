"""Dates with an explicit precision.

Sources say "13 Dec 2023", "June 2023", "end-2025", "2024-25". Records give
``2023-12-13`` (day), ``2023-06`` (month), ``2026-Q4`` (quarter), ``2024-H2`` (half-year),
``FY2024-25`` (a Hong Kong Government financial year: 1 April 2024 to 31 March 2025) or
``2025`` (year); "2024-25" alone would read as a month, hence the ``FY``. Each becomes an
``xsd:date`` at the start of the period plus the period's last day and an OWL-Time unit,
because rdflib compares ``xsd:gYearMonth`` values wrongly (see DESIGN.md).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from rdflib.namespace import TIME
from rdflib.term import URIRef

from graph.namespaces import HKSC

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_FINANCIAL_YEAR = re.compile(r"^FY(\d{4})-(\d{2})$")

HALF_YEAR = HKSC.unitHalfYear
FINANCIAL_YEAR = HKSC.unitFinancialYear


@dataclass(frozen=True)
class PreciseDate:
    start: date
    end: date
    precision: URIRef  # time:unitDay, time:unitMonth, ..., time:unitYear
    text: str


def parse_date(text: str) -> PreciseDate:
    """Parse a record date; raises ValueError naming the accepted forms."""
    s = str(text).strip()
    try:
        if m := _DAY.match(s):
            d = date(int(m[1]), int(m[2]), int(m[3]))
            return PreciseDate(d, d, TIME.unitDay, s)
        if m := _MONTH.match(s):
            y, mo = int(m[1]), int(m[2])
            last = calendar.monthrange(y, mo)[1]
            return PreciseDate(date(y, mo, 1), date(y, mo, last), TIME.unitMonth, s)
        if m := _QUARTER.match(s):
            y, q = int(m[1]), int(m[2])
            first = 3 * (q - 1) + 1
            last_month = first + 2
            return PreciseDate(
                date(y, first, 1),
                date(y, last_month, calendar.monthrange(y, last_month)[1]),
                URIRef(str(TIME) + "unitQuarter"),
                s,
            )
        if m := _HALF.match(s):
            y, h = int(m[1]), int(m[2])
            return PreciseDate(
                date(y, 1 if h == 1 else 7, 1), date(y, 6 if h == 1 else 12, 30 if h == 1 else 31),
                HALF_YEAR, s,
            )
        if m := _FINANCIAL_YEAR.match(s):
            y = int(m[1])
            if int(m[2]) != (y + 1) % 100:
                raise ValueError(f"the second year of FY{m[1]}-.. must be {(y + 1) % 100:02d}")
            return PreciseDate(date(y, 4, 1), date(y + 1, 3, 31), FINANCIAL_YEAR, s)
        if m := _YEAR.match(s):
            y = int(m[1])
            return PreciseDate(date(y, 1, 1), date(y, 12, 31), TIME.unitYear, s)
    except ValueError as exc:
        raise ValueError(f"invalid date {s!r}: {exc}") from exc
    raise ValueError(
        f"unparseable date {s!r}: expected YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY-Hn, FY<YYYY>-<YY> "
        "(financial year, April to March) or YYYY"
    )
