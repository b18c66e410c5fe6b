"""Message classes built by Google's protobuf runtime straight from contracts/proto (a
`buf build` descriptor image): a client side that shares no code with our betterproto stubs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

ROOT = Path(__file__).resolve().parents[2]
MARKET_DATA_MESSAGES = (
    "market.MarketDataRequest",
    "market.MarketDataResponse",
    "capsure.analytics.v1.SendMarketDataRequest",
    "capsure.analytics.v1.SendMarketDataResponse",
    "capsure.analytics.v1.StreamMarketDataRequest",
    "capsure.analytics.v1.StreamMarketDataResponse",
    "capsure.analytics.v1.Tick",
    "capsure.analytics.v1.StreamTickBatchesRequest",
    "capsure.analytics.v1.StreamTickBatchesResponse",
)


def contract_messages(
    workdir: Path, names: tuple[str, ...] = MARKET_DATA_MESSAGES
) -> dict[str, type]:
    image = workdir / "image.binpb"
    buf = Path(sys.executable).with_name("buf")
    subprocess.run([str(buf), "build", "-o", str(image)], cwd=ROOT, check=True, timeout=60)
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(image.read_bytes()).file:
        pool.Add(file)
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(n)) for n in names}
