"""Benchmarks of the mesh on loopback: figures, not tests (never run in CI).

`python -m bench` runs them all and writes bench/results/latest.md; `python -m bench.<name>`
runs one. See bench/README.md."""
