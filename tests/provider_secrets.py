"""One secret-shaped sample per provider format, assembled from parts at run time.

Every format of ``core.secret_formats`` (and the long-standing shapes of ``core.redact``) has a
sample here, so the repository holds nothing a secret scanner or push protection would flag:
prefixes are split and bodies come from a seeded generator.  ``KEYWORD_SAMPLES`` are the
providers whose keys have no shape of their own and are found by the provider's name beside them.
"""

from __future__ import annotations

import random
import string
import uuid

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
LOWNUM = LOWER + DIGITS
UPNUM = UPPER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"

_RNG = random.Random(1404)


def rand(n: int, alphabet: str = ALNUM) -> str:
    """Random-looking, with at least two of each class the alphabet has (like a real token)."""
    classes = [c for c in (UPPER, LOWER, DIGITS) if set(c) & set(alphabet)]
    while True:
        value = "".join(_RNG.choice(alphabet) for _ in range(n))
        if n < 12 or all(sum(ch in c for ch in value) >= 2 for c in classes):
            return value


def _uuid() -> str:
    return str(uuid.UUID(int=_RNG.getrandbits(128)))


def _j(*parts: str) -> str:
    return "".join(parts)


# (id, sample).  The id names the provider (and token family where a provider has several).
SHAPE_SAMPLES: tuple[tuple[str, str], ...] = (
    (
        "1password-secret-key",
        _j(
            "A3",
            "-",
            rand(6, UPNUM),
            "-",
            rand(11, UPNUM),
            "-",
            rand(5, UPNUM),
            "-",
            rand(5, UPNUM),
            "-",
            rand(5, UPNUM),
        ),
    ),
    ("1password-service-account", _j("ops", "_eyJ", rand(250, B64))),
    ("adobe-client-secret", _j("p8", "e-", rand(32))),
    ("adyen-api-key", _j("AQ", "E", rand(8, LOWNUM), ".", rand(60))),
    ("alibaba-access-key", _j("LT", "AI", rand(20))),
    ("ansible-vault", _j("$ANSIBLE", "_VAULT;1.1;AES256\n", rand(80, HEX), "\n", rand(80, HEX))),
    ("artifactory-api-key", _j("AK", "Cp", rand(69))),
    ("artifactory-reference-token", _j("cmV", "md", rand(59))),
    (
        "authress-key",
        _j(
            "sc",
            "_",
            rand(10, LOWNUM),
            ".",
            rand(5, LOWNUM),
            ".ac",
            "c_",
            rand(20, LOWNUM),
            ".",
            rand(60),
        ),
    ),
    ("azure-ad-client-secret", _j(rand(3), "8", "Q~", rand(34))),
    (
        "azure-integration-runtime-key",
        _j("IR", "@", _uuid(), "@adf-prod@westeurope@", rand(44, B64)),
    ),
    (
        "braintree-access-token",
        _j("access_token", "$production$", rand(16, LOWNUM), "$", rand(32, HEX)),
    ),
    ("braintree-tokenization-key", _j("sand", "box_", rand(8, LOWNUM), "_", rand(16, LOWNUM))),
    ("castai-key", _j("castai", "_v1_", rand(64), "_", rand(8))),
    ("chieftools-token", _j("ct", "p_", rand(36))),
    ("clickhouse-secret", _j("4b", "1d", rand(38))),
    ("clojars-token", _j("CLOJ", "ARS_", rand(60, LOWNUM))),
    ("cloudflare-origin-ca-key", _j("v1", ".0-", rand(24, HEX), "-", rand(146, HEX))),
    ("databricks-token", _j("da", "pi", rand(32, HEX))),
    ("defined-networking-token", _j("dn", "key-", rand(26), "-", rand(52))),
    ("doppler-token", _j("dp", ".pt.", rand(43))),
    ("dropbox-short-lived", _j("sl", ".", rand(135))),
    ("dropbox-long-lived", _j(rand(11, LOWNUM), "AAAAA", "AAAAA", rand(43))),
    ("duffel-token", _j("duffel", "_test_", rand(43))),
    ("dynatrace-token", _j("dt0", "c01.", rand(24, UPNUM), ".", rand(64, UPNUM))),
    ("easypost-token", _j("EZ", "AK", rand(54))),
    ("facebook-page-token", _j("EA", "AM", rand(120))),
    ("facebook-access-token", _j(rand(15, DIGITS), "|", rand(32))),
    ("flutterwave-secret-key", _j("FLW", "SECK_TEST-", rand(32, HEX), "-X")),
    ("flyio-token", _j("fm", "2_", rand(120, B64))),
    ("frameio-token", _j("fio", "-u-", rand(64))),
    ("freemius-secret-key", _j("sk", "_", rand(29))),
    ("gitlab-session-cookie", _j("_gitlab", "_session=", rand(32, LOWNUM))),
    ("grafana-api-key", _j("eyJr", "Ijoi", rand(70))),
    ("grafana-cloud-token", _j("gl", "c_", rand(48))),
    ("grafana-service-account", _j("gl", "sa_", rand(32), "_", rand(8, HEX))),
    ("groq-key", _j("gs", "k_", rand(48))),
    ("harness-token", _j("pa", "t.", rand(22), ".", rand(24), ".", rand(20))),
    ("heroku-key-v2", _j("HR", "KU-AA", rand(58))),
    ("hashicorp-terraform-token", _j(rand(14, LOWNUM), ".atlas", "v1.", rand(67))),
    ("infracost-token", _j("ic", "o-", rand(32))),
    ("intra42-secret", _j("s-s4", "t2ud-", rand(64, HEX))),
    ("jwt-base64", _j("ZX", "lK", "aGJHY2lPaU", rand(60))),
    ("langsmith-key", _j("lsv2", "_pt_", rand(32, LOWNUM), "_", rand(10, LOWNUM))),
    ("linear-key", _j("lin", "_api_", rand(40))),
    ("mailgun-key", _j("ke", "y-", rand(32, HEX))),
    ("mapbox-token", _j("pk", ".eyJ", rand(60), ".", rand(22))),
    ("mapbox-token-random", _j("pk", ".", rand(60), ".", rand(22))),
    ("mailchimp-key", _j(rand(32, HEX), "-u", "s21")),
    ("plaid-token", _j("access-", "sandbox-", _uuid())),
    ("twitter-bearer-token", _j("A" * 11, "A" * 11, rand(90))),
    ("maxmind-license-key", _j(rand(6), "_", rand(29), "_m", "mk")),
    ("newrelic-user-key", _j("NR", "AK-", rand(27, UPNUM))),
    ("newrelic-browser-key", _j("NR", "JS-", rand(19, HEX))),
    ("notion-token", _j("nt", "n_", rand(11, DIGITS), rand(35))),
    ("notion-integration-secret", _j("sec", "ret_", rand(43))),
    ("nuget-api-key", _j("oy", "2", rand(43, LOWNUM))),
    ("octopus-deploy-key", _j("AP", "I-", rand(26, UPNUM))),
    ("openshift-token", _j("sha256", "~", rand(43))),
    ("perplexity-key", _j("pp", "lx-", rand(48))),
    ("planetscale-token", _j("pscale", "_tkn_", rand(43))),
    ("postman-key", _j("PM", "AK-", rand(24, HEX), "-", rand(34, HEX))),
    ("prefect-key", _j("pn", "u_", rand(36))),
    ("pulumi-token", _j("pu", "l-", rand(40, HEX))),
    ("readme-key", _j("rd", "me_", rand(70, LOWNUM))),
    ("rubygems-key", _j("ruby", "gems_", rand(48, HEX))),
    ("scalingo-token", _j("tk", "-us-", rand(48))),
    ("sendinblue-key", _j("xkey", "sib-", rand(64, HEX), "-", rand(16))),
    (
        "sentry-org-token",
        _j(
            "sntr",
            "ys_",
            "eyJpYXQiO",
            rand(60, B64),
            "LCJyZWdpb25fdXJs",
            rand(40, B64),
            "_",
            rand(43, B64),
        ),
    ),
    ("sentry-user-token", _j("sntr", "yu_", rand(64, HEX))),
    ("settlemint-token", _j("sm", "_pat_", rand(16))),
    ("shippo-token", _j("shippo", "_live_", rand(40, HEX))),
    ("sourcegraph-token", _j("sg", "p_", rand(16, HEX), "_", rand(40, HEX))),
    ("square-token", _j("sq0", "atp-", rand(30))),
    ("square-access-token", _j("EA", "AA", rand(60))),
    (
        "teams-webhook",
        _j(
            "https://acme.webhook.office.com/",
            "webhookb2/",
            _uuid(),
            "@",
            _uuid(),
            "/IncomingWebhook/",
            rand(32, HEX),
            "/",
            _uuid(),
        ),
    ),
    ("test-live-key", _j("li", "ve_", rand(40))),
    ("twilio-key", _j("S", "K", rand(32, HEX))),
    ("typeform-token", _j("tf", "p_", rand(59))),
    ("vault-legacy-token", _j("s", ".", rand(24))),
    ("yandex-token", _j("t1", ".", rand(20), ".", rand(86))),
    ("yandex-api-key", _j("AQ", "VN", rand(36))),
    # the long-standing shapes
    ("github-pat", _j("gh", "p_", rand(36))),
    ("github-fine-grained", _j("github", "_pat_", "11", rand(20, UPNUM), "_", rand(59))),
    ("aws-access-key", _j("AK", "IA", rand(16, UPNUM))),
    ("gcp-api-key", _j("AI", "za", "Sy", rand(33))),
    ("google-oauth", _j("ya", "29.", rand(60))),
    ("google-client-secret", _j("GOC", "SPX-", rand(28))),
    ("slack-bot-token", _j("xo", "xb-", rand(12, DIGITS), "-", rand(12, DIGITS), "-", rand(24))),
    ("slack-app-token", _j("xa", "pp-1-", rand(11, UPNUM), "-", rand(13, DIGITS), "-", rand(64))),
    ("stripe-key", _j("sk", "_live_", rand(24))),
    ("anthropic-key", _j("sk-", "ant-api03-", rand(93), "AA")),
    ("openai-key", _j("sk-", "proj-", rand(58), "T3Blbk", "FJ", rand(58))),
    ("npm-token", _j("np", "m_", rand(36))),
    ("pypi-token", _j("py", "pi-", "AgEIcHlwaS5vcmc", rand(70))),
    ("gitlab-pat", _j("gl", "pat-", rand(20))),
    ("gitlab-runner-registration", _j("GR13", "48941", rand(20))),
    ("huggingface-token", _j("h", "f_", rand(34))),
    ("sendgrid-key", _j("S", "G.", rand(22), ".", rand(43))),
    ("shopify-token", _j("sh", "pat_", rand(32, HEX))),
    ("digitalocean-token", _j("do", "p_v1_", rand(64, HEX))),
    ("vault-service-token", _j("hv", "s.", rand(95))),
    ("atlassian-token", _j("ATA", "TT3", rand(186))),
    ("age-secret-key", _j("AGE-SECRET", "-KEY-1", rand(58, UPNUM))),
    ("telegram-bot-token", _j(rand(10, DIGITS), ":A", "A", rand(33))),
    ("jwt", _j("ey", "JhbGciOiJIUzI1NiJ9.", "ey", "J", rand(40), ".", rand(43))),
    ("jwt-any-header", _j("ey", rand(30), ".", "ey", rand(40), ".", rand(43))),
    ("sendgrid-key-one-part", _j("S", "G.", rand(66))),
    ("telegram-bot-token-a", _j(rand(9, DIGITS), ":A", rand(34, LOWNUM))),
    (
        "slack-webhook-no-scheme",
        _j("hooks.slack", ".com/services/T0", rand(8, UPNUM), "/B0", rand(8, UPNUM), "/", rand(24)),
    ),
    ("square-token-dashes", _j("EA", "AA", rand(20), "-", rand(20), "_", rand(10))),
)

