"""Contains all the data models used in inputs/outputs"""

from .asset_stats import AssetStats
from .latest_price import LatestPrice
from .problem import Problem

__all__ = (
    "AssetStats",
    "LatestPrice",
    "Problem",
)
