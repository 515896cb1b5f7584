"""One open-model attack across Locust's processes: plans out, results back, one vegeta file, then the end.

Two roles, by runner:

- the *coordinator* (LocalRunner, or the MasterRunner of ``--processes N``)
  reads the options and, at test start, sends every load-generating process
  its ``Plan`` (message ``open_model:plan``): share ``k`` of ``N`` takes every
  N-th request of the global schedule, from a common start.  It spools the
  result batches (``open_model:results``) and waits for each share's summary
  (``open_model:done``).  When all are in, or at a deadline should a worker
  vanish, it logs the pace (warning when it fell behind), writes
  ``--vegeta-out``, renders vegeta's text report and stops Locust.  A
  headless run prints the report on stdout as Locust exits; it is all that
  stdout carries, as Locust logs and prints its statistics on stderr;
- a *generator* (LocalRunner or WorkerRunner) runs its plan in its one User
  and sends every Result back.

On a LocalRunner Locust's ``send_message`` calls the local listener directly,
so one process plays both roles through the same code.  Exactly one User per
process: the coordinator sets ``--users`` to the number of processes.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import gevent
from locust import User
from locust.env import Environment
from locust.event import Events
from locust.exception import StopUser
from locust.rpc.protocol import Message
from locust.runners import LocalRunner, MasterRunner, Runner, WorkerRunner

from bridge.loadtest.attack import Attack
from bridge.loadtest.collect import Packed, Spool, export, pack
from bridge.loadtest.options import DEFAULT_HOST, AttackConfig, OptionError, Plan, add_arguments, check_host
from bridge.loadtest.pacing import behind_schedule, late_starts
from bridge.vegeta.report import render
from bridge.vegeta.result import Result

logger = logging.getLogger(__name__)

PLAN = "open_model:plan"
RESULTS = "open_model:results"
DONE = "open_model:done"

# Results go to the coordinator at most this many at a time, and at least every
# _BATCH_AGE seconds: few messages, and little lost should a worker die.
_BATCH = 1000
_BATCH_AGE = 1.0
# Between the master's plans and the first due request: workers must first receive
# their spawn message and start their User, or they begin behind and burst.
_START_LEAD = 0.5
# Past the last request's own deadline, how long the coordinator waits for a share's
# last batches before it gives up on that share.
_DEADLINE_SLACK = 10.0

# Why a run ended, as its summary line says.
_ALL_DONE = "all shares done"
_DEADLINE_PASSED = "deadline passed"
_INTERRUPTED = "interrupted"


class _Batches:
    """A generator's outbox: results packed and sent to the coordinator in batches."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._batch: list[Packed] = []
        self._sent_at = time.monotonic()

    def add(self, result: Result) -> None:
        self._batch.append(pack(result))
        if len(self._batch) >= _BATCH or time.monotonic() - self._sent_at >= _BATCH_AGE:
            self.flush()

    def flush(self) -> None:
        self._sent_at = time.monotonic()
        if self._batch:
            batch, self._batch = self._batch, []  # a LocalRunner hands the very list over
            self._runner.send_message(RESULTS, batch)


@dataclass
class _Run:
    """The coordinator's state for one test run."""

    config: AttackConfig
    shares: int
    spool: Spool = field(default_factory=Spool)
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    finished: bool = False
    watchdog: gevent.Greenlet | None = None


