from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.jwk_alg import JwkAlg
from ..models.jwk_kty import JwkKty
from ..models.jwk_use import JwkUse

T = TypeVar("T", bound="Jwk")


@_attrs_define
class Jwk:
    """An RSA public key (RFC 7517/7518)

    Attributes:
        kty (JwkKty):
        kid (str):
        use (JwkUse):
        alg (JwkAlg):
        n (str):
        e (str):
    """

    kty: JwkKty
    kid: str
    use: JwkUse
    alg: JwkAlg
    n: str
    e: str

    def to_dict(self) -> dict[str, Any]:
        kty = self.kty.value

        kid = self.kid

        use = self.use.value

        alg = self.alg.value

        n = self.n

        e = self.e

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kty": kty,
                "kid": kid,
                "use": use,
                "alg": alg,
                "n": n,
                "e": e,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kty = JwkKty(d.pop("kty"))

        kid = d.pop("kid")

        use = JwkUse(d.pop("use"))

        alg = JwkAlg(d.pop("alg"))

        n = d.pop("n")

        e = d.pop("e")

        jwk = cls(
            kty=kty,
            kid=kid,
            use=use,
            alg=alg,
            n=n,
            e=e,
        )

        return jwk
