"""`Unpack` at run time too, so that `typing.get_type_hints` resolves ``**settings`` annotations:
`typing`'s from Python 3.11, `typing_extensions`' before it when installed."""

import sys

__all__ = ["Unpack"]

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
