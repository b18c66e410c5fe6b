"""The nft service: mints NFTs, keeps metadata and ownership, transfers and lists them."""
