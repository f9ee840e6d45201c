"""An edit on a record changed meanwhile is refused, naming who changed it (issue 11.5)."""

from __future__ import annotations

import getpass
import re
import socket

import pytest

from ffdesk.engine.errors import UserError
from tests.helpers.env import OpenSystem, open_system_fixture  # noqa: F401


def test_a_save_over_someone_elses_change_is_refused(open_system: OpenSystem) -> None:
    opened = open_system()
    opened.install("payment_stripe")
    mine = opened.integration("payment_stripe")
    theirs = opened.integration("payment_stripe")  # another administrator's copy
    theirs.sandbox_mode = False
    opened.run(theirs.save())

    mine.sandbox_mode = True  # edited on a copy read before their save
    with pytest.raises(UserError) as refused:
        opened.run(mine.save())
    who = re.escape(f"{getpass.getuser()} on {socket.gethostname()}")
    assert re.fullmatch(
        rf"Stripe: Sandbox Mode was changed by {who} at \d\d:\d\d while you were editing; "
        r"nothing was saved\. Reload to see their change, then make yours again\.",
        str(refused.value),
    )
    assert opened.integration("payment_stripe").sandbox_mode is False  # theirs is kept

    # A fresh copy (read after their change) saves, and saves again.
    fresh = opened.integration("payment_stripe")
    fresh.sandbox_mode = True
    opened.run(fresh.save())
    fresh.sandbox_mode = False
    opened.run(fresh.save())
    assert opened.integration("payment_stripe").sandbox_mode is False
