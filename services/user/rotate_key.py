"""`python -m services.user.rotate_key` (`make rotate-keys`): add a signing key to the user
service's keyring. Running instances pick it up without a restart: it is published at once,
signs after USER_KEY_ACTIVATION_SECONDS, and the key it replaces keeps verifying until the
tokens it signed have expired. Keys past that are deleted."""

from services.user.bootstrap import keyring_for
from services.user.config import UserSettings


def main() -> None:
    settings = UserSettings()
    keyring = keyring_for(settings)
    keyring.ensure()
    kid = keyring.rotate()
    print(
        f"new signing key {kid} in {settings.keys_dir}: published now, signs in "
        f"{settings.key_activation_seconds:g} s"
    )


if __name__ == "__main__":
    main()