class OpenModelSession:
    """Locust wiring of the open-model attack; ``install`` it on ``locust.events`` in the locustfile.

    ``path(id)`` is the request path for an id drawn from ``[0, --vars)``;
    ``name`` groups all requests in Locust's own statistics.
    """

    def __init__(self, path: Callable[[int], str], name: str) -> None:
        self._path = path
        self._name = name
        self._environment: Environment | None = None
        self._plan: Plan | None = None  # a generator's next share, until its User takes it
        self._share: tuple[Attack, _Batches] | None = None  # a generator's share while it runs
        self._run: _Run | None = None  # the coordinator's current run
        self._report = ""  # a headless run's report, printed as Locust exits

    def install(self, events: Events) -> None:
        """Register the options and the listeners."""
        events.init_command_line_parser.add_listener(add_arguments)
        events.init.add_listener(self._on_init)
        events.test_start.add_listener(self._on_test_start)
        events.quitting.add_listener(self._on_quitting)
        events.quit.add_listener(self._on_quit)

    # --- both roles -----------------------------------------------------------

    def _on_init(self, environment: Environment, runner: Runner, **_: Any) -> None:
        self._environment = environment
        if isinstance(runner, LocalRunner | WorkerRunner):
            runner.register_message(PLAN, self._on_plan)
        if isinstance(runner, LocalRunner | MasterRunner):
            runner.register_message(RESULTS, self._on_results)
            runner.register_message(DONE, self._on_done)
            self._prepare(environment, runner)

    # --- the coordinator ------------------------------------------------------

    def _prepare(self, environment: Environment, runner: Runner) -> None:
        """Check the options now rather than at test start, and fit Locust's own to the attack."""
        options = environment.parsed_options
        if options is None:
            return  # Locust used as a library: nothing to adapt
        try:
            config = AttackConfig.from_options(options)
            environment.host = check_host(environment.host or DEFAULT_HOST)
        except OptionError as exc:
            raise SystemExit(f"open model: {exc}") from exc
        if options.run_time:
            logger.info(
                "open model: sending for --run-time %s s; Locust stops once the requests have returned",
                options.run_time,
            )
            options.dur = f"{options.run_time}s"
            # Locust's own timer would quit before the requests in flight have returned.
            options.run_time = None
        processes = options.expect_workers if isinstance(runner, MasterRunner) else 1
        if options.num_users not in (None, processes):
            logger.warning(
                "open model: --users %s ignored: one user per process runs its share of the schedule", options.num_users
            )
        options.num_users = processes
        options.spawn_rate = processes  # all at once: every share starts at the common start
        logger.info(
            "open model: %g req/s for %g s = %d requests to %s, %d process(es)",
            config.rate,
            config.duration,
            config.total,
            environment.host,
            processes,
        )

    def _on_test_start(self, environment: Environment, **_: Any) -> None:
        runner = environment.runner
        if not isinstance(runner, LocalRunner | MasterRunner) or environment.parsed_options is None:
            return
        config = AttackConfig.from_options(environment.parsed_options)  # again: the web UI may have changed them
        host = check_host(environment.host or DEFAULT_HOST)
        if isinstance(runner, MasterRunner):
            workers = runner.clients.ready + runner.clients.running + runner.clients.spawning
            nodes: list[str | None] = sorted((w.id for w in workers), key=runner.get_worker_index)
            start: float | None = time.time() + _START_LEAD
        else:
            nodes, start = [None], None
        run = _Run(config, shares=len(nodes))
        self._run = run
        for offset, node in enumerate(nodes):
            plan = Plan.share(config, host, offset, len(nodes), start)
            runner.send_message(PLAN, plan.as_message(), client_id=node)
        lead = start - time.time() if start is not None else 0.0
        limit = lead + config.total / config.rate + config.timeout + _DEADLINE_SLACK
        run.watchdog = gevent.spawn_later(limit, self._finish, run, _DEADLINE_PASSED)

    def _on_results(self, environment: Environment, msg: Message, **_: Any) -> None:
        run = self._run
        if run is not None and not run.finished:
            run.spool.add(msg.data)

    def _on_done(self, environment: Environment, msg: Message, **_: Any) -> None:
        run = self._run
        if run is None or run.finished:
            return
        run.done[msg.node_id] = msg.data
        if len(run.done) >= run.shares:
            # Not in this listener's greenlet: stopping Locust kills the runner's greenlets.
            gevent.spawn(self._finish, run, _ALL_DONE)

    def _finish(self, run: _Run, reason: str, stop_locust: bool = True) -> None:
        """Account for the run, write its vegeta file and report, and (normally) stop Locust."""
        if run.finished:
            return
        run.finished = True
        if run.watchdog is not None and run.watchdog is not gevent.getcurrent():
            run.watchdog.kill(block=False)
        environment = self._environment
        assert environment is not None and environment.runner is not None, "finish before init"
        self._account(run, reason)
        if reason == _DEADLINE_PASSED:
            environment.process_exit_code = 1  # results are missing: not a run to trust
        config = run.config
        if config.out:
            try:
                written = export(run.spool, config.out, config.fmt)
            except OSError as exc:
                logger.error("open model: cannot write --vegeta-out %s: %s", config.out, exc)
                environment.process_exit_code = 1
            else:
                logger.info("open model: wrote %d results to %s (%s)", written, config.out, config.fmt)
        report = render(run.spool, "text")
        run.spool.close()
        headless = bool(environment.parsed_options and environment.parsed_options.headless)
        if headless:
            self._report = report
        else:
            sys.stdout.write(report)
            sys.stdout.flush()
        if stop_locust and headless:
            environment.runner.quit()
        elif stop_locust:
            environment.runner.stop()  # the web UI stays up for the next run

    def _account(self, run: _Run, reason: str) -> None:
        """Log how the sending went, with a warning when it fell behind the target rate."""
        config = run.config
        sent = sum(summary["sent"] for summary in run.done.values())
        lag = max((summary["max_lag"] for summary in run.done.values()), default=0.0)
        pace = run.spool.pace
        logger.info(
            "open model (%s): sent %d of %d planned requests; %d results; first to last start %.3f s = %.1f req/s, "
            "target %g req/s; worst start delay %.1f ms",
            reason,
            sent,
            config.total,
            pace.sent,
            pace.span,
            pace.rate,
            config.rate,
            lag * 1000,
        )
        if len(run.done) < run.shares:
            # The pace of the shares that did report says nothing about the whole.
            logger.warning(
                "open model: %d of %d shares did not report; their results are missing",
                run.shares - len(run.done),
                run.shares,
            )
            return
        for warning in (behind_schedule(pace, config.rate), late_starts(lag)):
            if warning:
                logger.warning("open model: %s", warning)
        if pace.sent != sent:
            logger.warning("open model: %d results arrived for %d requests sent", pace.sent, sent)

    def _on_quitting(self, environment: Environment, **_: Any) -> None:
        # Ctrl+C or SIGTERM before the end: keep what has been collected.  Only a
        # LocalRunner can still hand over its own share's unsent results here.
        run = self._run
        if run is None or run.finished:
            return
        if self._share is not None and isinstance(environment.runner, LocalRunner):
            attack, outbox = self._share
            outbox.flush()
            run.done.setdefault("local", asdict(attack.summary()))
        self._finish(run, _INTERRUPTED, stop_locust=False)

    def _on_quit(self, **_: Any) -> None:
        if self._report:
            sys.stdout.write(self._report)
            sys.stdout.flush()

    # --- a generator ----------------------------------------------------------

    def _on_plan(self, environment: Environment, msg: Message, **_: Any) -> None:
        self._plan = Plan.from_message(msg.data)

    def run_share(self, user: User) -> None:
        """Run this process's share in ``user``'s task, send the results, and end the user (StopUser)."""
        plan, self._plan = self._plan, None
        runner = user.environment.runner
        if plan is None or runner is None:
            # A second User on this process, or a start without a plan: nothing to send.
            logger.error("open model: no plan for this user; run with --users equal to the number of processes")
            raise StopUser()
        outbox = _Batches(runner)
        request_event = user.environment.events.request
        name = self._name

        def emit(result: Result) -> None:
            outbox.add(result)
            request_event.fire(
                request_type=result.method,
                name=name,
                response_time=result.latency / 1e6,
                response_length=result.bytes_in,
                # Locust groups failures by text: without the URL they group by kind, not by request.
                exception=result.error.replace(f' "{result.url}"', "") if result.error else None,
                context={},
                url=result.url,
                start_time=result.timestamp / 1e9,
                response=None,
            )

        attack = Attack(plan, self._path, emit)
        self._share = attack, outbox
        try:
            summary = attack.run()
        finally:
            self._share = None
        outbox.flush()
        runner.send_message(DONE, asdict(summary))
        raise StopUser()
