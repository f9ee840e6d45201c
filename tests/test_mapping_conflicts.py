"""Issue 9.2: a remote id already linked to another record fails that record, in words.

And a message Twilio accepted is never shown as not sent, and never sent twice.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ffdesk.sync import RunState
from tests.fakes import stripe, twilio
from tests.helpers.provider_env import ProviderEnv, provider_env
from tests.helpers.providers import MESSAGES, SCENARIOS, STRIPE_KEY, enabled

BY_ID = {s.identifier: s for s in SCENARIOS}
RAW = ("IntegrationMapper", "already exists", "must be unique", "Error")


async def log_of(env: ProviderEnv, run_id: int) -> str:
    run = await env.model("SyncRun").get(run_id)
    return "\n".join(run.log or [])


def test_a_customer_already_linked_to_another_contact_fails_only_that_contact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with stripe.FakeStripe(secret_key=STRIPE_KEY, seed=6) as fake:
            async with provider_env(tmp_path, "payment_stripe", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["payment_stripe"])
                [first] = await env.add_contacts(1)
                assert (await env.sync()).created == 1
                taken = (await env.mappings("Contact"))[str(first.id)]

                def same_customer(request: Any) -> Any:  # Stripe answers an existing customer
                    return 200, {}, fake.customers[taken]

                fake.add_route("POST", r"/v1/customers", same_customer)
                Contact = env.model("Contact")
                second = await Contact.create(
                    name="Second", email="second@example.org", company=env.system.env.cid
                )
                outcome = await env.sync()
                log = await log_of(env, outcome.run_id)
                links = await env.mappings("Contact")
        assert outcome.state == RunState.DONE  # the run goes on; only this contact failed
        assert outcome.failed == 1
        assert (
            f"Stripe answered with customer {taken} for contact #{second.id}, but {taken} is "
            f"already linked to contact #{first.id}; contact #{second.id} was not linked"
        ) in log
        assert not any(raw in log for raw in RAW), log
        assert links == {str(first.id): taken}

    asyncio.run(run())


async def queue(env: ProviderEnv, *numbers: str) -> list[Any]:
    Message = env.model("Message")
    return [await Message.create(to=n, body=f"Hi {n}", company=env.system.env.cid) for n in numbers]


def test_twilio_answering_a_sid_linked_to_another_message_keeps_it_sent_and_never_resends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with twilio.FakeTwilio(seed=6) as fake:
            first_answer: list[Any] = []

            def same_sid(request: Any) -> Any:  # Twilio sends each, but answers the first sid
                status, headers, body = fake.create_message(request)
                if not first_answer:
                    first_answer.append(body)
                return status, headers, first_answer[0]

            fake.add_route("POST", MESSAGES, same_sid)
            async with provider_env(tmp_path, "sms_twilio", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["sms_twilio"])
                # One recipient: its messages go out in order, so #one is answered first.
                one, two = await queue(env, "+14155550001", "+14155550001")
                outcome = await env.sync()
                log = await log_of(env, outcome.run_id)
                Message = env.model("Message")
                second = await Message.get(two.id)
                again = await env.sync()
                posts = fake.count("POST", MESSAGES)
                second_later = await Message.get(two.id)
        sid = first_answer[0]["sid"]
        assert outcome.state == RunState.DONE and outcome.failed == 1
        assert (
            f"Twilio answered with message {sid} for message #{two.id}, but {sid} is already "
            f"linked to message #{one.id}"
        ) in log
        assert not any(raw in log for raw in RAW), log
        assert second.status == "sent" and second.remote_id is None
        assert "not linked" in (second.error or "")
        assert posts == 2  # each message sent once, the second never again
        assert again.failed == 0
        assert second_later.status == "sent"
        assert "no such message" not in (second_later.error or "")

    asyncio.run(run())


def test_twilio_accepting_a_message_with_an_unreadable_answer_never_sends_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with twilio.FakeTwilio(seed=6) as fake:
            async with provider_env(tmp_path, "sms_twilio", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["sms_twilio"])
                [message] = await queue(env, "+14155550009")
                fake.fail_next(
                    1, 201, b"<html>Accepted</html>", {"Content-Type": "text/html"},
                    path_prefix=MESSAGES, method="POST",
                )  # fmt: skip
                outcome = await env.sync()
                again = await env.sync()
                after = await env.model("Message").get(message.id)
                posts = fake.count("POST", MESSAGES)
        assert outcome.failed == 1 and again.failed == 0
        assert posts == 1
        assert after.status == "sent"
        assert after.error.startswith("Twilio accepted the message but its answer could not")

    asyncio.run(run())
