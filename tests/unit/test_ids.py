import pytest

from bridge.ids import CorrelationIds, InvalidId, validate_id


@pytest.mark.parametrize("good", ["42", "a", "A-b_c.d:e", "x" * 128, "0"])
def test_accepts_valid_ids(good):
    assert validate_id(good) == good


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "empty"),
        ("x" * 129, "longer than 128"),
        ("a/b", "only contain"),
        ("a b", "only contain"),
        ("a\x00", "only contain"),
        ("é", "only contain"),
        ("42\n", "only contain"),
    ],
)
def test_rejects_invalid_ids_saying_why(bad, reason):
    with pytest.raises(InvalidId, match=reason):
        validate_id(bad)


def test_correlation_ids_are_unique_within_and_across_processes():
    a, b = CorrelationIds(), CorrelationIds()
    ids = {a.next() for _ in range(1000)} | {b.next() for _ in range(1000)}
    assert len(ids) == 2000
    assert a.instance != b.instance
