"""Tortoise models of the user database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.models import Model


class UserRecord(Model):
    id = fields.UUIDField(primary_key=True)
    username = fields.CharField(max_length=32, unique=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    created_at = fields.DatetimeField()

    class Meta:
        table = "app_user"
