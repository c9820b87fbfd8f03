"""Redaction: every category, evasions, no partial leaks, and no over-redaction.

Secret-shaped values are assembled from parts at run time so that the repository holds nothing
that secret scanners or push protection flag.
"""

from __future__ import annotations

import random
import re
import string
import time

import pytest

from log_gardener.core.shared.redact import (
    DEFAULT_POLICY,
    ExtraPattern,
    RedactionPolicy,
    find_spans,
    redact,
)


def _chars(count: int, seed: str, alphabet: str = string.ascii_letters + string.digits) -> str:
    """A deterministic random-looking run: mixed case and digits, like a real token body."""
    rng = random.Random(seed)
    wanted = [cls for cls in (str.isupper, str.islower, str.isdigit) if any(map(cls, alphabet))]
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(count))
        if count < 8 or all(sum(map(cls, value)) >= 2 for cls in wanted):
            return value


GHP = "gh" + "p_" + _chars(36, "ghp")
GHS = "gh" + "s_" + _chars(36, "ghs")
GH_FINE = "github" + "_pat_" + "11" + _chars(20, "fine1") + "_" + _chars(59, "fine2")
AWS_ID = "AK" + "IA" + _chars(16, "aws", string.ascii_uppercase + string.digits)
AWS_SECRET = _chars(18, "aws-s1") + "+" + _chars(10, "aws-s2") + "/" + _chars(10, "aws-s3")
GCP_KEY = "AI" + "za" + "Sy" + _chars(33, "gcp")
YA29 = "ya" + "29." + _chars(40, "ya29")
SLACK = "xo" + "xb-" + "113229840481-9005884850754-" + _chars(24, "slack")
SLACK_HOOK = "https://hooks.slack.com/services/" + "T0" + _chars(8, "t") + "/B0" + _chars(8, "b")
SLACK_HOOK += "/" + _chars(24, "hook")
STRIPE = "sk" + "_live_" + _chars(24, "stripe")
OPENAI = "sk-" + "proj-" + _chars(40, "oa1") + "T3Blbk" + "FJ" + _chars(40, "oa2")
ANTHROPIC = "sk-" + "ant-" + "api03-" + _chars(60, "ant")
NPM = "np" + "m_" + _chars(36, "npm")
PYPI = "py" + "pi-" + "AgEIcHlwaS5vcmc" + _chars(60, "pypi")
GITLAB = "gl" + "pat-" + _chars(20, "gitlab")
HF = "h" + "f_" + _chars(34, "hf")
JWT = "ey" + "JhbGciOiJIUzI1NiJ9." + "ey" + "J" + _chars(40, "jwt1") + "." + _chars(43, "jwt2")
PASSWORD = "hunter2-" + _chars(12, "pw")
BASIC = "ZGVwbG95" + _chars(24, "basic") + "="
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + _chars(32, "pem1")
PEM_BODY2 = _chars(64, "pem2")
PEM_BEGIN = "-----BEGIN " + "PRIVATE KEY-----"
PEM_END = "-----END " + "PRIVATE KEY-----"
ENTROPY = _chars(64, "entropy")


def _at(local: str, domain: str) -> str:
    return local + "@" + domain


