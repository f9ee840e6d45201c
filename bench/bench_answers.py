"""Answer-parsing benchmark: the checked path (ffdesk.sync.answers) against bare json.loads.

Run: .venv/bin/python bench/bench_answers.py [--objects 100000]

Figures (each printed with its goal):
- time to read a Stripe-shaped list answer of N payment intents through `answer_object`
  (UTF-8 decode, strict JSON, nesting refusal, shape check) against `json.loads` of the same bytes
  (goal: <= 1.5x bare);
- time to refuse a body of 100,000 nested lists and one of 100,000 nested objects
  (goal: < 100 ms each, no RecursionError);
- time to turn N minor-unit amounts into exact Decimals with the ISO 4217 table (goal: < 1 s).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ffdesk.engine.money import from_minor  # noqa: E402
from ffdesk.sync.answers import UnexpectedAnswer, answer_object  # noqa: E402


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def stripe_page(objects: int) -> bytes:
    data = [
        {
            "id": f"pi_{n:024d}",
            "object": "payment_intent",
            "amount": 1000 + n,
            "currency": "usd",
            "status": "succeeded",
            "created": 1_700_000_000 + n,
            "livemode": False,
            "description": 'Order "{[' + str(n) + "]}",
            "metadata": {"order": str(n)},
            "payment_method_types": ["card"],
        }
        for n in range(objects)
    ]
    return json.dumps({"object": "list", "data": data, "has_more": False}).encode()


def refused_in(body: bytes) -> float:
    started = time.perf_counter()
    try:
        answer_object(body, "Bench", {"data": list})
    except UnexpectedAnswer:
        return time.perf_counter() - started
    raise AssertionError("a hostile body was accepted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    logging.getLogger("ffdesk.sync.answers").setLevel(logging.ERROR)  # refusals log a warning

    body = stripe_page(args.objects)
    bare = best_of(3, lambda: json.loads(body))
    checked = best_of(3, lambda: answer_object(body, "Stripe", {"data": list, "has_more": bool}))
    ratio = checked / bare
    print(f"answer of {args.objects} intents ({len(body) / 1e6:.1f} MB):")
    print(f"  json.loads        {bare * 1000:8.1f} ms")
    print(f"  answer_object     {checked * 1000:8.1f} ms  ({ratio:.2f}x bare; goal <= 1.5x)")

    lists = b"[" * 100_000 + b"]" * 100_000
    objects = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    print(f"refuse 100,000 nested lists    {refused_in(lists) * 1000:6.1f} ms  (goal < 100 ms)")
    print(f"refuse 100,000 nested objects  {refused_in(objects) * 1000:6.1f} ms  (goal < 100 ms)")

    amounts = [(1000 + n, ("USD", "JPY", "KWD")[n % 3]) for n in range(args.objects)]
    conversion = best_of(3, lambda: [from_minor(m, c) for m, c in amounts])
    print(f"{args.objects} minor amounts -> Decimal  {conversion * 1000:6.1f} ms  (goal < 1000 ms)")
    per_object = checked / args.objects * 1e6
    print(f"  ({per_object:.2f} us per intent read through the checked path)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
