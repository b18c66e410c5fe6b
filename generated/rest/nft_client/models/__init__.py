"""Contains all the data models used in inputs/outputs"""

from .attribute import Attribute
from .mint_nft_request import MintNftRequest
from .moderation_request import ModerationRequest
from .nft import Nft
from .nft_metadata import NftMetadata
from .problem import Problem
from .transfer_nft_request import TransferNftRequest
from .update_nft_request import UpdateNftRequest

__all__ = (
    "Attribute",
    "MintNftRequest",
    "ModerationRequest",
    "Nft",
    "NftMetadata",
    "Problem",
    "TransferNftRequest",
    "UpdateNftRequest",
)
