"""Stage settings: a params.yaml section checked once and frozen.

Each stage declares what it takes as a :class:`Settings` dataclass (in its domain's
``settings.py``); the pipeline's loader, the only code that reads ``params.yaml``, builds it
with :meth:`Settings.of`. Every key must be present and of the declared type, so a misspelt
or missing setting stops the run at once, naming ``section.key``, rather than surfacing as a
``None`` deep inside a report. The values live in params.yaml only: the classes declare types,
not defaults (a default here would be a second copy that drifts).

Checked by hand rather than with a validation library: the checks are few, and the command
line imports this on every (often no-op) run.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, Self, Union, get_args, get_origin

from helpers.core.errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class Settings:
    """A stage's settings. Subclasses are frozen dataclasses whose fields are the section's keys."""

    @classmethod
    def of(cls, section: Mapping | None, where: str) -> Self:
        """Check ``section`` (a mapping from params.yaml) and freeze it; ``where`` names it in errors."""
        if not isinstance(section, Mapping):
            raise ConfigurationError(f"params.yaml {where}: expected a mapping of settings, found {section!r}")
        hints = _hints(cls)
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        unknown = sorted(set(section) - set(names))
        if unknown:
            raise ConfigurationError(f"params.yaml {where}: unknown setting(s) {', '.join(unknown)} "
                                     f"(this section takes {', '.join(names)})")
        values = {}
        for field in dataclasses.fields(cls):
            if not field.init:
                continue
            if field.name not in section:
                if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
                    continue
                raise ConfigurationError(f"params.yaml {where}.{field.name}: missing (expected {_describe(hints[field.name])})")
            values[field.name] = _check(section[field.name], hints[field.name], f"{where}.{field.name}")
        instance = cls(**values)
        instance.validate(where)
        return instance

    def validate(self, where: str) -> None:
        """Checks across fields (a range the right way round, say); raise ConfigurationError."""

    def as_dict(self) -> dict:
        """Plain data again (lists and dicts), for a notebook parameter or a provenance record."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def replace(self, **changes) -> Self:
        return dataclasses.replace(self, **changes)


@cache
def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _plain(value):
    if isinstance(value, Settings):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _describe(hint) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return " or ".join(repr(a) for a in get_args(hint))
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(hint))
    if origin in (tuple, list):
        return f"a list of {_describe(get_args(hint)[0])}"
    if origin in (dict, Mapping):
        return f"a mapping of {_describe(get_args(hint)[1])}"
    if hint is type(None):
        return "null"
    if isinstance(hint, type) and issubclass(hint, Settings):
        return f"a mapping with {', '.join(f.name for f in dataclasses.fields(hint))}"
    return {int: "a whole number", float: "a number", str: "text", bool: "true or false"}.get(hint, str(hint))


def _check(value, hint, where: str):
    """``value`` as ``hint`` asks (lists become tuples, mappings read-only); ConfigurationError if not."""
    origin = get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        for option in get_args(hint):
            try:
                return _check(value, option, where)
            except ConfigurationError:
                continue
        raise _wrong(value, hint, where)
    if origin is Literal:
        if value in get_args(hint):
            return value
        raise _wrong(value, hint, where)
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise _wrong(value, hint, where)
        (item,) = get_args(hint)[:1]
        return tuple(_check(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise _wrong(value, hint, where)
        _, item = get_args(hint)
        return types.MappingProxyType({str(k): _check(v, item, f"{where}.{k}") for k, v in value.items()})
    if isinstance(hint, type) and issubclass(hint, Settings):
        return hint.of(value, where)
    if hint is type(None):
        if value is None:
            return None
        raise _wrong(value, hint, where)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return value  # a whole number stays one, so it prints as written (92, not 92.0)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (str, bool) and isinstance(value, hint):
        return value
    raise _wrong(value, hint, where)


def _wrong(value, hint, where: str) -> ConfigurationError:
    return ConfigurationError(f"params.yaml {where}: found {value!r}, expected {_describe(hint)}")
