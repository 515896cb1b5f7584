from bridge.offsets import OffsetTracker


def test_offset_advances_only_over_a_finished_prefix():
    t = OffsetTracker()
    for offset in (10, 11, 12, 13):
        t.start(0, offset)
    assert t.finish(0, 12) is None
    assert t.finish(0, 11) is None
    assert t.finish(0, 10) == 13  # 10, 11 and 12 are done: the next to read is 13
    assert t.in_flight == 1
    assert t.finish(0, 13) == 14
    assert t.in_flight == 0


def test_partitions_are_independent():
    t = OffsetTracker()
    t.start(0, 5)
    t.start(1, 7)
    t.start(0, 6)
    assert t.finish(1, 7) == 8
    assert t.finish(0, 6) is None
    assert t.finish(0, 5) == 7


def test_revoked_partitions_store_nothing_more():
    t = OffsetTracker()
    t.start(3, 1)
    t.start(3, 2)
    t.forget([3])
    assert t.finish(3, 1) is None
    assert t.in_flight == 0
