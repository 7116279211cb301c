"""The resource, its enum, and `UNSET`: the values `Client.get` returns and `update` takes.

The enum is generated from the spec (``_generated_models.py``); the rest is written here."""

from __future__ import annotations

import enum

from ._deferred import defer_annotations
from ._generated_models import UserDefaultAuthenticationMethodType

TYPE_CHECKING = False
if TYPE_CHECKING:
    # Only for type checkers: at run time `defer_annotations` finds them when first asked.
    from typing import Any, Dict, Mapping, Optional, Tuple, Union

    from ._generated_models import UserDefaultAuthenticationMethodTypeLiteral

__all__ = [
    "UNSET",
    "Unset",
    "UserDefaultAuthenticationMethodType",
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


def is_annotation(name: str) -> bool:
    """Whether a JSON member is an OData instance annotation (``@odata.context``,
    ``@odata.type``, ``property@odata.type``, ``@microsoft.graph.tips``) rather than a property:
    OData's JSON format names every annotation with an ``@`` and no property with one
    (https://docs.oasis-open.org/odata/odata-json-format/v4.01/odata-json-format-v4.01.html#sec_InstanceAnnotations;
    Graph's responses, as in https://learn.microsoft.com/en-us/odata/webapi/include-annotations)."""
    return "@" in name


class SignInPreferences:
    """``microsoft.graph.signInPreferences`` as read. ``None`` means the service left the property
    out or sent ``null``; properties this build does not list (such as
    ``systemPreferredAuthenticationMethod``) and OData annotations (``@odata.context``) are kept in
    ``additional_properties`` by their JSON names.

    A value: ``==`` compares the properties and the kept unknown ones, not the OData annotations,
    so the same user read by object id and by user principal name compares equal. Not hashable
    (``hash()`` raises `TypeError`): its attributes and ``additional_properties`` can be changed;
    ``to_json()`` is a stable key where one is needed. ``to_dict()`` is the JSON object form
    (``json.dumps(model.to_dict())``), ``to_json()`` its text; ``from_dict`` and ``from_json``
    read them back. The constructor refuses what Graph could not have sent: a
    ``user_preferred_method_for_secondary_authentication`` that is neither a
    `UserDefaultAuthenticationMethodType` nor one of its values, and an
    ``is_system_preferred_authentication_method_enabled`` that is not a ``bool`` or ``None``."""

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
            UserDefaultAuthenticationMethodType, UserDefaultAuthenticationMethodTypeLiteral, None
        ] = None,
        is_system_preferred_authentication_method_enabled: Optional[bool] = None,
        additional_properties: Optional[Mapping[str, Any]] = None,
    ) -> None:
        method = user_preferred_method_for_secondary_authentication
        if not (method is None or isinstance(method, UserDefaultAuthenticationMethodType)):
            if not isinstance(method, str):
                raise TypeError(
                    "user_preferred_method_for_secondary_authentication must be a "
                    f"UserDefaultAuthenticationMethodType, one of its values or None, not "
                    f"{type(method).__name__}"
                )
            if method not in UserDefaultAuthenticationMethodType._value2member_map_:
                known = ", ".join(repr(member.value) for member in UserDefaultAuthenticationMethodType)
                raise ValueError(
                    f"user_preferred_method_for_secondary_authentication: {method!r} is not a "
                    f"method; one of {known}"
                )
        system = is_system_preferred_authentication_method_enabled
        if system is not None and not isinstance(system, bool):
            raise TypeError(
                "is_system_preferred_authentication_method_enabled must be a bool or None, not "
                f"{type(system).__name__} ({system!r})"
            )
        self._assign(method, system, additional_properties)

    def _assign(
        self,
        method: Optional[str],
        system: Optional[bool],
        additional_properties: Optional[Mapping[str, Any]],
    ) -> None:
        self.user_preferred_method_for_secondary_authentication = (
            None if method is None else UserDefaultAuthenticationMethodType(method)
        )
        self.is_system_preferred_authentication_method_enabled = system
        self.additional_properties = dict(additional_properties or {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignInPreferences:
        """From the JSON object form (Graph's camelCase names); lenient, as reads are: a method
        this build does not know is kept (its ``is_known`` is ``False``)."""
        extra = {key: value for key, value in data.items() if key not in (_METHOD, _SYSTEM)}
        system = data.get(_SYSTEM)
        if system is not None and not isinstance(system, bool):
            raise ValueError(f"{_SYSTEM} must be a boolean or null, not {system!r}")
        method = data.get(_METHOD)
        if method is not None and not isinstance(method, str):
            raise ValueError(f"{_METHOD} must be a string or null, not {method!r}")
        model = cls.__new__(cls)
        model._assign(method, system, extra)
        return model

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object form, Graph's camelCase names (what ``json.dumps`` takes): the set
        properties, then the additional ones, annotations included, so that
        ``SignInPreferences.from_dict(model.to_dict())`` gives back everything that was read."""
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
        """From JSON text, as `from_dict`."""
        import json

        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object for microsoft.graph.signInPreferences")
        return cls.from_dict(data)

    def to_json(self, *, indent: Optional[int] = None) -> str:
        """The JSON text of `to_dict` (``indent`` as ``json.dumps``'s)."""
        import json

        return json.dumps(self.to_dict(), indent=indent)

    def _unknown_properties(self) -> Dict[str, Any]:
        """The kept properties this build does not list, without the OData annotations."""
        return {
            key: value
            for key, value in self.additional_properties.items()
            if not is_annotation(key) and key not in (_METHOD, _SYSTEM)
        }

    def _compared(self) -> Tuple[Optional[str], Optional[bool], Dict[str, Any]]:
        method = self.user_preferred_method_for_secondary_authentication
        return (
            None if method is None else str(method),
            self.is_system_preferred_authentication_method_enabled,
            self._unknown_properties(),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SignInPreferences):
            return NotImplemented
        return self._compared() == other._compared()

    # Mutable, so not hashable: a hash taken before a change would no longer match.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = (
            "user_preferred_method_for_secondary_authentication="
            f"{self.user_preferred_method_for_secondary_authentication!r}, "
            "is_system_preferred_authentication_method_enabled="
            f"{self.is_system_preferred_authentication_method_enabled!r}"
        )
        unknown = self._unknown_properties()
        if unknown:
            shown += f", additional_properties={unknown!r}"
        return f"SignInPreferences({shown})"


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


defer_annotations(globals())
