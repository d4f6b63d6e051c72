"""The v3 signature check: HubSpot's algorithm, its URL-decoding list, fresh timestamps only."""

from __future__ import annotations

import time

import pytest
from hubspot.utils.signature import Signature

from app.webhooks.signature import SignatureRejected, decode_v3_uri, verify_v3
from hubspot_twin.webhooks.signing import sign_v3

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
URI = "https://leadflow.example.com/webhooks/hubspot"
BODY = (
    b'[{"eventId":1,"subscriptionId":2,"portalId":3,"occurredAt":1764150000000,'
    b'"subscriptionType":"contact.creation","objectId":4}]'
)


def now_ms() -> str:
    return str(int(time.time() * 1000))


def test_a_signature_made_as_hubspot_makes_it_is_accepted() -> None:
    timestamp = now_ms()
    signature = Signature.get_signature(SECRET, BODY.decode(), "v3", URI, "POST", timestamp)
    verify_v3(signature, timestamp, BODY, URI, SECRET, time.time())


def test_the_twin_signs_exactly_as_the_official_sdk_verifies() -> None:
    timestamp = now_ms()
    signature = sign_v3(SECRET, "POST", URI, BODY.decode(), timestamp)
    assert Signature.is_valid(signature, SECRET, BODY.decode(), URI, "POST", "v3", timestamp)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"body": BODY.replace(b'"objectId":4', b'"objectId":5')}, "signature-invalid"),
        ({"uri": URI + "?x=1"}, "signature-invalid"),
        ({"secret": "another-secret"}, "signature-invalid"),
        ({"signature": ""}, "signature-missing"),
        ({"signature": "säure"}, "signature-invalid"),
        ({"timestamp": ""}, "timestamp-missing"),
        ({"timestamp": "yesterday"}, "timestamp-invalid"),
        ({"timestamp": "1" * 40}, "timestamp-invalid"),
        ({"age": 301}, "timestamp-stale"),
        ({"age": -301}, "timestamp-stale"),
        ({"body": b"\xff\xfe"}, "body-not-utf8"),
    ],
)
def test_a_request_that_is_not_hubspots_own_is_rejected_with_its_reason(tamper: dict[str, object], reason: str) -> None:
    age = float(tamper.get("age", 0))  # type: ignore[arg-type]
    timestamp = str(int((time.time() - age) * 1000))
    signature = Signature.get_signature(SECRET, BODY.decode(), "v3", URI, "POST", timestamp)
    with pytest.raises(SignatureRejected) as rejected:
        verify_v3(
            str(tamper.get("signature", signature)),
            str(tamper.get("timestamp", timestamp)),
            tamper.get("body", BODY),  # type: ignore[arg-type]
            str(tamper.get("uri", URI)),
            str(tamper.get("secret", SECRET)),
            time.time(),
        )
    assert rejected.value.reason == reason


def test_hubspots_listed_escapes_are_decoded_and_others_kept() -> None:
    assert (
        decode_v3_uri("https://x.io/a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm")
        == "https://x.io/a:b/c?d@e!f$g'h(i)j*k,l;m"
    )
    assert decode_v3_uri("https://x.io/p?q=a%20b%26c%3d") == "https://x.io/p?q=a%20b%26c%3d"
    assert decode_v3_uri("https://x.io/p%3a") == "https://x.io/p:"


def test_a_uri_with_escapes_verifies_when_hubspot_signed_its_decoded_form() -> None:
    raw_uri = URI + "?portal=62515&tag=a%3Ab"
    timestamp = now_ms()
    signature = sign_v3(SECRET, "POST", raw_uri, BODY.decode(), timestamp)
    verify_v3(signature, timestamp, BODY, raw_uri, SECRET, time.time())


CARD_URI = (
    "https://leadflow.example.com/card/contacts/1001?userId=9001&userEmail=dana%40example.com&appId=4242&portalId=62515"
)


def test_a_cards_signed_get_with_hubspots_query_verifies_as_the_sdk_and_the_documented_hmac_sign_it() -> None:
    timestamp = now_ms()
    # HubSpot decodes %40 before signing: the SDK is given the decoded URI, as the docs say
    by_sdk = Signature.get_signature(SECRET, "", "v3", decode_v3_uri(CARD_URI), "GET", timestamp)
    assert sign_v3(SECRET, "GET", CARD_URI, "", timestamp) == by_sdk
    verify_v3(by_sdk, timestamp, b"", CARD_URI, SECRET, time.time(), method="GET")


def test_a_signature_of_another_method_is_rejected() -> None:
    timestamp = now_ms()
    signature = sign_v3(SECRET, "GET", CARD_URI, "", timestamp)
    with pytest.raises(SignatureRejected) as rejected:
        verify_v3(signature, timestamp, b"", CARD_URI, SECRET, time.time(), method="POST")
    assert rejected.value.reason == "signature-invalid"
