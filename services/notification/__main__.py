"""`python -m services.notification`: settings -> bootstrap -> serve."""

from services.common.serve import serve
from services.notification.bootstrap import bootstrap
from services.notification.config import NotificationSettings


def main() -> None:
    settings = NotificationSettings()
    serve(bootstrap(settings), settings, "notification")


if __name__ == "__main__":
    main()