REDACTION_TABLE = [
    # (id, input, expected output)
    ("github-classic", f"token={GHP} rejected", "token=[REDACTED:github-token] rejected"),
    (
        "github-app-in-header",
        f"Authorization: token {GHS}",
        "Authorization: [REDACTED:github-token]",
    ),
    ("github-fine-grained", f'"GH": "{GH_FINE}"', '"GH": "[REDACTED:github-token]"'),
    ("github-glued", "AAAA" + GHP + " x", "[REDACTED:github-token] x"),
    (
        "aws",
        f"aws_access_key_id={AWS_ID} aws_secret_access_key={AWS_SECRET}",
        "aws_access_key_id=[REDACTED:aws-access-key] aws_secret_access_key=[REDACTED:aws-secret-key]",
    ),
    (
        "gcp-api-key",
        f"GET https://maps.googleapis.com/maps/api/geocode/json?address=x&key={GCP_KEY} -> 403",
        "GET https://maps.googleapis.com/maps/api/geocode/json?address=x&key=[REDACTED:gcp-api-key] -> 403",
    ),
    ("google-oauth", f"using {YA29} now", "using [REDACTED:google-oauth-token] now"),
    ("slack-token", f"(token={SLACK})", "(token=[REDACTED:slack-token])"),
    (
        "slack-webhook",
        f"POST {SLACK_HOOK} returned 404",
        "POST [REDACTED:slack-webhook] returned 404",
    ),
    (
        "stripe",
        f"Invalid API Key provided: {STRIPE}",
        "Invalid API Key provided: [REDACTED:stripe-key]",
    ),
    ("openai", f"key provided: {OPENAI}", "key provided: [REDACTED:openai-key]"),
    ("anthropic", f"x-api {ANTHROPIC}", "x-api [REDACTED:anthropic-key]"),
    (
        "npm-pypi",
        f"//registry.npmjs.org/:_authToken={NPM} ; TWINE_PASSWORD={PYPI}",
        "//registry.npmjs.org/:_authToken=[REDACTED:npm-token] ; TWINE_PASSWORD=[REDACTED:pypi-token]",
    ),
    (
        "gitlab-hf",
        f"PRIVATE-TOKEN: {GITLAB} pull with HF_TOKEN={HF}",
        "PRIVATE-TOKEN: [REDACTED:gitlab-token] pull with HF_TOKEN=[REDACTED:huggingface-token]",
    ),
    ("jwt", f"rejecting expired token {JWT}", "rejecting expired token [REDACTED:jwt]"),
    ("bearer", f"Authorization: Bearer {JWT}", "Authorization: [REDACTED:jwt]"),
    (
        "bearer-opaque",
        "Authorization: Bearer abc123def456",
        "Authorization: [REDACTED:authorization]",
    ),
    (
        "basic-json",
        f'{{"Proxy-Authorization": "Basic {BASIC}"}}',
        '{"Proxy-Authorization": "[REDACTED:authorization]"}',
    ),
    (
        "basic-scheme",
        f"sent Basic {BASIC} upstream",
        "sent Basic [REDACTED:authorization] upstream",
    ),
    (
        "url-credentials",
        f"could not connect to postgresql://orders_app:{PASSWORD}@db-primary.internal:5432/orders",
        "could not connect to postgresql://[REDACTED:url-credentials]@db-primary.internal:5432/orders",
    ),
    (
        "url-password-only",
        f"redis://:{PASSWORD}@cache:6379/0",
        "redis://[REDACTED:url-credentials]@cache:6379/0",
    ),
    (
        "private-key-pem",
        f"key:\n{PEM_BEGIN}\n{PEM_BODY}\n{PEM_BODY2}\n{PEM_END}\nafter",
        "key:\n[REDACTED:private-key]\nafter",
    ),
    (
        "private-key-escaped",
        f'"private_key": "{PEM_BEGIN}\\n{PEM_BODY}\\n{PEM_END}\\n", "x": 1',
        '"private_key": "[REDACTED:private-key]", "x": 1',
    ),
    ("private-key-cut", f"{PEM_BEGIN}\n{PEM_BODY}\n{PEM_BODY2[:20]}", "[REDACTED:private-key]"),
    (
        "service-account-json",
        '{"type": "service_account", "private_key_id": "0df8f2b3482bcd71bf43d5417a0227fed2e21642", '
        '"token_uri": "https://oauth2.googleapis.com/token"}',
        '{"type": "service_account", "private_key_id": "[REDACTED:password]", '
        '"token_uri": "https://oauth2.googleapis.com/token"}',
    ),
    (
        "kv-password",
        f"host=db user=app password={PASSWORD} dbname=orders",
        "host=db user=app password=[REDACTED:password] dbname=orders",
    ),
    (
        "kv-json",
        f'{{"secret": "{PASSWORD}", "n": 3.5}}',
        '{"secret": "[REDACTED:password]", "n": 3.5}',
    ),
    (
        "kv-json-escaped",
        f'filter: "jsonPayload.token=\\"{PASSWORD}\\""',
        'filter: "jsonPayload.token=\\"[REDACTED:password]\\""',
    ),
    (
        "kv-json-in-string",
        f'"{{\\"password\\": \\"{PASSWORD}\\"}}"',
        '"{\\"password\\": \\"[REDACTED:password]\\"}"',
    ),
    (
        "kv-python-repr",
        f"{{'api_key': '{PASSWORD}', 'max_tokens': 100}}",
        "{'api_key': '[REDACTED:password]', 'max_tokens': 100}",
    ),
    (
        "kv-yaml",
        f"client_secret: {PASSWORD}\nname: web",
        "client_secret: [REDACTED:password]\nname: web",
    ),
    ("kv-number", "cvc=123 exp=12/29", "cvc=[REDACTED:card] exp=12/29"),
    (
        "kv-cookie",
        f"cookie: sessionid={_chars(32, 'sid')}; csrftoken={_chars(20, 'csrf')}; theme=dark",
        "cookie: sessionid=[REDACTED:password]; csrftoken=[REDACTED:password]; theme=dark",
    ),
    (
        "kv-object",
        '{"credentials": {"user": "bob", "x": "y"}, "next": 1}',
        '{"credentials": [REDACTED:password], "next": 1}',
    ),
    (
        "kv-deep",
        '{"a": ' * 150 + f'{{"token": "{PASSWORD}"}}' + "}" * 150,
        '{"a": ' * 150 + '{"token": "[REDACTED:password]"}' + "}" * 150,
    ),
    ("kv-prose-kept", "auth: failed, token: expired", "auth: failed, token: expired"),
    ("high-entropy", f'signing_blob="{ENTROPY}"', 'signing_blob="[REDACTED:high-entropy]"'),
    # personal data
    (
        "email",
        "reset for "
        + _at("jane.doe", "example.com")
        + " and "
        + _at("j.o.h.n+billing", "sub.example.org"),
        "reset for [REDACTED:email] and [REDACTED:email]",
    ),
    (
        "email-homoglyph",
        "login by " + _at("\u0430dmin", "example.com"),
        "login by [REDACTED:email]",
    ),
    ("phone-intl", "call +44 20 7946 0958 now", "call [REDACTED:phone] now"),
    (
        "phone-nanp",
        "call (415) 555-0132 or 415-555-0132",
        "call [REDACTED:phone] or [REDACTED:phone]",
    ),
    (
        "card-luhn",
        "card=4111111111111111 amex=378282246310005",
        "card=[REDACTED:card] amex=[REDACTED:card]",
    ),
    ("card-spaced", "pan 5555 5555 5555 4444.", "pan [REDACTED:card]."),
    ("card-luhn-fails", "order 4111111111111112 shipped", "order 4111111111111112 shipped"),
    ("iban", "to DE89 3704 0044 0532 0130 00 ok", "to [REDACTED:iban] ok"),
    ("iban-compact", "to GB82WEST12345698765432.", "to [REDACTED:iban]."),
    ("iban-bad-checksum", "to GB82WEST12345698765431.", "to GB82WEST12345698765431."),
    (
        "ipv4",
        "client 198.51.100.23 via 192.0.2.10 (xff: 203.0.113.5, 10.1.2.3)",
        "client [REDACTED:ip] via [REDACTED:ip] (xff: [REDACTED:ip], [REDACTED:ip])",
    ),
    ("ipv6", "remote 2001:db8::42 and fe80::1", "remote [REDACTED:ip] and [REDACTED:ip]"),
    ("mac", "iface 00:1A:2B:3C:4D:5E up", "iface [REDACTED:mac] up"),
    (
        "user-path",
        "open('/home/alice.smith/.config') C:\\Users\\bob.jones\\AppData /home/runner/work",
        "open('/home/[REDACTED:user-path]/.config') C:\\Users\\[REDACTED:user-path]\\AppData /home/runner/work",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in REDACTION_TABLE], ids=[c[0] for c in REDACTION_TABLE]
)
def test_redaction_table(text: str, expected: str) -> None:
    assert redact(text) == expected


