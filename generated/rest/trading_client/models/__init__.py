"""Contains all the data models used in inputs/outputs"""

from .market_data_tick import MarketDataTick
from .market_data_tick_input import MarketDataTickInput
from .problem import Problem

__all__ = (
    "MarketDataTick",
    "MarketDataTickInput",
    "Problem",
)
