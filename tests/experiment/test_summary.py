"""The experiment's pure logic: scenario sets and their expansion, goal verdicts, the summary's rendering."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bridge.experiment.sampler import Usage, listen_drops
from bridge.experiment.scenarios import GOALS, SETS, Scenario, UnknownSet, expand, load_processes
from bridge.experiment.summary import (
    LEGS,
    LegTimes,
    RunFigures,
    Summary,
    best_processes,
    ramp_verdict,
    render_markdown,
    resource_verdict,
    run_verdict,
    verdicts,
)
from bridge.vegeta.result import Result

MS = 1_000_000


def usage(
    http_conns: int = 2, http_per_process: int = 2, worker: int = 2, rss: tuple[float, float] = (90.0, 91.0)
) -> Usage:
    return Usage(
        seconds=60.0,
        cpu={"http": 30.0, "consumer": 6.0, "loadgen": 20.0, "machine": 90.0, "other": 1.0},
        rss_peak_mib={"http": rss[1], "consumer": rss[1]},
        rss_halves_mib={"http": rss, "consumer": rss},
        redis_peak={"http": http_conns, "consumer": worker},
        redis_process_peak={"http": http_per_process, "consumer": worker},
        samples=120,
    )


def run(
    scenario: Scenario, *, success: float = 1.0, p99: int = 20 * MS, processes: int = 1, use: Usage | None = None
) -> RunFigures:
    return RunFigures(
        scenario=scenario,
        processes=processes,
        load_processes=1,
        topic="exp-test-1",
        planned=scenario.requests,
        requests=scenario.requests,
        rate=scenario.rate,
        success=success,
        p50=10 * MS,
        p95=15 * MS,
        p99=p99,
        max=2 * p99,
        status_codes={"200": scenario.requests},
        errors=[],
        usage=use or usage(),
    )


A = Scenario("a", 1000, 60.0, goal="A")
B = Scenario("b", 1000, 60.0, delay=(3.0, 5.0), goal="B")
C_LOW = Scenario("c", 100, 20.0, goal="C")


# --- scenarios ----------------------------------------------------------------


def test_set_a_under_auto_runs_one_and_two_http_processes():
    runs = expand("A")
    assert [(s.name, s.processes) for s in runs] == [("a-pubsub-1000rps-1proc", 1), ("a-pubsub-1000rps-2proc", 2)]
    assert all(s.goal == "A" and s.rate == 1000 and s.duration == 60 for s in runs)


def test_fixed_processes_apply_to_every_scenario_and_a_runs_once():
    runs = expand("goals", processes=2)
    assert {s.processes for s in runs} == {2}
    assert [s.name for s in runs if s.goal == "A"] == ["a-pubsub-1000rps"]


def test_dur_replaces_every_duration():
    runs = expand("E", "10s")
    assert {s.duration for s in runs} == {10.0}
    assert runs[0].requests == runs[0].rate * 10


def test_set_e_is_the_seeds_sixteen_runs():
    runs = expand("E")
    assert len(runs) == 16 and len({s.name for s in runs}) == 16
    combos = {(s.wait, s.mode, s.rate, s.delay) for s in runs}
    assert combos == {
        (wait, mode, rate, delay)
        for wait in ("poll", "pubsub")
        for mode in ("async", "sync")
        for rate in (100, 500)
        for delay in (None, (3.0, 5.0))
    }
    assert {s.duration for s in runs} == {20.0} and {s.timeout for s in runs} == {10.0}


def test_set_d_is_a_rising_ramp_of_15_s_steps():
    runs = expand("D")
    rates = [s.rate for s in runs]
    assert rates[:3] == [400, 500, 600] and rates == sorted(rates) and rates[-1] == 2400
    assert {s.ramp for s in runs} == {"D"} and {s.duration for s in runs} == {15.0}


def test_set_c_judges_low_load_with_a_and_b():
    assert [s.goal for s in expand("C")] == ["C", "A", "B"]


def test_every_set_has_unique_names():
    for name in SETS:
        names = [s.name for s in expand(name)]
        assert len(names) == len(set(names)), name


def test_smoke_is_one_run_of_100_rps_for_3_s():
    (smoke,) = expand("smoke")
    assert (smoke.rate, smoke.duration, smoke.requests) == (100, 3.0, 300)


def test_unknown_set_and_bad_duration_are_refused():
    with pytest.raises(UnknownSet, match="choose one of"):
        expand("Z")
    with pytest.raises(ValueError):
        expand("A", "ten seconds")
    with pytest.raises(ValueError):
        expand("A", "0s")


def test_consumer_args_name_group_mode_and_delay():
    assert Scenario("x", 1, 1, sync=True, delay=(3.0, 5.0)).consumer_args("g") == (
        "--group",
        "g",
        "--sync",
        "--min-delay",
        "3s",
        "--max-delay",
        "5s",
    )
    assert Scenario("x", 1, 1).consumer_args("g") == ("--group", "g", "--async")


def test_delay_text():
    assert Scenario("x", 1, 1).delay_text == "none"
    assert Scenario("x", 1, 1, delay=(3.0, 5.0)).delay_text == "3s-5s"
    assert Scenario("x", 1, 1, delay=(0.25, 0.25)).delay_text == "0.25s"


def test_load_processes_split_above_1000_rps_unless_given():
    assert load_processes(1000, None) == 1
    assert load_processes(1200, None) == 2
    assert load_processes(1200, 1) == 1


# --- verdicts -----------------------------------------------------------------


def test_goal_a_needs_every_request_and_p99_at_most_50_ms():
    assert run_verdict(run(A, p99=50 * MS)).met
    assert not run_verdict(run(A, p99=50 * MS + 1)).met
    assert not run_verdict(run(A, success=0.9999)).met
    verdict = run_verdict(run(A, p99=12_345_678))
    assert verdict.goal == "A a" and "p99 12.346ms" in verdict.figure and "success 100.00 %" in verdict.figure


def test_goal_b_allows_p99_up_to_5_1_s():
    assert run_verdict(run(B, p99=5_100 * MS)).met
    assert not run_verdict(run(B, p99=5_101 * MS)).met


def test_run_without_goal_has_no_verdict():
    assert run_verdict(run(Scenario("x", 100, 3.0))) is None


def test_goal_c_counts_connections_per_http_process():
    ok = resource_verdict([run(C_LOW), run(A, use=usage(http_conns=4, http_per_process=2)), run(B)])
    assert ok.met and "peak 2 Redis connections per process over 3 runs at 100/1000 req/s" in ok.figure
    assert not resource_verdict([run(A, use=usage(http_per_process=3))]).met
    assert not resource_verdict([run(A, use=usage(worker=4))]).met
    assert resource_verdict([run(Scenario("x", 100, 3.0))]) is None


def test_goal_c_judges_memory_growth_under_b_only():
    assert resource_verdict([run(B, use=usage(rss=(100.0, 110.0)))]).met
    grown = resource_verdict([run(B, use=usage(rss=(100.0, 150.0)))])
    assert not grown.met and "still growing" in grown.figure
    assert resource_verdict([run(A, use=usage(rss=(100.0, 150.0)))]).met


def test_ramp_reports_the_last_passing_step():
    steps = [Scenario(f"d-{r}", r, 15.0, goal="D", ramp="D") for r in (600, 800, 1000)]
    verdict = ramp_verdict([run(steps[0]), run(steps[1]), run(steps[2], p99=150 * MS)])
    assert verdict.met and verdict.figure.startswith("highest passing rate 800 req/s; 1000 req/s missed")
    assert not ramp_verdict([run(steps[0], success=0.5)]).met
    assert "every step run passed" in ramp_verdict([run(steps[0])]).figure
    assert ramp_verdict([run(A)]) is None


def test_verdicts_list_run_goals_then_c_and_d():
    step = Scenario("d-600", 600, 15.0, goal="D", ramp="D")
    assert [v.goal for v in verdicts([run(A), run(B), run(step)])] == ["A a", "B b", "D d-600", "C", "D"]


def test_best_processes_prefers_the_goal_then_the_lower_p99():
    one, two = replace(A, name="a-1"), replace(A, name="a-2")
    assert best_processes([run(one, p99=30 * MS), run(two, p99=20 * MS, processes=2)]) == 2
    assert best_processes([run(one, p99=30 * MS), run(two, p99=60 * MS, processes=2)]) == 1
    assert best_processes([run(one, p99=70 * MS), run(two, p99=60 * MS, processes=2)]) == 2
    assert best_processes([run(one)]) is None


# --- rendering ----------------------------------------------------------------


def summary_of(*runs: RunFigures) -> Summary:
    return Summary("A", "2025-01-01 00:00:00 UTC", {"cpus": 2}, runs=list(runs))


def test_table_has_one_row_per_run_with_vegeta_rounding():
    text = render_markdown(summary_of(run(A, p99=12_345_678)))
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| scenario | wait |"))
    row = lines[lines.index(header) + 2]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:8] == ["a", "pubsub", "async", "none", "1", "1000", "1000.00", "100.00 %"]
    assert cells[8:12] == ["10ms", "15ms", "12.346ms", "24.691ms"]
    # 30 CPU-s over 60,000 requests: 0.5 CPU-s per 1,000.
    assert cells[12:] == ["0.500", "0.100", "2 (2)", "2", "91", "91"]
    assert len(cells) == len(header.strip("|").split("|"))


def test_markdown_lists_goals_and_notes():
    low = run(A, p99=60 * MS)
    low.load_warnings.append("behind schedule: sent 100 requests")
    text = render_markdown(summary_of(low))
    assert "- **A a**: MISSED — success 100.00 %, p99 60ms" in text
    assert "- **C**: MET" in text
    assert "- a: behind schedule: sent 100 requests" in text


def test_json_holds_runs_verdicts_and_goals(tmp_path):
    markdown, data = summary_of(run(A), run(B)).write(tmp_path)
    assert markdown.read_text(encoding="utf-8").startswith("# Experiment `A`")
    parsed = json.loads(data.read_text(encoding="utf-8"))
    assert [r["name"] for r in parsed["runs"]] == ["a", "b"]
    assert parsed["runs"][0]["verdict"]["met"] is True
    assert parsed["runs"][0]["cpu_per_1k"]["http"] == pytest.approx(0.5)
    assert {g["goal"] for g in parsed["goals"]} == {"A a", "B b", "C"}
    assert GOALS["A"].max_p99 == 0.050


def test_legs_split_latency_by_the_times_in_the_reply():
    legs = LegTimes()
    start = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z
    body = b'{"ID":"1","RequestedAt":"2023-11-14T22:13:20.002000Z","ProcessedAt":"2023-11-14T22:13:20.010000Z"}'
    legs.add(Result(code=200, timestamp=start, latency=15 * MS, body=body))
    legs.add(Result(code=504, timestamp=start, latency=10_000 * MS, body=b'{"error": "no reply"}'))
    legs.add(Result(code=200, timestamp=start, latency=15 * MS, body=b"not json"))
    figures = legs.figures()
    assert list(figures) == list(LEGS)
    assert [round(p50, 3) for p50, _ in figures.values()] == [2.0, 8.0, 5.0]
    assert LegTimes().figures() == {}


def test_listen_drops_reads_tcpext_of_netstat(tmp_path):
    netstat = tmp_path / "netstat"
    netstat.write_text(
        "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 3 40 41\nIpExt: InNoRoutes\nIpExt: 0\n",
        encoding="ascii",
    )
    assert listen_drops(str(netstat)) == 41
    assert listen_drops(str(tmp_path / "missing")) == 0