EVASIONS = [
    ("zero-width", GHP[:10] + "\u200b" + GHP[10:], "[REDACTED:github-token]"),
    (
        "word-joiner-and-bom",
        "\ufeff" + GHP[:5] + "\u2060" + GHP[5:],
        "\ufeff[REDACTED:github-token]",
    ),
    ("soft-hyphen", GHP[:3] + "\u00ad" + GHP[3:], "[REDACTED:github-token]"),
    ("percent-underscore", GHP.replace("_", "%5F"), "[REDACTED:github-token]"),
    ("percent-equals", "password%3D" + PASSWORD, "password%3D[REDACTED:password]"),
    (
        "percent-email",
        "/users/jane.doe%40example.com/orders?phone=%2B14155550132",
        "/users/[REDACTED:email]/orders?phone=[REDACTED:phone]",
    ),
    ("json-unicode-escape", "mail " + "bob\\u0040example.com", "mail [REDACTED:email]"),
    ("fullwidth", "key " + GHP.replace("_", "\uff3f"), "key [REDACTED:github-token]"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in EVASIONS], ids=[c[0] for c in EVASIONS]
)
def test_evasions_are_redacted_whole(text: str, expected: str) -> None:
    assert redact(text) == expected


SECRETS = [
    GHP,
    GHS,
    GH_FINE,
    AWS_ID,
    GCP_KEY,
    YA29,
    SLACK,
    STRIPE,
    OPENAI,
    ANTHROPIC,
    NPM,
    PYPI,
    GITLAB,
    HF,
    JWT,
]


