"""Every provider format, with and without a key name beside it: redaction, titles, and no
over-redaction of the text around it.

Samples come from ``tests/provider_secrets.py`` (assembled at run time).  Assertions are
booleans first, so a failure never prints the secret it looked for.
"""

from __future__ import annotations

import pytest

from log_gardener.core.judging.rules import IssuePolicy
from log_gardener.core.publishing.issue_render import issue_title
from log_gardener.core.shared.redact import RedactionPolicy, find_spans, redact
from log_gardener.core.shared.secret_formats import KEYWORD_PROVIDERS, PROVIDER_FORMATS
from log_gardener.model import JudgedCluster
from tests.planning_factory import cluster, judgement
from tests.provider_secrets import BARE_CONTEXTS, KEYWORD_SAMPLES, NAMED_CONTEXTS, SHAPE_SAMPLES

NO_IP = RedactionPolicy(ip_addresses=False)
SCHEMES = ("Bearer", "Token", "SSWS", "GenieKey", "Splunk", "ApiKey", "Key", "OAuth")


PUBLIC_NAMES = ("_gitlab_session=", "hooks.slack.com")  # names and hosts are not the secret


def fragments(secret: str) -> list[str]:
    """The whole secret, its head, middle and tail: none may survive."""
    n = min(12, len(secret))
    middle = (len(secret) - n) // 2
    head = [] if secret.startswith(PUBLIC_NAMES) else [secret[:n]]
    return [secret, *head, secret[middle : middle + n], secret[-n:]]


def leaked(secret: str, published: str) -> list[int]:
    return [i for i, part in enumerate(fragments(secret)) if part in published]


def _url_safe(secret: str) -> bool:
    return not any(char in secret for char in "/?#&%:@ $;\n=")


@pytest.mark.parametrize(("provider", "secret"), SHAPE_SAMPLES, ids=[p for p, _ in SHAPE_SAMPLES])
@pytest.mark.parametrize(
    ("context", "template", "kept"), BARE_CONTEXTS, ids=[c[0] for c in BARE_CONTEXTS]
)
def test_a_bare_secret_is_redacted_whole(
    provider: str, secret: str, context: str, template: str, kept: tuple[str, ...]
) -> None:
    if context in ("query", "path") and not _url_safe(secret):
        pytest.skip("the sample is not a URL path segment")
    out = redact(template.format(s=secret), NO_IP)
    assert leaked(secret, out) == [], f"{provider} in {context}: a fragment survived"
    for text in kept:
        assert text in out, f"{provider} in {context}: {text!r} over-redacted: {out[:200]!r}"


@pytest.mark.parametrize(("provider", "secret"), SHAPE_SAMPLES, ids=[p for p, _ in SHAPE_SAMPLES])
@pytest.mark.parametrize(
    ("context", "template", "kept"), NAMED_CONTEXTS, ids=[c[0] for c in NAMED_CONTEXTS]
)
def test_a_secret_beside_a_key_name_is_redacted_whole(
    provider: str, secret: str, context: str, template: str, kept: tuple[str, ...]
) -> None:
    if context == "query" and not _url_safe(secret):
        pytest.skip("the sample is not a query value")
    name = provider.split("-", maxsplit=1)[0].upper()
    scheme = SCHEMES[len(provider) % len(SCHEMES)]
    out = redact(template.format(s=secret, name=name, scheme=scheme), NO_IP)
    assert leaked(secret, out) == [], f"{provider} in {context}: a fragment survived"
    for text in kept:
        assert text in out, f"{provider} in {context}: {text!r} over-redacted"


KEYWORD_FORMS = (
    "{KW}_API_KEY={v}",
    "{kw}.client_secret: {v}",
    "'{kw}_key' => '{v}',",
    '{{"{kw}_client_id": "{v}"}}',
    "{Kw} api key = {v}",
    'export {KW}_TOKEN="{v}"',
    '{kw}Token := "{v}"',
    "<{kw}Key>{v}</{kw}Key>",
    "{kw}_client_id ::= '{v}'",
    '{kw}Secret ||= "{v}"',
)


