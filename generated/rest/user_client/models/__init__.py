"""Contains all the data models used in inputs/outputs"""

from .attribute import Attribute
from .jwk import Jwk
from .jwk_alg import JwkAlg
from .jwk_kty import JwkKty
from .jwk_use import JwkUse
from .jwks import Jwks
from .login_request import LoginRequest
from .nft import Nft
from .nft_metadata import NftMetadata
from .problem import Problem
from .public_user import PublicUser
from .refresh_request import RefreshRequest
from .register_request import RegisterRequest
from .role import Role
from .roles_request import RolesRequest
from .status_request import StatusRequest
from .token_response import TokenResponse
from .token_response_token_type import TokenResponseTokenType
from .user import User

__all__ = (
    "Attribute",
    "Jwk",
    "JwkAlg",
    "JwkKty",
    "Jwks",
    "JwkUse",
    "LoginRequest",
    "Nft",
    "NftMetadata",
    "Problem",
    "PublicUser",
    "RefreshRequest",
    "RegisterRequest",
    "Role",
    "RolesRequest",
    "StatusRequest",
    "TokenResponse",
    "TokenResponseTokenType",
    "User",
)
