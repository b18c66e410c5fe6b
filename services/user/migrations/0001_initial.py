from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        ops.CreateModel(
            name="UserRecord",
            fields=[
                ("id", fields.UUIDField(primary_key=True)),
                ("username", fields.CharField(max_length=32, unique=True)),
                ("email", fields.CharField(max_length=254, unique=True)),
                ("password_hash", fields.CharField(max_length=255)),
                ("created_at", fields.DatetimeField()),
            ],
            options={"table": "app_user", "app": "user", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