@pytest.mark.parametrize("secret", SECRETS, ids=[s[:4] for s in SECRETS])
@pytest.mark.parametrize("context", ["{}", "x={} y", '"k": "{}"', "<{}>", "({})", "'{}'", "{}."])
def test_no_partial_leak(secret: str, context: str) -> None:
    published = redact(context.format(secret))
    assert "[REDACTED:" in published
    published = re.sub(r"\[REDACTED:[a-z-]+\]", "", published)
    leaked = [secret[i : i + 6] for i in range(len(secret) - 5) if secret[i : i + 6] in published]
    assert leaked == []


SHOULD_SURVIVE = [
    "git clone failed: fatal: could not read Username for 'https://github.com'",
    "GET https://maps.googleapis.com/maps/api/geocode/json -> 403",
    "revision checkout-api-00043-kth version 1.2.3 at 2025-06-03T08:54:16.696872123Z",
    "order shipped; tracking 1Z999AA10123456784; epoch_ms 1717405200123",
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "main.(*Server).handle(0xc0000a4000, {0x7f1c2a, 0xc0001b2000}, 0xc0001c6100)",
    "/go/src/example.com/ingest/server.go:112 +0x2a",
    'File "/srv/app/checkout/gateway.py", line 41, in charge',
    "trace=projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
    "listening on 0.0.0.0:8080 and 127.0.0.1:9090; std::vector<int> a::b",
    "AbstractSingletonProxyFactoryBean2 checkoutApiV2HandlerFactory2024",
    "git@github.com:owner/repo.git regression since a5c3785ed8d6a35868bc169f07e40e889087fd2e",
    '{"message": 12345, "code": "E_TIMEOUT", "max_tokens": 100, "token_type": "Bearer"}',
    "NullPointerException in handler; cc @octocat see #12",
    "Basic authentication failed, token expired, password reset requested",
    "x%0A::add-mask::y%0D%0A::group::z",
    "run.googleapis.com%2Fstderr took 12:34:56.789",
    "caf\u00c3\u00a9 \ufffd na\u00efve",
]


