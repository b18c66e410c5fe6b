"""`python -m services.nft`: settings -> bootstrap -> serve."""

from services.common.serve import serve
from services.nft.bootstrap import bootstrap
from services.nft.config import NftSettings


def main() -> None:
    settings = NftSettings()
    serve(bootstrap(settings), settings, "nft")


if __name__ == "__main__":
    main()
