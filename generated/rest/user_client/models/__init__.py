"""Contains all the data models used in inputs/outputs"""

from .attribute import Attribute
from .login_request import LoginRequest
from .nft import Nft
from .nft_metadata import NftMetadata
from .problem import Problem
from .public_user import PublicUser
from .register_request import RegisterRequest
from .token_response import TokenResponse
from .token_response_token_type import TokenResponseTokenType
from .user import User

__all__ = (
    "Attribute",
    "LoginRequest",
    "Nft",
    "NftMetadata",
    "Problem",
    "PublicUser",
    "RegisterRequest",
    "TokenResponse",
    "TokenResponseTokenType",
    "User",
)
