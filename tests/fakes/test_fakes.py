"""Tests of the fake provider servers themselves: harness behaviour and FakeStripe's API shapes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.harness import FakeServer, Request, Response, parse_nested, route
from tests.fakes.stripe import FakeStripe, mask_key

KEY = "sk_test_51FfdeskTestKey000000abcd"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def stripe() -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=7) as fake:
        yield fake


@pytest.fixture
def client(stripe: FakeStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=stripe.url, headers=headers, timeout=5) as c:
        yield c


def create(client: httpx.Client, key: str | None = None, **data: str) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/v1/customers", data=data, headers=headers)


# -- harness -----------------------------------------------------------------------------------


class Echo(FakeServer):
    """A minimal fake to exercise the harness without provider rules."""

    @route("GET", r"/items/(?P<item>\w+)")
    def get_item(self, request: Request) -> Response:
        return 200, {"X-Item": request.path_params["item"]}, {"query": request.query}

    @route("POST", r"/echo")
    def echo(self, request: Request) -> Response:
        return 201, {}, {"form": request.form, "json": request.json}

    @route("GET", r"/boom")
    def boom(self, request: Request) -> Response:
        raise RuntimeError("handler bug")


@pytest.fixture
def echo() -> Iterator[Echo]:
    with Echo() as fake:
        yield fake


def test_parse_nested_decodes_stripe_style_keys() -> None:
    pairs = [
        ("name", "Ada"),
        ("metadata[local_id]", "42"),
        ("metadata[source]", "ffdesk"),
        ("expand[]", "a"),
        ("expand[]", "b"),
        ("items[0][price]", "p1"),
        ("odd]key[", "x"),
    ]
    assert parse_nested(pairs) == {
        "name": "Ada",
        "metadata": {"local_id": "42", "source": "ffdesk"},
        "expand": ["a", "b"],
        "items": {"0": {"price": "p1"}},
        "odd]key[": "x",
    }


def test_routes_query_form_json_and_log(echo: Echo) -> None:
    with httpx.Client(base_url=echo.url) as c:
        r = c.get("/items/abc", params=[("tag", "x"), ("tag", "y"), ("one", "1")])
        assert r.status_code == 200
        assert r.headers["X-Item"] == "abc"
        assert r.json() == {"query": {"tag": ["x", "y"], "one": ["1"]}}
        r = c.post("/echo", data={"metadata[k]": "v", "a": "1"})
        assert r.status_code == 201
        assert r.json() == {"form": {"metadata": {"k": "v"}, "a": "1"}, "json": None}
        r = c.post("/echo", json={"x": [1, 2]})
        assert r.json() == {"form": {}, "json": {"x": [1, 2]}}
        assert c.get("/nowhere").status_code == 404
        assert c.delete("/echo").status_code == 404  # path known, method not
    assert echo.log == [
        ("GET", "/items/abc"),
        ("POST", "/echo"),
        ("POST", "/echo"),
        ("GET", "/nowhere"),
        ("DELETE", "/echo"),
    ]
    assert echo.requests[1].headers["content-type"] == "application/x-www-form-urlencoded"
    assert echo.count("POST", "/echo") == 2
    assert echo.count(path_prefix="/items") == 1


def test_malformed_json_is_a_400(echo: Echo) -> None:
    with httpx.Client(base_url=echo.url) as c:
        r = c.post("/echo", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "malformed JSON" in r.json()["error"]


def test_handler_crash_answers_500_and_is_recorded(echo: Echo) -> None:
    with httpx.Client(base_url=echo.url) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert "handler bug" in r.text
    assert len(echo.errors) == 1


def test_add_route_overrides_class_route(echo: Echo) -> None:
    echo.add_route("GET", r"/items/special", lambda req: (418, {}, "teapot"))
    with httpx.Client(base_url=echo.url) as c:
        assert c.get("/items/special").status_code == 418
        assert c.get("/items/plain").status_code == 200


def test_a_frozen_listing_answers_its_first_page_whatever_is_asked(echo: Echo) -> None:
    echo.freeze_listing("/items/a")
    with httpx.Client(base_url=echo.url) as c:
        first = c.get("/items/a", params={"cursor": "1"}).json()
        again = c.get("/items/a", params={"cursor": "2"}).json()
        other = c.get("/items/b", params={"cursor": "2"}).json()
    assert first == again == {"query": {"cursor": ["1"]}}
    assert other == {"query": {"cursor": ["2"]}}  # other paths are not frozen
    assert echo.count("GET", "/items/a") == 2  # still logged


def test_restart_keeps_port_and_stop_is_idempotent() -> None:
    fake = Echo()
    with pytest.raises(RuntimeError):
        _ = fake.url
    fake.start()
    url = fake.url
    fake.stop()
    fake.stop()
    assert not fake.running
    with fake:
        assert fake.url == url
        assert httpx.get(f"{url}/items/x").status_code == 200


def test_many_requests_at_concurrency_8(stripe: FakeStripe, client: httpx.Client) -> None:
    def one(i: int) -> str:
        r = create(client, f"k{i}", email=f"c{i}@example.com", **{"metadata[local_id]": str(i)})
        assert r.status_code == 200
        return r.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(1000)))
    assert len(set(ids)) == 1000
    assert stripe.creates == 1000
    assert stripe.errors == []


# -- Stripe: auth and shapes --------------------------------------------------------------------


def test_mask_key() -> None:
    assert mask_key("sk_test_1234abcd") == "sk_test_****abcd"
    assert mask_key("rk_live_0123456789") == "rk_live_******6789"
    assert mask_key("abc") == "***"


def test_wrong_key_is_rejected_with_masked_key(stripe: FakeStripe) -> None:
    r = httpx.get(f"{stripe.url}/v1/balance", headers={"Authorization": "Bearer sk_test_1234abcd"})
    assert r.status_code == 401
    assert r.json() == {
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid API Key provided: sk_test_****abcd",
        }
    }


def test_missing_key_is_rejected(stripe: FakeStripe) -> None:
    r = httpx.post(f"{stripe.url}/v1/customers", data={"name": "x"})
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You did not provide an API key.")
    assert stripe.customers == {}


def test_basic_auth_with_key_as_username(stripe: FakeStripe) -> None:
    r = httpx.get(f"{stripe.url}/v1/balance", auth=(KEY, ""))
    assert r.status_code == 200


def test_balance(client: httpx.Client) -> None:
    r = client.get("/v1/balance")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "balance"
    assert body["livemode"] is False
    assert body["available"][0] == {"amount": 0, "currency": "usd", "source_types": {"card": 0}}
    assert body["pending"][0]["currency"] == "usd"
    assert r.headers["Request-Id"].startswith("req_")


def test_unknown_url(client: httpx.Client) -> None:
    r = client.get("/v1/nothing")
    assert r.status_code == 404
    assert r.json()["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nothing)")


def test_customer_create_get_update(stripe: FakeStripe, client: httpx.Client) -> None:
    r = create(
        client,
        name="Ada Lovelace",
        email="ada@example.com",
        phone="+441234",
        **{
            "metadata[local_id]": "7",
            "metadata[source]": "ffdesk",
        },
    )
    assert r.status_code == 200
    customer = r.json()
    assert customer["id"].startswith("cus_") and len(customer["id"]) == 18
    assert customer["object"] == "customer"
    assert isinstance(customer["created"], int)
    assert customer["livemode"] is False
    assert (customer["name"], customer["email"], customer["phone"]) == (
        "Ada Lovelace",
        "ada@example.com",
        "+441234",
    )
    assert customer["metadata"] == {"local_id": "7", "source": "ffdesk"}
    assert client.get(f"/v1/customers/{customer['id']}").json() == customer

    r = client.post(
        f"/v1/customers/{customer['id']}",
        data={"name": "Ada King", "phone": "", "metadata[source]": "", "metadata[x]": "1"},
    )
    assert r.status_code == 200
    updated = r.json()
    assert updated["name"] == "Ada King"
    assert updated["phone"] is None
    assert updated["metadata"] == {"local_id": "7", "x": "1"}
    assert stripe.customers[customer["id"]] == updated
    assert (stripe.creates, stripe.updates) == (1, 1)


def test_unknown_customer_is_resource_missing(stripe: FakeStripe, client: httpx.Client) -> None:
    for r in (
        client.post("/v1/customers/cus_nope", data={"name": "x"}),
        client.get("/v1/customers/cus_nope"),
    ):
        assert r.status_code == 404
        error = r.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "resource_missing"
        assert error["message"] == "No such customer: 'cus_nope'"
        assert error["param"] == "id"
    assert stripe.updates == 0


def test_unknown_parameter_and_bad_email(client: httpx.Client) -> None:
    r = create(client, nmae="typo")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "parameter_unknown"
    assert r.json()["error"]["param"] == "nmae"
    r = create(client, email="not-an-email")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "email_invalid"
    r = client.get("/v1/customers", params={"page": "2"})
    assert r.status_code == 400


def test_delete_customer(stripe: FakeStripe, client: httpx.Client) -> None:
    customer_id = create(client, name="x").json()["id"]
    r = client.delete(f"/v1/customers/{customer_id}")
    assert r.json() == {"id": customer_id, "object": "customer", "deleted": True}
    assert client.get(f"/v1/customers/{customer_id}").json()["deleted"] is True
    assert client.get("/v1/customers").json()["data"] == []
    assert stripe.customers == {}


# -- Stripe: lists and paging -------------------------------------------------------------------


def test_customer_paging_across_250(stripe: FakeStripe, client: httpx.Client) -> None:
    created = [create(client, name=f"c{i}").json()["id"] for i in range(250)]
    seen: list[str] = []
    has_more_flags = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.get("/v1/customers", params=params).json()
        assert page["object"] == "list" and page["url"] == "/v1/customers"
        seen += [c["id"] for c in page["data"]]
        has_more_flags.append(page["has_more"])
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == created[::-1]  # newest first, exact order
    assert len(set(seen)) == 250
    assert has_more_flags == [True, True, False]

    default = client.get("/v1/customers").json()
    assert [c["id"] for c in default["data"]] == created[::-1][:10]
    assert default["has_more"] is True

    before = client.get("/v1/customers", params={"ending_before": created[5], "limit": 3}).json()
    assert [c["id"] for c in before["data"]] == [created[8], created[7], created[6]]
    assert before["has_more"] is True


def test_list_limit_and_cursor_validation(client: httpx.Client) -> None:
    r = client.get("/v1/customers", params={"limit": 101})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "limit"
    assert client.get("/v1/customers", params={"limit": 0}).status_code == 400
    assert client.get("/v1/customers", params={"limit": "x"}).status_code == 400
    r = client.get("/v1/customers", params={"starting_after": "cus_gone"})
    assert r.json()["error"]["code"] == "resource_missing"


def test_customer_list_email_filter(client: httpx.Client) -> None:
    create(client, email="a@example.com")
    wanted = create(client, email="b@example.com").json()["id"]
    page = client.get("/v1/customers", params={"email": "b@example.com"}).json()
    assert [c["id"] for c in page["data"]] == [wanted]


def test_payment_intents_created_filter_and_paging(
    stripe: FakeStripe, client: httpx.Client
) -> None:
    base = 1_700_000_000
    # Added out of order: the list must still come newest first by `created`.
    intents = [stripe.add_payment_intent(amount=100 + i, created=base + i) for i in range(0, 30, 2)]
    intents += [
        stripe.add_payment_intent(amount=100 + i, created=base + i) for i in range(1, 30, 2)
    ]
    stripe.add_payment_intent(
        amount=5, currency="EUR", status="requires_payment_method", created=base - 1
    )

    r = client.get("/v1/payment_intents", params={"created[gte]": base + 20, "limit": 4})
    page = r.json()
    assert [pi["created"] for pi in page["data"]] == [base + 29, base + 28, base + 27, base + 26]
    assert page["has_more"] is True
    got: list[int] = []
    params: dict[str, Any] = {"created[gte]": base + 20, "created[lte]": base + 25, "limit": 4}
    while True:
        page = client.get("/v1/payment_intents", params=params).json()
        got += [pi["created"] for pi in page["data"]]
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert got == [base + t for t in range(25, 19, -1)]

    intent = intents[0]
    assert intent["id"].startswith("pi_")
    fetched = client.get(f"/v1/payment_intents/{intent['id']}").json()
    assert {k: fetched[k] for k in ("object", "amount", "currency", "status", "livemode")} == {
        "object": "payment_intent",
        "amount": 100,
        "currency": "usd",
        "status": "succeeded",
        "livemode": False,
    }
    assert {"created", "customer", "description"} <= fetched.keys()
    oldest = client.get("/v1/payment_intents", params={"created[lt]": base}).json()["data"]
    assert [(pi["currency"], pi["amount_received"]) for pi in oldest] == [("eur", 0)]
    r = client.get("/v1/payment_intents", params={"created[gte]": "soon"})
    assert r.status_code == 400


# -- Stripe: idempotency ------------------------------------------------------------------------


def test_idempotent_replay(stripe: FakeStripe, client: httpx.Client) -> None:
    first = create(client, "contact-1", name="Ada", **{"metadata[local_id]": "1"})
    second = create(client, "contact-1", name="Ada", **{"metadata[local_id]": "1"})
    assert first.status_code == second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(stripe.customers) == 1
    assert (stripe.creates, stripe.replays) == (1, 1)


def test_idempotency_key_with_other_params_is_an_error(
    stripe: FakeStripe, client: httpx.Client
) -> None:
    create(client, "contact-1", name="Ada")
    r = create(client, "contact-1", name="Grace")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "idempotency_error"
    assert "same parameters" in error["message"]
    customer_id = next(iter(stripe.customers))
    r = client.post(
        f"/v1/customers/{customer_id}",
        data={"name": "Ada"},
        headers={"Idempotency-Key": "contact-1"},
    )
    assert r.json()["error"]["type"] == "idempotency_error"
    assert len(stripe.customers) == 1


def test_validation_errors_are_not_saved_for_replay(
    stripe: FakeStripe, client: httpx.Client
) -> None:
    assert create(client, "k", email="bad").status_code == 400
    assert create(client, "k", email="good@example.com").status_code == 200


# -- faults -------------------------------------------------------------------------------------


def test_fail_next_429_with_retry_after(stripe: FakeStripe, client: httpx.Client) -> None:
    stripe.fail_next(2, status=429, headers={"Retry-After": "1"}, path_prefix="/v1/customers")
    assert client.get("/v1/balance").status_code == 200  # other paths unaffected
    for _ in range(2):
        r = create(client, "k1", name="Ada")
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "1"
        assert r.json()["error"]["code"] == "rate_limit"
    assert stripe.customers == {}
    r = create(client, "k1", name="Ada")
    assert r.status_code == 200
    assert "Idempotent-Replayed" not in r.headers  # failures are not saved under the key
    assert stripe.count("POST", "/v1/customers") == 3
    assert stripe.pending_faults == 0


def test_fail_next_custom_body_and_method_filter(stripe: FakeStripe, client: httpx.Client) -> None:
    stripe.fail_next(1, status=503, body="down", method="post")
    assert client.get("/v1/customers").status_code == 200
    r = create(client, name="x")
    assert (r.status_code, r.text) == (503, "down")
    stripe.fail_next(1, status=502)
    assert client.get("/v1/balance").json()["error"]["type"] == "api_error"


def test_drop_next_closes_without_answer(stripe: FakeStripe, client: httpx.Client) -> None:
    assert client.get("/v1/balance").status_code == 200  # a pooled keep-alive connection
    stripe.drop_next(1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        create(client, "k1", name="Ada")
    assert stripe.customers == {}
    assert create(client, "k1", name="Ada").status_code == 200


def test_drop_after_handling_then_retry_replays(stripe: FakeStripe, client: httpx.Client) -> None:
    stripe.drop_next(1, after=True)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        create(client, "k1", name="Ada")
    assert len(stripe.customers) == 1  # created, but the answer was lost
    r = create(client, "k1", name="Ada")
    assert r.headers["Idempotent-Replayed"] == "true"
    assert r.json()["id"] == next(iter(stripe.customers))
    assert stripe.creates == 1


def test_delay_next(stripe: FakeStripe, client: httpx.Client) -> None:
    stripe.delay_next(1, 0.3)
    started = time.monotonic()
    assert client.get("/v1/balance").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert client.get("/v1/balance").status_code == 200
    assert time.monotonic() - started < 0.3

    stripe.delay_next(1, 2.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/balance", timeout=0.1)


def test_stop_interrupts_a_delay() -> None:
    fake = FakeStripe(secret_key=KEY).start()
    fake.delay_next(1, 60)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(httpx.get(f"{fake.url}/v1/balance", auth=(KEY, ""), timeout=30))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    assert fake.wait_for(lambda: fake.count("GET") == 1, timeout=5)
    started = time.monotonic()
    fake.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    assert isinstance(outcome[0], httpx.HTTPError)


def test_wait_for(stripe: FakeStripe, client: httpx.Client) -> None:
    assert stripe.wait_for(lambda: len(stripe.customers) >= 1, timeout=0.05) is False

    def push() -> None:
        for i in range(5):
            create(client, name=f"c{i}")

    thread = threading.Thread(target=push)
    thread.start()
    assert stripe.wait_for(lambda: len(stripe.customers) >= 5, timeout=5)
    thread.join()
    assert stripe.creates == 5


def test_standalone_main() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.stripe",
            "--port",
            "0",
            "--secret-key",
            KEY,
            "--payment-intents",
            "3",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = httpx.get(f"{url}/v1/payment_intents", auth=(KEY, ""))
        assert len(r.json()["data"]) == 3
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
