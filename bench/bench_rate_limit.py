"""Rate-limit benchmark: ffdesk's HTTP client against a server limited below the module default.

Run: .venv/bin/python bench/bench_rate_limit.py [--requests 300] [--limit 12] [--default 25]

A local server allows `--limit` requests/s (a token bucket holding one second of requests, as
providers do) and answers 429 past it, with Retry-After and then without. ffdesk's client,
configured with the module's documented default (`--default`, Stripe's 25/s) and 8 requests
in flight, sends `--requests` POSTs, as a push of that many contacts does. Figures, each with
its goal:
- the share of requests answered 429 (goal: < 10 %);
- the run time, next to the time a client paced exactly at the limit would need
  (goal: within 1.5x of it);
- every request succeeded in the end (goal: all).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ffdesk.sync.http import ProviderClient, RetryPolicy, forget_limiters  # noqa: E402
from tests.helpers.hostile_server import HostileServer, limited  # noqa: E402


async def one_run(requests: int, limit: float, default: float, retry_after: bool) -> None:
    forget_limiters()  # each run starts from the module default, as a first sync does
    handler, seen = limited(limit, burst=limit, retry_after=retry_after)
    async with HostileServer(handler) as server:
        client = ProviderClient(
            provider="Stripe",
            base_url=server.url,
            rate_limit=default,
            max_concurrency=8,
            retry=RetryPolicy(),
        )
        async with client:
            started = time.perf_counter()
            answers = await asyncio.gather(
                *(
                    client.post("/v1/customers", headers={"Idempotency-Key": f"bench-{i}"})
                    for i in range(requests)
                )
            )
            elapsed = time.perf_counter() - started
    ok = sum(1 for a in answers if a.status_code == 200)
    sent = seen["ok"] + seen["429"]
    share = seen["429"] / sent if sent else 0.0
    # Paced exactly at the limit: the bucket's first second goes at once, the rest 1/limit apart.
    ideal = max(0.0, requests - limit) / limit
    label = "with Retry-After" if retry_after else "without Retry-After"
    print(f"{label}:")
    print(f"  requests sent            {sent} for {requests} records ({ok} succeeded, goal: all)")
    print(f"  answered 429             {seen['429']} ({share:.1%}, goal: < 10 %)")
    print(
        f"  run time                 {elapsed:.1f} s; paced exactly at the limit {ideal:.1f} s "
        f"({elapsed / ideal if ideal else 0:.2f}x, goal: <= 1.5x)"
    )
    print(f"  client rate at the end   {client.limiter.rate:.1f}/s (default {default:g}/s)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--limit", type=float, default=12.0, help="the server's requests/s")
    parser.add_argument("--default", type=float, default=25.0, help="the module's requests/s")
    args = parser.parse_args()
    print(
        f"{args.requests} POSTs, server limited to {args.limit:g}/s, "
        f"client default {args.default:g}/s, 8 in flight"
    )
    for retry_after in (True, False):
        await one_run(args.requests, args.limit, args.default, retry_after)


if __name__ == "__main__":
    asyncio.run(main())
