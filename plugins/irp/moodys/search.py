"""Moody's search filters and pagination (contract §1.8).

Filters use the platform grammar: ``property op value`` joined by ``AND``; strings are
double-quoted with JSON escaping, ``IN`` lists are parenthesised. Long name lists are split into
chunks of :data:`IN_CHUNK_SIZE` names (the framework's batch size) and further if the rendered
filter would exceed :data:`MAX_FILTER_CHARS`, to stay under the gateway's header-size limit
(431 above about 4,870 characters of query string).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from irp.moodys.errors import MoodysProtocolError

IN_CHUNK_SIZE = 25
MAX_FILTER_CHARS = 4000
DEFAULT_PAGE_SIZE = 100
MAX_PAGES = 1000


def quote(value: str) -> str:
    """A string literal of the filter grammar (JSON-escaped, double quotes)."""
    return json.dumps(str(value))


def eq(prop: str, value: str | int) -> str:
    return f"{prop} = {value}" if isinstance(value, int) else f"{prop} = {quote(value)}"


def in_(prop: str, values: Iterable[str]) -> str:
    return f"{prop} IN ({', '.join(quote(value) for value in values)})"


def like_prefix(prop: str, prefix: str) -> str:
    return f"{prop} LIKE {quote(prefix + '*')}"


def and_(*clauses: str) -> str:
    return " AND ".join(clause for clause in clauses if clause)


def unique(values: Iterable[Any]) -> list[str]:
    """Distinct non-empty names as text, first occurrence order."""
    seen: dict[str, None] = {}
    for value in values:
        if value is not None and str(value).strip():
            seen.setdefault(str(value), None)
    return list(seen)


def chunk_names(
    names: Sequence[str], render: Callable[[Sequence[str]], str], size: int = IN_CHUNK_SIZE
) -> Iterator[list[str]]:
    """Chunks of at most ``size`` names whose rendered filter stays under :data:`MAX_FILTER_CHARS`."""
    chunk: list[str] = []
    for name in names:
        candidate = [*chunk, name]
        if chunk and (len(candidate) > size or len(render(candidate)) > MAX_FILTER_CHARS):
            yield chunk
            candidate = [name]
        chunk = candidate
    if chunk:
        yield chunk


def paginate(
    fetch_page: Callable[[int, int], list[Any]], limit: int = DEFAULT_PAGE_SIZE, what: str = "search"
) -> list[Any]:
    """Walk ``fetch_page(limit, offset)`` until a short or empty page (0.12.0 algorithm).

    A page longer than ``limit`` means the server ignored paging: it is the whole result. A page
    identical to an earlier one, or more than :data:`MAX_PAGES` full pages, is an error rather than
    an endless loop.
    """
    rows: list[Any] = []
    seen: set[str] = set()
    for page_number in range(MAX_PAGES + 1):
        page = fetch_page(limit, page_number * limit)
        if len(page) > limit:
            return page if not rows else rows + page
        if page:
            digest = hashlib.sha256(json.dumps(page, sort_keys=True, default=str).encode()).hexdigest()
            if digest in seen:
                raise MoodysProtocolError(f"Moody's {what} returned the same page twice (offset ignored?)")
            seen.add(digest)
        rows.extend(page)
        if len(page) < limit:
            return rows
    raise MoodysProtocolError(f"Moody's {what} returned more than {MAX_PAGES} full pages")
