"""Contains all the data models used in inputs/outputs"""

from .asset_stats import AssetStats
from .candle import Candle
from .candle_interval import CandleInterval
from .daily_volume import DailyVolume
from .latest_price import LatestPrice
from .problem import Problem

__all__ = (
    "AssetStats",
    "Candle",
    "CandleInterval",
    "DailyVolume",
    "LatestPrice",
    "Problem",
)
