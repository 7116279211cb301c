"""`OpenEnum`: what every generated enum (``_generated_models.py``) is, a ``str`` enum that keeps
values the spec did not list when this build was made."""

from __future__ import annotations

import enum

TYPE_CHECKING = False  # `typing` is imported only when needed: `import signin_prefs` stays fast
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["OpenEnum"]


class OpenEnum(str, enum.Enum):
    """A ``str`` enum that keeps values this build does not know (``is_known`` is then
    ``False``), so nothing read is lost. Generated enums subclass it with their members."""

    @classmethod
    def _missing_(cls, value: object) -> Optional[OpenEnum]:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether the spec lists this value."""
        return self._value_ in type(self)._value2member_map_

    def __str__(self) -> str:
        return str(self._value_)

    def __format__(self, spec: str) -> str:
        return format(str(self._value_), spec)

    def __repr__(self) -> str:
        if self.is_known:
            return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"
        return f"<{type(self).__name__} (unknown): {self._value_!r}>"
