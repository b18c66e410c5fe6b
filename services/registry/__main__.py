"""`python -m services.registry`: settings -> bootstrap -> serve."""

from services.common.serve import serve
from services.registry.bootstrap import bootstrap
from services.registry.config import RegistrySettings


def main() -> None:
    settings = RegistrySettings()
    serve(bootstrap(settings), settings, "registry")


if __name__ == "__main__":
    main()
