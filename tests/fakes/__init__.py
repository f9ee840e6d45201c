"""Local, stateful fake provider APIs for tests and benchmarks (never the internet)."""
