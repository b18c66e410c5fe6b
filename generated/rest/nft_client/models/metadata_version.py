from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.nft_metadata import NftMetadata


T = TypeVar("T", bound="MetadataVersion")


@_attrs_define
class MetadataVersion:
    """
    Attributes:
        version (int):
        name (str):
        description (str):
        metadata (NftMetadata):
        changed_by (UUID):
        changed_at (datetime.datetime):
    """

    version: int
    name: str
    description: str
    metadata: NftMetadata
    changed_by: UUID
    changed_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        name = self.name

        description = self.description

        metadata = self.metadata.to_dict()

        changed_by = str(self.changed_by)

        changed_at = self.changed_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "version": version,
                "name": name,
                "description": description,
                "metadata": metadata,
                "changedBy": changed_by,
                "changedAt": changed_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.nft_metadata import NftMetadata  # noqa: PLC0415

        d = dict(src_dict)
        version = d.pop("version")

        name = d.pop("name")

        description = d.pop("description")

        metadata = NftMetadata.from_dict(d.pop("metadata"))

        changed_by = UUID(d.pop("changedBy"))

        changed_at = datetime.datetime.fromisoformat(d.pop("changedAt"))

        metadata_version = cls(
            version=version,
            name=name,
            description=description,
            metadata=metadata,
            changed_by=changed_by,
            changed_at=changed_at,
        )

        return metadata_version
