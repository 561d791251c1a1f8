"""Read the study definition's TOML files; errors name the file, the key, what it got and what
it expected. Pure: no Flask, no SQLAlchemy."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any


class StudyDefinitionError(ValueError):
    """A file in forms/ is missing, unreadable or holds a value of the wrong kind."""

    def __init__(self, file: str, key: str, got: Any, expected: str) -> None:
        self.file, self.key, self.got, self.expected = file, key, got, expected
        super().__init__(f"{file}: {key}: got {got!r}. Expected {expected}.")


_REQUIRED = object()


class TomlTable:
    """A TOML table that reports wrong or missing keys with the file and the full key path."""

    def __init__(self, file: str, data: Any, path: str = "") -> None:
        self.file, self.path = file, path
        if not isinstance(data, dict):
            raise StudyDefinitionError(file, path or "(top level)", data, "a table")
        self.data = data

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _REQUIRED:
            raise StudyDefinitionError(
                self.file, self._key(key), None, "a value (the key is missing)"
            )
        return default

    def fail(self, key: str, got: Any, expected: str) -> StudyDefinitionError:
        return StudyDefinitionError(self.file, self._key(key), got, expected)

    def text(self, key: str, default: Any = None, pattern: str | None = None) -> str:
        value = self.get(key, _REQUIRED if default is None else default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(key, value, "a non-empty string")
        if pattern and not re.fullmatch(pattern, value):
            raise self.fail(key, value, f"a string matching {pattern}")
        return value

    def integer(self, key: str, minimum: int = 0, default: Any = None) -> int:
        value = self.get(key, _REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, value, f"a whole number ≥ {minimum}")
        return value

    def number(self, key: str, minimum: float = 0) -> float:
        value = self.get(key, _REQUIRED)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(key, value, f"a number ≥ {minimum}")
        return float(value)

    def limits(self, key: str) -> tuple[float, float]:
        value = self.get(key, _REQUIRED)
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and value[0] < value[1]
        )
        if not ok:
            raise self.fail(key, value, "a list [low, high] of two numbers with low < high")
        return float(value[0]), float(value[1])

    def table(self, key: str) -> TomlTable:
        return TomlTable(self.file, self.get(key, _REQUIRED), self._key(key))

    def tables(self, key: str) -> list[TomlTable]:
        value = self.get(key, _REQUIRED)
        if not isinstance(value, list) or not value:
            raise self.fail(key, value, f"one or more [[{key}]] tables")
        return [
            TomlTable(self.file, item, f"{self._key(key)}[{i}]") for i, item in enumerate(value)
        ]

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, value, "true or false")
        return value

    def optional_limits(self, key: str) -> tuple[float, float] | None:
        return self.limits(key) if key in self.data else None

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, value, "a list of non-empty strings")
        return tuple(value)


def read_toml(forms_dir: Path, name: str) -> TomlTable:
    path = forms_dir / name
    label = f"forms/{name}"
    try:
        with path.open("rb") as fh:
            return TomlTable(label, tomllib.load(fh))
    except FileNotFoundError:
        raise StudyDefinitionError(label, "(file)", str(path), "the file to exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyDefinitionError(label, "(syntax)", str(exc), "valid TOML") from None
