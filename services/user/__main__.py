"""`python -m services.user`: settings -> bootstrap -> serve."""

from services.common.serve import serve
from services.user.bootstrap import bootstrap
from services.user.config import UserSettings


def main() -> None:
    settings = UserSettings()
    serve(bootstrap(settings), settings, "user")


if __name__ == "__main__":
    main()
