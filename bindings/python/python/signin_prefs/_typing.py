"""Type names more than one module annotates with, defined at run time so that
`typing.get_type_hints` resolves them: `Unpack` (`typing`'s from Python 3.11, `typing_extensions`'
before it when installed) and `Priority`."""

import sys
from typing import Literal, Union

__all__ = ["Priority", "Unpack"]

# A union of single literals, not `Literal["low", "normal", "high"]`: the same type to mypy, but a
# `Union` at runtime too, which is what stubtest compares the alias with.
Priority = Union[Literal["low"], Literal["normal"], Literal["high"]]
"""An ``x-ms-throttle-priority`` value, which every bulk function takes (checked in any letter case
by the native parser, the client crate's one)."""

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    try:
        from typing_extensions import Unpack
    except ImportError:
        # Python 3.9 or 3.10 without typing_extensions: only type checkers and get_type_hints need
        # `Unpack`, and the TypedDict itself tells the keys as well.
        class _UnpackFallback:
            def __getitem__(self, item: object) -> object:
                return item

        Unpack = _UnpackFallback()