@pytest.mark.parametrize(
    ("provider", "value"), KEYWORD_SAMPLES, ids=[p for p, _ in KEYWORD_SAMPLES]
)
@pytest.mark.parametrize("form", KEYWORD_FORMS)
def test_a_value_beside_a_provider_name_is_redacted(provider: str, value: str, form: str) -> None:
    words = {"kw": provider, "KW": provider.upper(), "Kw": provider.capitalize()}
    out = redact(form.format(v=value, **words), NO_IP)
    assert leaked(value, out) == [], f"{provider} in {form!r}: a fragment survived"


def test_every_provider_keyword_has_a_sample() -> None:
    sampled = {provider for provider, _ in KEYWORD_SAMPLES}
    spelled = {
        "linked_in",
        "linked-in",
        "message_bird",
        "message-bird",
        "new_relic",
        "new-relic",
        "private_ai",
        "private-ai",
        "co_api_key",
        "db_passwd",
    }
    unsampled = set(KEYWORD_PROVIDERS) - sampled - spelled
    # The keyword rule is one regex: a keyword without its own sample still runs through it.
    assert {"adafruit", "sentry", "okta", "twitter"} <= sampled
    assert len(unsampled) < len(KEYWORD_PROVIDERS) // 2


def test_every_format_is_exercised_by_a_sample() -> None:
    """Each format of the table redacts at least one sample (no dead or misspelled entry)."""
    import re

    samples = [secret for _, secret in SHAPE_SAMPLES]
    dead = [
        fmt.kind
        for fmt in PROVIDER_FORMATS
        if not any(re.search(fmt.regex, secret) for secret in samples)
    ]
    assert dead == []


def _title(text: str) -> str:
    judged = JudgedCluster(
        cluster(template=text, exception_type="", exception_value=text, logger=""), judgement()
    )
    return issue_title(IssuePolicy(), judged, NO_IP)


@pytest.mark.parametrize(("provider", "secret"), SHAPE_SAMPLES, ids=[p for p, _ in SHAPE_SAMPLES])
def test_a_title_never_holds_a_secret(provider: str, secret: str) -> None:
    for text in (secret, f"auth failed for {secret}", f"{provider.upper()}_TOKEN={secret}"):
        title = _title(text)
        assert leaked(secret, title) == [], f"{provider}: a fragment reached the title"


@pytest.mark.parametrize(
    ("provider", "value"), KEYWORD_SAMPLES, ids=[p for p, _ in KEYWORD_SAMPLES]
)
def test_a_title_never_holds_a_provider_keyed_value(provider: str, value: str) -> None:
    title = _title(f"{provider.upper()}_SECRET={value}")
    assert leaked(value, title) == [], f"{provider}: a fragment reached the title"


# --- no over-redaction -----------------------------------------------------------------------

