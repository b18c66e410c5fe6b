"""What one logger writes through services/common/json_logs.JsonLines, captured for a test."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from services.common.json_logs import JsonLines


@contextmanager
def captured_json_lines(logger_name: str, service: str, instance: str) -> Iterator[io.StringIO]:
    """`logger_name`'s records at INFO and above as JSON lines in the yielded stream, and
    nowhere else while it lasts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines(service, instance))
    logger = logging.getLogger(logger_name)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.level, logger.propagate = saved
