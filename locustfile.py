"""An open-model attack on ``GET /inquiry/<id>``, recorded as vegeta records it.

    locust -f locustfile.py --headless --host http://127.0.0.1:8080 --rps 1000 --dur 10s \\
        --vegeta-out results.bin [--vegeta-format gob|json|csv] [--processes N]

Requests start on a fixed schedule (``--rps`` for ``--dur``, or Locust's
``--run-time``) whether or not earlier ones have returned; ids are drawn
uniformly from ``[0, --vars)``; ``--host`` defaults to http://localhost:8080.
The run ends once the last request has returned or timed out (``--timeout``)
and prints vegeta's text report, the only output on stdout (Locust logs and
prints its statistics on stderr); ``--vegeta-out`` gets every request's
result.  With ``--processes N`` each of the N workers sends every N-th
request.  Every option is also an environment variable (``LOCUST_RPS``...).
See ``bridge/loadtest``.
"""

# Locust first: importing it monkey-patches the standard library for gevent.
from locust import User, constant, events, task

from bridge.loadtest.session import OpenModelSession

session = OpenModelSession(path="/inquiry/{}".format, name="/inquiry/[id]")
session.install(events)


class InquiryAttacker(User):
    """One per process; its task runs the process's share of the schedule, then stops the user."""

    wait_time = constant(0)

    @task
    def attack(self) -> None:
        session.run_share(self)