# Providers found by name alone: (provider word, a value in the provider's alphabet).
KEYWORD_SAMPLES: tuple[tuple[str, str], ...] = (
    ("adafruit", rand(32, LOWNUM)),
    ("adobe", rand(32, HEX)),
    ("airtable", rand(17, LOWNUM)),
    ("algolia", rand(32, LOWNUM)),
    ("alibaba", rand(30, LOWNUM)),
    ("asana", rand(32, LOWNUM)),
    ("atlassian", rand(24, LOWNUM)),
    ("jira", rand(24, LOWNUM)),
    ("aws", rand(40, B64)),
    ("beamer", _j("b_", rand(44))),
    ("bitbucket", rand(32, LOWNUM)),
    ("bittrex", rand(32, LOWNUM)),
    ("meraki", rand(40, HEX)),
    ("cloudflare", rand(40, LOWNUM)),
    ("codecov", rand(32, LOWNUM)),
    ("cohere", rand(40)),
    ("coinbase", rand(64, LOWNUM)),
    ("confluent", rand(16, LOWNUM)),
    ("contentful", rand(43)),
    ("datadog", rand(40, LOWNUM)),
    ("discord", rand(64, HEX)),
    ("discord", rand(18, DIGITS)),
    ("droneci", rand(32, LOWNUM)),
    ("dropbox", rand(15, LOWNUM)),
    ("etsy", rand(24, LOWNUM)),
    ("facebook", rand(32, HEX)),
    ("fastly", rand(32)),
    ("finicity", rand(20, LOWNUM)),
    ("finnhub", rand(20, LOWNUM)),
    ("flickr", rand(32, LOWNUM)),
    ("freshbooks", rand(64, LOWNUM)),
    ("gitter", rand(40, LOWNUM)),
    ("gocardless", _j("live_", rand(40))),
    ("heroku", _uuid()),
    ("hubspot", _uuid().upper()),
    ("intercom", rand(60)),
    ("jfrog", rand(73, LOWNUM)),
    ("kraken", rand(88, B64)),
    ("kucoin", rand(24, HEX)),
    ("launchdarkly", rand(40)),
    ("linear", rand(32, HEX)),
    ("linkedin", rand(14, LOWNUM)),
    ("lob", _j("live_", rand(35, HEX))),
    ("looker", rand(24)),
    ("mailchimp", _j(rand(32, HEX), "-us", "12")),
    ("mailgun", _j(rand(32, HEX), "-", rand(8, HEX), "-", rand(8, HEX))),
    ("mattermost", rand(26, LOWNUM)),
    ("messagebird", rand(25, LOWNUM)),
    ("netlify", rand(43)),
    ("newrelic", rand(64, LOWNUM)),
    ("nytimes", rand(32)),
    ("okta", _j("00", rand(40))),
    ("plaid", rand(30, LOWNUM)),
    ("privateai", rand(32, LOWNUM)),
    ("rapidapi", rand(50)),
    ("sendbird", rand(40, HEX)),
    ("sentry", rand(64, HEX)),
    ("snyk", _uuid()),
    ("sonar", rand(40, LOWNUM)),
    ("squarespace", _uuid()),
    ("sumo", rand(64, LOWNUM)),
    ("telegram", _j(rand(10, DIGITS), ":A", rand(34))),
    ("travis", rand(22, LOWNUM)),
    ("twitch", rand(30, LOWNUM)),
    ("twitter", rand(45, LOWNUM)),
    ("yandex", _j("YC", rand(38))),
    ("zendesk", rand(40)),
    ("contribsys", _j(rand(8, HEX), ":", rand(8, HEX))),
)