ORDINARY = (
    "task SKIPPED: desk booking for 2024-05-01 done in 35ms",
    "test_user_can_login_with_valid_credentials PASSED",
    "sandbox_mode=true live_stream_enabled=false",
    "GET /api/v1/users/42/orders?page=2&sort=desc HTTP/1.1 200",
    "POST https://api.example.com/v2/checkout/sessions 201 in 120ms",
    "deployed revision checkout-00042-abc (image sha256:" + "0123456789abcdef" * 4 + ")",
    "commit " + "a1b2c3d4e5" * 4 + " merged into main",
    "request_id=3f2b8c1e-9d4a-4b7e-8c2f-1a2b3c4d5e6f user_id=1234 status=ok",
    "API-v2 gateway timeout after 30s; retrying (attempt 2/5)",
    "key-value store miss for pat.profile and sat.config",
    "s.example.com resolved; pk.cache warm; sl.cluster healthy",
    "Sentry event sent: level=error release=1.4.2",
    "AuthException: Token123 rejected by upstream",
    "publish routing_key=orders.created.v2 exchange=events",
    "tests/test_checkout.py::test_checkout_flow_handles_timeout_v2 PASSED",
    "test_live_stream_reconnects_after_network_loss_3 FAILED",
    "1714567890123456|request_completed_successfully_ok|200",
    "lambda done aws_request_id: 3f2b8c1e-9d4a-4b7e-8c2f-1a2b3c4d5e6f in 12 ms",
    "sentry_event_id=a1b2c3d4e5f6a7b8c9d0e1f2 captured",
    "discord_user_id=123456789012345678 joined",
    "s3 put object_key=uploads/2024/05/report-final.png size=2048",
    "sentry_release: backend-2024.05.01 environment: prod",
    "kind: Deployment\ndata:\n  replicas: 3",
    "twitter: rate limited, next window at 2024-05-01T10:15:00Z",
    "linear backoff enabled for jira sync (max 5)",
    "Loaded 12 plugins from /usr/lib/app/plugins version 3.11.4",
    "java.lang.IllegalStateException: Expected BEGIN_OBJECT but was STRING at line 1 column 1",
)


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_log_text_is_left_alone(line: str) -> None:
    assert find_spans(line, NO_IP) == [], redact(line, NO_IP)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "https://hooks.example.com/v1/{s}/deliver?x=1",
            ("https://hooks.example.com/v1/", "/deliver?x=1"),
        ),
        ("https://{s}.example.com/", ()),
        (
            "fetch https://cdn.example.org/assets/{s}/app.js failed",
            ("https://cdn.example.org/assets/", "/app.js failed"),
        ),
        ("wss://push.example.net/socket/{s}", ("wss://push.example.net/socket/",)),
    ],
)
@pytest.mark.parametrize(
    "secret",
    [
        s
        for p, s in SHAPE_SAMPLES
        if p in ("harness-token", "doppler-token", "pulumi-token", "twilio-key", "github-pat")
    ]
    + ["Ab3dEf9hIjK2mN0pQr5tUv8wXy1zQ7"],
)
def test_a_token_in_a_url_is_redacted_from_its_own_start(
    text: str, kept: tuple[str, ...], secret: str
) -> None:
    raw = text.format(s=secret)
    out = redact(raw, NO_IP)
    assert leaked(secret, out) == []
    for part in kept:
        assert part in out, f"{part!r} lost: {out!r}"
    host_start = raw.index("://") + 3
    host_end = raw.index("/", host_start) if "/" in raw[host_start:] else len(raw)
    for start, _, _ in find_spans(raw, NO_IP):
        assert not host_start < start < host_end, "a redaction starts inside the host name"


# --- context forms ---------------------------------------------------------------------------

PW = "Zq7" + "wX2" + "vB9" + "nM4" + "kL"  # an ordinary password, no provider shape
TOKEN = next(secret for provider, secret in SHAPE_SAMPLES if provider == "pulumi-token")

