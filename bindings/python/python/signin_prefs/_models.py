"""The resource, its enum, and `UNSET`: the values `Client.get` returns and `update` takes.

The enum is generated from the spec (``_generated_models.py``); the rest is written here."""

from __future__ import annotations

import enum

# `typing` at run time, so that `typing.get_type_hints` resolves the annotations (`json` is
# imported only when needed).
from typing import Any, Dict, Mapping, Optional, Union

from ._generated_models import (
    UserDefaultAuthenticationMethodType,
    UserDefaultAuthenticationMethodTypeLiteral,
)

__all__ = [
    "UNSET",
    "Unset",
    "UserDefaultAuthenticationMethodType",
    "UserDefaultAuthenticationMethodTypeLiteral",
    "SignInPreferences",
]


class Unset(enum.Enum):
    """The type of `UNSET`: a keyword argument left at it is not sent (the value is kept)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = Unset.UNSET
"""Leave the property as it is (distinct from ``None``, which sends ``null``)."""


_METHOD = "userPreferredMethodForSecondaryAuthentication"
_SYSTEM = "isSystemPreferredAuthenticationMethodEnabled"


class SignInPreferences:
    """``microsoft.graph.signInPreferences`` as read. ``None`` means the service left the property
    out or sent ``null``; properties this build does not list are kept in
    ``additional_properties`` (by their JSON names)."""

    __slots__ = (
        "user_preferred_method_for_secondary_authentication",
        "is_system_preferred_authentication_method_enabled",
        "additional_properties",
    )

    user_preferred_method_for_secondary_authentication: Optional[UserDefaultAuthenticationMethodType]
    is_system_preferred_authentication_method_enabled: Optional[bool]
    additional_properties: Dict[str, Any]

    def __init__(
        self,
        *,
        user_preferred_method_for_secondary_authentication: Union[
            UserDefaultAuthenticationMethodType, str, None
        ] = None,
        is_system_preferred_authentication_method_enabled: Optional[bool] = None,
        additional_properties: Optional[Mapping[str, Any]] = None,
    ) -> None:
        method = user_preferred_method_for_secondary_authentication
        self.user_preferred_method_for_secondary_authentication = (
            None if method is None else UserDefaultAuthenticationMethodType(method)
        )
        self.is_system_preferred_authentication_method_enabled = (
            is_system_preferred_authentication_method_enabled
        )
        self.additional_properties = dict(additional_properties or {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignInPreferences:
        """From the JSON object form (Graph's camelCase names); lenient, as reads are."""
        extra = {key: value for key, value in data.items() if key not in (_METHOD, _SYSTEM)}
        system = data.get(_SYSTEM)
        if system is not None and not isinstance(system, bool):
            raise ValueError(f"{_SYSTEM} must be a boolean or null, not {system!r}")
        method = data.get(_METHOD)
        if method is not None and not isinstance(method, str):
            raise ValueError(f"{_METHOD} must be a string or null, not {method!r}")
        return cls(
            user_preferred_method_for_secondary_authentication=method,
            is_system_preferred_authentication_method_enabled=system,
            additional_properties=extra,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object form: set properties, then the additional ones."""
        data: Dict[str, Any] = {}
        if self.is_system_preferred_authentication_method_enabled is not None:
            data[_SYSTEM] = self.is_system_preferred_authentication_method_enabled
        if self.user_preferred_method_for_secondary_authentication is not None:
            data[_METHOD] = self.user_preferred_method_for_secondary_authentication.value
        for key, value in self.additional_properties.items():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> SignInPreferences:
        """From JSON text."""
        import json

        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object for microsoft.graph.signInPreferences")
        return cls.from_dict(data)

    def to_json(self) -> str:
        """JSON text of `to_dict`."""
        import json

        return json.dumps(self.to_dict())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SignInPreferences):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            "SignInPreferences("
            f"user_preferred_method_for_secondary_authentication={self.user_preferred_method_for_secondary_authentication!r}, "
            f"is_system_preferred_authentication_method_enabled={self.is_system_preferred_authentication_method_enabled!r})"
        )


def patch_json(
    user_preferred_method_for_secondary_authentication: object,
    is_system_preferred_authentication_method_enabled: object,
) -> str:
    """The PATCH body for `update`'s keyword arguments: `UNSET` leaves a property out, `None`
    sends ``null`` where the spec allows it."""
    import json

    from ._errors import ValidationError

    body: Dict[str, Any] = {}
    method = user_preferred_method_for_secondary_authentication
    if method is None:
        raise ValidationError(
            "user_preferred_method_for_secondary_authentication cannot be None: the spec marks "
            f"{_METHOD} non-nullable; leave it UNSET to keep the current value",
            kind="Validation",
        )
    if method is not UNSET:
        if not isinstance(method, str):
            raise ValidationError(
                "user_preferred_method_for_secondary_authentication must be a "
                f"UserDefaultAuthenticationMethodType or str, not {type(method).__name__}",
                kind="Validation",
            )
        body[_METHOD] = str.__str__(method) if isinstance(method, enum.Enum) else method
    system = is_system_preferred_authentication_method_enabled
    if system is not UNSET:
        if system is not None and not isinstance(system, bool):
            raise ValidationError(
                "is_system_preferred_authentication_method_enabled must be a bool or None, "
                f"not {type(system).__name__}",
                kind="Validation",
            )
        body[_SYSTEM] = system
    if not body:
        # As the CLI's `set`, which refuses to run without a property: an empty PATCH would be
        # sent, answered 204 and change nothing, hiding a forgotten argument.
        raise ValidationError(
            "nothing to set: give user_preferred_method_for_secondary_authentication and/or "
            "is_system_preferred_authentication_method_enabled",
            kind="Validation",
        )
    return json.dumps(body)
