from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.token_response_token_type import TokenResponseTokenType

T = TypeVar("T", bound="TokenResponse")


@_attrs_define
class TokenResponse:
    """
    Attributes:
        access_token (str): An RS256 JWT; verify it with the keys at /api/users/.well-known/jwks.json
        token_type (TokenResponseTokenType):
        expires_in (int): Seconds until the access token expires
        refresh_token (str): Opaque; spend it once at /api/users/token/refresh
        refresh_expires_in (int): Seconds until the refresh token expires
    """

    access_token: str
    token_type: TokenResponseTokenType
    expires_in: int
    refresh_token: str
    refresh_expires_in: int

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        token_type = self.token_type.value

        expires_in = self.expires_in

        refresh_token = self.refresh_token

        refresh_expires_in = self.refresh_expires_in

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "accessToken": access_token,
                "tokenType": token_type,
                "expiresIn": expires_in,
                "refreshToken": refresh_token,
                "refreshExpiresIn": refresh_expires_in,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access_token = d.pop("accessToken")

        token_type = TokenResponseTokenType(d.pop("tokenType"))

        expires_in = d.pop("expiresIn")

        refresh_token = d.pop("refreshToken")

        refresh_expires_in = d.pop("refreshExpiresIn")

        token_response = cls(
            access_token=access_token,
            token_type=token_type,
            expires_in=expires_in,
            refresh_token=refresh_token,
            refresh_expires_in=refresh_expires_in,
        )

        return token_response