# Bare contexts: no key name, no hint word next to the secret.
BARE_CONTEXTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (id, template with {s}, words that must survive)
    ("alone", "{s}", ()),
    ("sentence", "upstream rejected {s} retrying in 5s", ("upstream rejected", "retrying in 5s")),
    (
        "exception",
        'RuntimeError: call failed ({s})\\n  File "app/sync.py", line 41',
        ("RuntimeError: call failed", "app/sync.py"),
    ),
    ("escaped-newline", "call failed:\\n{s}\\n  at main.go:12", ("call failed:", "at main.go:12")),
    ("tab", "token\t{s}\tok", ("ok",)),
    (
        "json",
        '{{"message": "sync failed", "detail": "got {s} back", "code": 7}}',
        ("sync failed", '"code": 7'),
    ),
    (
        "query",
        "GET https://api.example.com/v1/items?q={s}&page=2 HTTP/1.1",
        ("https://api.example.com/v1/items?q=", "&page=2"),
    ),
    (
        "path",
        "GET https://api.example.com/v1/hooks/{s}/status 404",
        ("https://api.example.com/v1/hooks/", "/status 404"),
    ),
    (
        "curl",
        "curl -sf https://api.example.com/v2/ping -H 'X-Request: {s}' exit 22",
        ("curl -sf https://api.example.com/v2/ping", "exit 22"),
    ),
)

# Contexts with a key name (the provider's own or a generic one).
NAMED_CONTEXTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("env", "loaded {name}_API_KEY={s} from env", ("loaded", "from env")),
    ("yaml", "{name}.auth_token: {s}", ()),
    ("json", '{{"{name}_secret": "{s}", "region": "eu"}}', ('"region": "eu"',)),
    ("php", "'{name}_key' => '{s}',", ()),
    ("header", "Authorization: {scheme} {s}", ()),
    ("query", "POST https://api.example.com/hook?api_key={s}&retry=1", ("api.example.com/hook",)),
    ("go", '{name}Token := "{s}"', ()),
    ("xml", "<{name}ApiKey>{s}</{name}ApiKey>", ()),
    ("generic", "client_access = {s}", ()),
)