CONTEXT_FORMS = [
    (
        "curl-u",
        f"curl -u deploy:{PW} https://api.example.com/v1/ping",
        ("curl -u deploy:", "https://api.example.com/v1/ping"),
    ),
    (
        "curl-user",
        f'curl --user "ci-bot:{PW}" -X POST https://api.example.com',
        ("curl --user", "-X POST"),
    ),
    ("curl-user-eq", f"curl --user=ci-bot:{PW} https://x.example.com", ("https://x.example.com",)),
    ("curl-header", f'curl -H "X-Api-Key: {PW}" https://api.example.com', ("X-Api-Key",)),
    (
        "mysql",
        f"mysql -h db -uroot -p{PW} shop < dump.sql",
        ("mysql -h db -uroot", "shop < dump.sql"),
    ),
    (
        "docker-login",
        f"docker login -u bot -p {PW} registry.example.com",
        ("registry.example.com",),
    ),
    (
        "nuget-push",
        f"nuget push app.1.0.nupkg -ApiKey {PW} -Source https://nuget.example.com",
        ("-Source",),
    ),
    (
        "dotnet-push",
        f"dotnet nuget push app.nupkg --api-key {PW} --source feed",
        ("--source feed",),
    ),
    ("nuget-config", f'<add key="ClearTextPassword" value="{PW}" />', ("ClearTextPassword",)),
    ("nuget-config-apikey", f"<add key='ApiKey' value='{PW}'/>", ()),
    (
        "maven",
        f"<server><id>central</id><username>ci</username><password>{PW}</password></server>",
        ("<id>central</id>",),
    ),
    ("npmrc", f"//registry.npmjs.org/:_authToken={PW}", ("//registry.npmjs.org/:_authToken=",)),
    ("npmrc-auth", f"_auth={PW}", ()),
    ("php-array", f"'db_password' => '{PW}',", ("'db_password' =>",)),
    ("php-define", f"define('DB_PASSWORD', '{PW}');", ("define('DB_PASSWORD'",)),
    ("php-var", f'$smtp_pass = "{PW}";', ()),
    ("ini", f"[database]\npassword = {PW}\nhost = db", ("host = db",)),
    ("auth-ssws", f"Authorization: SSWS {PW}", ("Authorization:",)),
    ("auth-splunk", f"authorization: Splunk {PW}\nnext line", ("next line",)),
    ("auth-digest", f'Authorization: Digest username="ci", response="{PW}", nc=1', ()),
    ("auth-json", f'{{"headers": {{"Authorization": "GenieKey {PW}"}}}}', ('"headers"',)),
    (
        "exception",
        f"InvalidCredentials: password '{PW}' rejected for user ci",
        ("rejected for user ci",),
    ),
    (
        "traceback",
        f'Traceback (most recent call last):\\n  File "a.py", line 3\\nValueError: bad token {TOKEN}\\n',
        ('File "a.py"',),
    ),
    ("json", f'{{"event": "login", "password": "{PW}", "ok": false}}', ('"ok": false',)),
    ("escaped-json", f'msg="{{\\"apiKey\\": \\"{PW}\\"}}"', ()),
    (
        "query",
        f"GET /callback?code=1&client_secret={PW}&state=xyz",
        ("/callback?code=1", "&state=xyz"),
    ),
    ("python-env", f'os.environ["DB_PASSWORD"] = "{PW}"', ()),
    ("set-property", f'props.setProperty("mail.smtp.password", "{PW}")', ()),
    ("nuget-setapikey", f"nuget setapikey {PW} -source https://nuget.example.com", ("-source",)),
    (
        "npm-config-set",
        f"npm config set //registry.npmjs.org/:_authToken {PW}",
        ("npm config set",),
    ),
    (
        "nuget-push-positional",
        f"nuget push app.1.0.nupkg {PW} -Source https://x.example.com",
        ("nuget push app.1.0.nupkg", "-Source"),
    ),
    ("dotnet-nuget-k", f"dotnet nuget push app.nupkg -k {PW} -s feed", ("-s feed",)),
    ("go-assign", f'dbPassword := "{PW}"', ("dbPassword :=",)),
    ("k8s-secret-yaml", f"kind: Secret\ndata:\n  dsn-url: {PW}==\n", ("kind: Secret", "dsn-url:")),
    (
        "k8s-secret-json",
        f'{{"kind": "Secret", "data": {{"conn": "{PW}=="}}}}',
        ('"kind": "Secret"',),
    ),
    ("k8s-secret-escaped", f"kind: Secret\\ndata:\\n  conn: {PW}\\n", ("kind: Secret",)),
]


@pytest.mark.parametrize(("form", "text", "kept"), CONTEXT_FORMS, ids=[c[0] for c in CONTEXT_FORMS])
def test_context_forms(form: str, text: str, kept: tuple[str, ...]) -> None:
    out = redact(text, NO_IP)
    assert PW not in out and TOKEN not in out, f"{form}: leaked: {out!r}"
    for part in kept:
        assert part in out, f"{form}: {part!r} over-redacted: {out!r}"


def test_docs_list_every_provider() -> None:
    """docs/security.md has one line per format and per provider name."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text("utf-8")
    missing = [f.kind for f in PROVIDER_FORMATS if f"`{f.kind}` |" not in doc]
    missing += [k for k in KEYWORD_PROVIDERS if f"| {k} |" not in doc]
    assert missing == []
