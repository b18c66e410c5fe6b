"""The trading service: accepts market data ticks, keeps recent ones, and delivers them to
analytics and notification through a transactional outbox; and the NFT marketplace — wallets,
listings (approved by nft) and purchases run as a saga with nft's transfer in the middle."""
