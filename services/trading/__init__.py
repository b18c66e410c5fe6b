"""The trading service: accepts market data ticks, keeps recent ones, and delivers them to
analytics and notification through a transactional outbox."""
