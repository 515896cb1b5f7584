import logging

from bridge.log_filters import SkipDeliberateResponses


def _record(status):
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", (), None)
    if status is not None:
        record.status_code = status
    return record


def test_deliberate_statuses_are_dropped_and_crashes_kept():
    f = SkipDeliberateResponses()
    assert not f.filter(_record(503))
    assert not f.filter(_record(404))
    assert f.filter(_record(500))
    assert f.filter(_record(None))
