"""The analytics service: ingests market data over gRPC, serves prices and statistics over REST."""
