"""The user service's configuration: safe defaults in development, none of them in production."""

import os
import stat
import subprocess
import sys

import pytest
from pydantic import ValidationError

from services.user.config import PLACEHOLDER_ADMIN_PASSWORD, UserSettings

pytestmark = pytest.mark.unit
APP_SOCKET = "/run/capsure/user-1/app.sock"  # outside development an app listens on one


def test_the_placeholder_admin_password_is_refused_outside_development():
    assert UserSettings().admin_password == PLACEHOLDER_ADMIN_PASSWORD
    with pytest.raises(ValidationError, match="USER_ADMIN_PASSWORD is the development placeholder"):
        UserSettings(CAPSURE_ENV="production", uds=APP_SOCKET)
    configured = UserSettings(
        CAPSURE_ENV="production", uds=APP_SOCKET, admin_password="a-real-secret-123"
    )
    assert configured.admin_password == "a-real-secret-123"


def test_signing_keys_live_in_the_data_dir_unless_configured(tmp_path):
    assert UserSettings(data_dir=tmp_path).keys_dir == tmp_path / "signing-keys"
    mounted = tmp_path / "mounted"
    assert UserSettings(data_dir=tmp_path, signing_keys_dir=mounted).keys_dir == mounted


def test_make_rotate_keys_adds_a_private_key_file(tmp_path):
    env = {**os.environ, "USER_SIGNING_KEYS_DIR": str(tmp_path / "keys")}
    command = [sys.executable, "-m", "services.user.rotate_key"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    keys = sorted((tmp_path / "keys").glob("*.pem"))
    # The first start's key, and the rotated-in one that signs after the activation delay.
    assert len(keys) == 2
    assert keys[-1].stem in first.stdout and "signs in 60 s" in first.stdout
    assert all(stat.S_IMODE(key.stat().st_mode) == 0o600 for key in keys)
