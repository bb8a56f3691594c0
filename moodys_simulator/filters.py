"""The platform search grammar (contract §1.8): ``prop op value`` joined by AND / OR, with
``IN``/``NOT IN`` lists, ``LIKE`` (``*`` and ``%`` wildcards), ``IS [NOT] NULL`` and parentheses.
Keywords and property names are case-insensitive; values may be double- or single-quoted, numbers
or bare words (``true``/``false`` compare with booleans)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]

TOKEN = re.compile(
    r"""\s*(?:
        (?P<dq>"(?:[^"\\]|\\.)*")
      | (?P<sq>'[^']*')
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),])
      | (?P<word>[^\s=!<>(),"']+)
    )""",
    re.VERBOSE,
)


class FilterError(ValueError):
    """The filter does not parse or names an unknown property (the API answers 400)."""


@dataclass(frozen=True)
class Literal:
    value: str
    quoted: bool

    def matches(self, actual: Any) -> bool:
        if actual is None:
            return False
        if isinstance(actual, bool):
            return self.value.lower() == str(actual).lower()
        if not self.quoted and isinstance(actual, int | float):
            try:
                return float(self.value) == float(actual)
            except ValueError:
                return False
        return str(actual) == self.value

    def compare(self, actual: Any) -> float | str | None:
        """``actual - self`` as a sign for ordering operators (numbers numerically, else text)."""
        if actual is None:
            return None
        try:
            return float(actual) - float(self.value)
        except (TypeError, ValueError):
            text = str(actual)
            return 0.0 if text == self.value else (1.0 if text > self.value else -1.0)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FilterError(f"Invalid filter near: {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


class Parser:
    def __init__(self, text: str, properties: Iterable[str]) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.properties = {name.lower(): name for name in properties}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterError("Unexpected end of filter")
        self.index += 1
        return token

    def keyword(self, *words: str) -> bool:
        """Consume the keywords ``words`` if they come next."""
        end = self.index + len(words)
        candidate = self.tokens[self.index : end]
        if len(candidate) == len(words) and all(
            kind == "word" and value.upper() == word for (kind, value), word in zip(candidate, words, strict=True)
        ):
            self.index = end
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self.expression()
        if self.peek() is not None:
            raise FilterError(f"Unexpected token {self.peek()[1]!r}")  # type: ignore[index]
        return predicate

    def expression(self) -> Predicate:
        terms = [self.term()]
        while self.keyword("OR"):
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else (lambda row: any(term(row) for term in terms))

    def term(self) -> Predicate:
        conditions = [self.condition()]
        while self.keyword("AND"):
            conditions.append(self.condition())
        return conditions[0] if len(conditions) == 1 else (lambda row: all(c(row) for c in conditions))

    def literal(self) -> Literal:
        kind, value = self.take()
        if kind == "dq":
            return Literal(json.loads(value), True)
        if kind == "sq":
            return Literal(value[1:-1], True)
        if kind == "word":
            return Literal(value, False)
        raise FilterError(f"Expected a value, got {value!r}")

    def literal_list(self) -> list[Literal]:
        if self.take() != ("punct", "("):
            raise FilterError("Expected '(' after IN")
        values = [self.literal()]
        while self.peek() == ("punct", ","):
            self.take()
            values.append(self.literal())
        if self.take() != ("punct", ")"):
            raise FilterError("Expected ')' closing IN list")
        return values

    def condition(self) -> Predicate:
        if self.peek() == ("punct", "("):
            self.take()
            inner = self.expression()
            if self.take() != ("punct", ")"):
                raise FilterError("Expected ')'")
            return inner
        kind, name = self.take()
        if kind != "word":
            raise FilterError(f"Expected a property name, got {name!r}")
        prop = self.properties.get(name.lower())
        if prop is None:
            raise FilterError(f"Unknown filter property '{name}'")
        return self.operation(prop)

    def operation(self, prop: str) -> Predicate:
        if self.keyword("IS", "NOT", "NULL"):
            return lambda row: row.get(prop) not in (None, "")
        if self.keyword("IS", "NULL"):
            return lambda row: row.get(prop) in (None, "")
        for words, negate in ((("NOT", "IN"), True), (("IN",), False)):
            if self.keyword(*words):
                values = self.literal_list()
                return lambda row: negate != any(value.matches(row.get(prop)) for value in values)
        for words, negate in ((("NOT", "LIKE"), True), (("LIKE",), False)):
            if self.keyword(*words):
                pattern = self.literal().value
                regex = re.compile(
                    "^" + "".join(".*" if ch in "*%" else re.escape(ch) for ch in pattern) + "$",
                    re.IGNORECASE,
                )
                return lambda row: negate != bool(row.get(prop) is not None and regex.match(str(row.get(prop))))
        kind, op = self.take()
        if kind != "op":
            raise FilterError(f"Expected an operator after '{prop}', got {op!r}")
        value = self.literal()
        if op == "=":
            return lambda row: value.matches(row.get(prop))
        if op == "!=":
            return lambda row: not value.matches(row.get(prop))
        checks: dict[str, Callable[[float], bool]] = {
            ">": lambda d: d > 0,
            "<": lambda d: d < 0,
            ">=": lambda d: d >= 0,
            "<=": lambda d: d <= 0,
        }
        check = checks[op]

        def ordered(row: Row) -> bool:
            difference = value.compare(row.get(prop))
            return difference is not None and check(float(difference))

        return ordered


def compile_filter(text: str | None, properties: Iterable[str]) -> Predicate:
    """A row predicate for ``text`` (None/empty: everything)."""
    if not text or not text.strip():
        return lambda row: True
    return Parser(text, properties).parse()
