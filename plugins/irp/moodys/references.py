"""What Moody's answered to look-ups by name, kept to answer them again without a request.

A batch's ``prepare`` validates its entities with batch searches (one ``IN`` search per chunk of
names) and then rehearses each job's submission up to its first write (:func:`rehearse`): every
look-up a job's submission makes is answered there, mostly from what validation found, and each
job task is handed the answers its own look-ups used. Its first try then only writes: per job,
the EDM, portfolio, profile, scheme, currency and member searches are made once per batch instead
of once per job. A retry or a clear looks everything up afresh (Moody's may have changed since).

Only what exists is kept: an empty answer ("not found") is asked again, so a job never acts on an
absence it did not see itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

#: One answer: the rows Moody's returned (a JSON object is kept as a one-row list).
Rows = list[Any]
#: Largest answer (characters of JSON) handed on to a job task.
LARGEST_HANDED_ON = 32_768


class Kind(StrEnum):
    """What a look-up asks for; with its key (names, ids) it names one answer."""

    SERVER = "server"
    EDM = "edm"
    PORTFOLIO = "portfolio"
    ACCOUNTS = "accounts"
    CEDANTS = "cedants"
    LOBS = "lobs"
    TREATY = "treaty"
    ANALYSIS = "analysis"
    GROUP = "group"
    ANALYSIS_REGIONS = "analysis-regions"
    MODEL_PROFILE = "model-profile"
    OUTPUT_PROFILE = "output-profile"
    EVENT_RATE_SCHEME = "event-rate-scheme"
    REFERENCE_TABLE = "reference-table"
    CURRENCY = "currency"
    CURRENCY_VINTAGES = "currency-vintages"
    RDM = "rdm"


class References:
    """Answers by (kind, key); :meth:`tracking` collects the ones a block of code used."""

    def __init__(self, answers: Mapping[str, Rows] | None = None) -> None:
        self._answers: dict[str, Rows] = dict(answers or {})
        self._used: list[set[str]] = []

    @staticmethod
    def name(kind: Kind, *key: Any) -> str:
        """The name of an answer (its JSON key)."""
        return json.dumps([kind.value, *(str(part) for part in key)])

    def get(self, kind: Kind, *key: Any) -> Rows | None:
        name = self.name(kind, *key)
        rows = self._answers.get(name)
        if rows is not None:
            self._use(name)
        return rows

    def put(self, kind: Kind, *key: Any, rows: Rows) -> None:
        """Keep a non-empty answer (an empty one is not kept: absence is always asked again)."""
        if rows:
            name = self.name(kind, *key)
            self._answers[name] = list(rows)
            self._use(name)

    def answer(self, kind: Kind, key: tuple[Any, ...], fetch: Callable[[], Rows]) -> Rows:
        """The kept answer, else Moody's answer (kept when not empty)."""
        rows = self.get(kind, *key)
        if rows is None:
            rows = fetch()
            self.put(kind, *key, rows=rows)
        return rows

    def forget(self) -> None:
        """Drop every answer (after deleting entities, what was found may be gone)."""
        self._answers.clear()

    def _use(self, name: str) -> None:
        for used in self._used:
            used.add(name)

    @contextmanager
    def tracking(self) -> Iterator[set[str]]:
        """The names of the answers used (read or kept) inside the block."""
        used: set[str] = set()
        self._used.append(used)
        try:
            yield used
        finally:
            self._used.remove(used)

    def subset(self, names: set[str]) -> dict[str, Rows]:
        """The answers named, as JSON (a job task's ``references``); one larger than
        :data:`LARGEST_HANDED_ON` (a whole reference table) is left for the job to ask again: it
        would ride in every job's XCom."""
        return {
            name: rows
            for name in sorted(names)
            if (rows := self._answers.get(name)) is not None and len(json.dumps(rows)) <= LARGEST_HANDED_ON
        }

    def __len__(self) -> int:
        return len(self._answers)
