import pytest

from bridge.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("0s", 0.0),
        ("250ms", 0.25),
        ("3s", 3.0),
        ("1m", 60.0),
        ("1h2m3.5s", 3723.5),
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("10us", 1e-5),
        ("10µs", 1e-5),
        ("7ns", 7e-9),
        ("+2s", 2.0),
    ],
)
def test_parses_go_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "3", "s", "3 s", "3x", "-1s", "1s2", "ms"])
def test_rejects_what_go_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)
