"""`python -m services.analytics`: settings -> bootstrap -> serve (REST and gRPC, one process)."""

from services.analytics.bootstrap import bootstrap
from services.analytics.config import AnalyticsSettings
from services.common.serve import serve


def main() -> None:
    settings = AnalyticsSettings()
    serve(bootstrap(settings), settings, "analytics")


if __name__ == "__main__":
    main()
