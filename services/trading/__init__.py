"""The trading service: accepts market data ticks, keeps recent ones, forwards them to analytics."""
