"""The user service: accounts, login with signed JWTs, and a user's view of their NFTs."""
