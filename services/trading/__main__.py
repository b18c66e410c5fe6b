"""`python -m services.trading`: settings -> bootstrap -> serve."""

from services.common.serve import serve
from services.trading.bootstrap import bootstrap
from services.trading.config import TradingSettings


def main() -> None:
    settings = TradingSettings()
    serve(bootstrap(settings), settings, "trading")


if __name__ == "__main__":
    main()
