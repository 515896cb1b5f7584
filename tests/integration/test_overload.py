"""Overload: past BRIDGE_MAX_IN_FLIGHT a process turns requests away at once with 503 and Retry-After."""

from __future__ import annotations

import pytest

from .traffic import Tally, health, send

pytestmark = pytest.mark.integration

BOUND = 50
DELAY = 2.0


def test_requests_beyond_the_bound_get_503_at_once_and_service_resumes(topic, env_for, launch):
    env = env_for(topic, BRIDGE_MAX_IN_FLIGHT=str(BOUND), BRIDGE_TIMEOUT="10s")
    launch.consumer(env, "--min-delay", f"{DELAY}s", group=f"{topic}-group")
    server = launch.daphne(env)
    # Three times the bound, all at once: while the first ones wait out the consumer's delay, the rest are excess.
    outcomes = send(server.port, 3 * BOUND, 1000, timeout=20, workers=3 * BOUND, ids=lambda n: f"burst-{n}")
    tally = Tally("overload (bound 50)", 10.0, 2.0, outcomes)
    tally.assert_none_lost()
    accepted = [o for o in outcomes if o.status == 200]
    turned_away = [o for o in outcomes if o.status == 503]
    assert len(accepted) + len(turned_away) == len(outcomes), tally.by_status
    # The first BOUND requests to reach the process are all taken.
    assert len(accepted) >= BOUND
    assert all(o.json()["ID"] == o.inquiry_id for o in accepted)
    assert all(o.seconds >= DELAY for o in accepted)
    if max(o.started for o in outcomes) < DELAY / 2:
        # Every request arrived while the first BOUND still waited: exactly BOUND could be taken.
        assert len(accepted) == BOUND
    assert turned_away
    for o in turned_away:
        assert o.headers["retry-after"] == "1"
        assert "too many requests" in o.json()["error"]
        # Refused without waiting for any reply.
        assert o.seconds < DELAY
    assert health(server.port)["in_flight"] == 0
    # Load has fallen: requests succeed again.
    after = send(server.port, 5, 100, timeout=20, ids=lambda n: f"after-{n}")
    assert [o.status for o in after] == [200] * 5
    tally.extra.update(
        bound=BOUND,
        accepted=len(accepted),
        turned_away=len(turned_away),
        longest_503_s=round(max(o.seconds for o in turned_away), 3),
        shortest_200_s=round(min(o.seconds for o in accepted), 3),
    )
    tally.report()
