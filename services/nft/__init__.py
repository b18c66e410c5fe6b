"""The nft service: mints NFTs, records them on a chain (a local hash-chained ledger by default),
keeps their metadata versions and ownership history, transfers and lists them."""
