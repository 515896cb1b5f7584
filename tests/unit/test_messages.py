import json
import time

import pytest

from bridge.messages import (
    MAX_MESSAGE_BYTES,
    MalformedMessage,
    check_reply,
    new_reply,
    new_request,
    parse_request,
)


def test_request_round_trip_keeps_the_seed_fields_and_ours():
    deadline = time.time() + 10
    raw = new_request("42", "abc-1", "inst", deadline)
    doc = json.loads(raw)
    assert doc["ID"] == "42" and doc["Name"] and doc["Date"] and doc["RequestedAt"]
    request = parse_request(raw)
    assert (request.id, request.correlation_id, request.reply_to) == ("42", "abc-1", "inst")
    assert request.deadline == pytest.approx(deadline, abs=0.001)


def test_reply_carries_the_request_fields_plus_currency_amount_and_time():
    request = parse_request(new_request("7", "c-1", None, time.time() + 5))
    reply = json.loads(new_reply(request))
    assert reply["ID"] == "7"
    assert reply["Name"] == request.name and reply["Date"] == request.date
    assert isinstance(reply["Currency"], str) and isinstance(reply["Amount"], float)
    assert reply["RequestedAt"] == request.requested_at and reply["ProcessedAt"]


def _doc(**changes):
    doc = {"ID": "1", "cid": "c-1", "reply_to": "r1", "deadline": 1.0, "Name": "n", "Date": "d"}
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty"),
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_doc(ID=...), "ID: missing"),
        (_doc(ID=5), "ID: wrong type"),
        (_doc(ID="a/b"), "ID:"),
        (_doc(cid="x y"), "cid"),
        (_doc(cid=...), "cid: missing"),
        (_doc(reply_to="../../etc"), "reply_to"),
        (_doc(reply_to=7), "reply_to"),
        (_doc(deadline="soon"), "deadline"),
        (_doc(deadline=True), "deadline"),
        (_doc(Name=["x"]), "Name"),
        (b"{" + b" " * MAX_MESSAGE_BYTES + b"}", "exceeds"),
    ],
)
def test_malformed_requests_are_refused_with_a_reason(raw, reason):
    with pytest.raises(MalformedMessage, match=reason):
        parse_request(raw)


def test_poll_requests_have_no_reply_channel():
    assert parse_request(_doc(reply_to=None)).reply_to is None


@pytest.mark.parametrize("raw", [b"garbage", b"[]", b'{"no": "id"}', b"\xff"])
def test_check_reply_refuses_what_the_worker_would_not_write(raw):
    with pytest.raises(MalformedMessage):
        check_reply(raw)


def test_check_reply_passes_the_bytes_through():
    raw = b'{"ID":"1","Amount":2.5}'
    assert check_reply(raw) is raw
