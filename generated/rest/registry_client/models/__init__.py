"""Contains all the data models used in inputs/outputs"""

from .instance import Instance
from .problem import Problem
from .registration import Registration
from .service import Service
from .status import Status
from .target_group import TargetGroup
from .target_group_labels import TargetGroupLabels

__all__ = (
    "Instance",
    "Problem",
    "Registration",
    "Service",
    "Status",
    "TargetGroup",
    "TargetGroupLabels",
)