@pytest.mark.parametrize("text", SHOULD_SURVIVE)
def test_ordinary_text_survives(text: str) -> None:
    assert redact(text) == text


def test_ip_switch_off_keeps_addresses_but_not_secrets() -> None:
    policy = RedactionPolicy(ip_addresses=False)
    assert redact(f"from 10.1.2.3 and 2001:db8::42 token={GHP}", policy) == (
        "from 10.1.2.3 and 2001:db8::42 token=[REDACTED:github-token]"
    )


def test_extra_patterns_and_keys_from_the_rules_file() -> None:
    policy = RedactionPolicy(
        extra_patterns=(
            ExtraPattern("order-id", r"ORD-\d{6}"),
            ExtraPattern("customer", r"cust=(?P<value>\w+)"),
        ),
        extra_keys=("X-Internal-Sig", "tenant"),
    )
    text = "ORD-123456 cust=bob x-internal-sig: abc tenant=acme"
    assert redact(text, policy) == (
        "[REDACTED:order-id] cust=[REDACTED:customer] x-internal-sig: [REDACTED:password] "
        "tenant=[REDACTED:password]"
    )
    assert redact(text) == text.replace("abc", "abc")  # built-ins alone leave all of it


def test_invalid_extra_pattern_names_the_kind() -> None:
    policy = RedactionPolicy(extra_patterns=(ExtraPattern("broken", "("),))
    with pytest.raises(ValueError, match="'broken' is not a regex"):
        redact("x", policy)


def test_find_spans_points_at_the_original_text() -> None:
    text = "a " + GHP[:8] + "\u200b" + GHP[8:] + " b"
    assert find_spans(text) == [(2, 2 + len(GHP) + 1, "github-token")]


@pytest.mark.parametrize(
    "row", REDACTION_TABLE + EVASIONS, ids=[r[0] for r in REDACTION_TABLE + EVASIONS]
)
def test_redaction_is_idempotent(row: tuple[str, str, str]) -> None:
    once = redact(row[1])
    assert redact(once) == once


def test_empty_and_default_policy() -> None:
    assert redact("") == ""
    assert redact("plain words only", DEFAULT_POLICY) == "plain words only"


def test_fast_enough_for_a_run() -> None:
    rng = random.Random(7)
    texts = [
        f"GET /api/v1/users/{rng.randint(1, 10**6)} failed after {rng.random():.3f}s "
        f"trace={rng.getrandbits(128):032x} user_id={i} password={PASSWORD}"
        for i in range(3000)
    ]
    started = time.perf_counter()
    published = [redact(text) for text in texts]
    assert time.perf_counter() - started < 3.0
    assert all(PASSWORD not in text for text in published)


@pytest.mark.parametrize(
    "hostile",
    [
        "-----BEGIN PRIVATE KEY-----" * 3000,
        '{"secret": ' * 20000,
        "password='" * 20000,
        "a:" * 100000,
        "a@" * 50000,
        "x\u200b" * 100000,
    ],
    ids=["pem", "nested", "quotes", "colons", "ats", "zero-width"],
)
def test_hostile_inputs_stay_linear(hostile: str) -> None:
    started = time.perf_counter()
    redact(hostile)
    assert time.perf_counter() - started < 2.0


def test_a_run_policy_redacts_each_text_once_with_the_same_result() -> None:
    from log_gardener.core.shared.redact import for_one_run

    policy = RedactionPolicy(extra_keys=("session",))
    run = for_one_run(policy)
    texts = ["token=ghp_" + "a1B2c3D4" * 5, "user bob@example.com at 10.1.2.3", "plain", ""]
    assert run == policy and run.memo == {} and policy.memo is None
    for _ in range(2):
        assert [redact(t, run) for t in texts] == [redact(t, policy) for t in texts]
    assert run.memo is not None and set(run.memo) == set(texts)
    assert for_one_run(policy).memo == {}  # each run starts empty
