"""Annotations evaluated when first read, as PEP 649 does from Python 3.14: `typing` (about half of
``import signin_prefs``) and the modules of types only annotations use load then, not at import.

A module the package imports at start-up writes ``from __future__ import annotations`` (its
annotations are strings), imports the names they use under ``TYPE_CHECKING`` only, and ends with
``defer_annotations(globals())``. The first read of a function's or class's ``__annotations__``
(by `typing.get_type_hints`, `inspect.signature`, ``help()``, pydantic, Sphinx) evaluates all of
them to the real objects; a name the module does not hold at run time is found in `typing`, then
in `HOMES`, the package's modules of types.
"""

import builtins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

__all__ = ["HOMES", "defer_annotations", "find", "literal_alias"]

#: The package's modules of types that annotations name, loaded only when one is looked up.
HOMES = ("_generated_models", "_client_types", "_credentials", "_report", "_typing")


def find(package: str, name: str) -> object:
    """``name`` as `typing` or one of `HOMES` (in ``package``) defines it; `AttributeError` if
    none does."""
    import importlib
    import typing

    if hasattr(typing, name):
        return getattr(typing, name)
    for home in HOMES:
        try:
            module = importlib.import_module(f"{package}.{home}")
        except ModuleNotFoundError:
            continue
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {package!r} has no attribute {name!r}")


class _Names(dict):  # type: ignore[type-arg]
    """The local namespace annotations are evaluated in: a name the module's globals and the
    builtins lack is looked up with `find` (a `KeyError` lets `eval` look in those)."""

    def __init__(self, namespace: "Dict[str, Any]") -> None:
        super().__init__()
        self._namespace = namespace

    def __missing__(self, name: str) -> object:
        if name in self._namespace or hasattr(builtins, name):
            raise KeyError(name)
        try:
            return find(self._namespace["__package__"], name)
        except AttributeError:
            raise KeyError(name) from None


class _DeferredAnnotations(dict):  # type: ignore[type-arg]
    """A function's or class's ``__annotations__``: the strings as written until one is read,
    then the objects they evaluate to. A ``dict`` (functions take no other) whose every way in
    evaluates first; `__iter__` is overridden so that ``dict(annotations)`` goes through `keys`.
    Two threads reading at once each evaluate, to the same objects."""

    def __init__(self, strings: "Dict[str, Any]", namespace: "Dict[str, Any]") -> None:
        super().__init__(strings)
        self._namespace: "Optional[Dict[str, Any]]" = namespace

    def _evaluate(self) -> None:
        namespace = self._namespace
        if namespace is None:
            return
        names = _Names(namespace)
        evaluated = {
            key: eval(value, namespace, names) if isinstance(value, str) else value  # noqa: S307
            for key, value in dict.items(self)
        }
        dict.update(self, evaluated)
        self._namespace = None

    def __iter__(self) -> "Iterator[Any]":
        self._evaluate()
        return dict.__iter__(self)

    def __getitem__(self, key: object) -> object:
        self._evaluate()
        return dict.__getitem__(self, key)

    def get(self, key: object, default: object = None) -> object:
        self._evaluate()
        return dict.get(self, key, default)

    def keys(self) -> "Any":
        self._evaluate()
        return dict.keys(self)

    def values(self) -> "Any":
        self._evaluate()
        return dict.values(self)

    def items(self) -> "Any":
        self._evaluate()
        return dict.items(self)

    def copy(self) -> "Dict[Any, Any]":
        self._evaluate()
        return dict(dict.items(self))

    def __repr__(self) -> str:
        self._evaluate()
        return dict.__repr__(self)


def _functions(value: object) -> "List[object]":
    """The functions a class member holds (a method, a property's accessors)."""
    import types

    if isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
    if isinstance(value, property):
        return [f for f in (value.fget, value.fset, value.fdel) if isinstance(f, types.FunctionType)]
    return [value] if isinstance(value, types.FunctionType) else []


def _defer(owner: object, namespace: "Dict[str, Any]") -> None:
    # A class's own annotations are in its `__dict__` (not its bases'); a function's in a slot.
    if isinstance(owner, type):
        annotations = vars(owner).get("__annotations__")
    else:
        annotations = getattr(owner, "__annotations__", None)
    if annotations and not isinstance(annotations, _DeferredAnnotations):
        setattr(owner, "__annotations__", _DeferredAnnotations(annotations, namespace))


def defer_annotations(namespace: "Dict[str, Any]") -> None:
    """Makes the annotations of the functions and classes the module ``namespace`` defines
    evaluate when first read (see the module's text)."""
    name = namespace["__name__"]
    owners: "List[object]" = []
    for value in list(namespace.values()):
        if getattr(value, "__module__", None) != name:
            continue
        if isinstance(value, type):
            owners.append(value)
            for member in vars(value).values():
                owners.extend(_functions(member))
        else:
            owners.extend(_functions(value))
    for owner in owners:
        _defer(owner, namespace)


def literal_alias(
    namespace: "Dict[str, Any]", literals: "Mapping[str, Tuple[str, ...]]", name: str
) -> object:
    """A generated module's `Literal` alias ``name`` (a ``Union`` of single ``Literal``s of its
    ``literals`` values), built and kept in ``namespace`` when first asked for: the module's
    ``__getattr__``, so that importing the package does not load `typing`."""
    values = literals.get(name)
    if values is None:
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
    import typing

    union: "Any" = typing.Union
    literal: "Any" = typing.Literal
    alias = union[tuple(literal[value] for value in values)]
    namespace[name] = alias
    return alias
