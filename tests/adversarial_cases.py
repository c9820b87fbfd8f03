"""Adversarial log entries of every untrusted-input category, built at run time.

Variants of the kinds in ../shared/corpus, written the way a second, larger hidden set would
write them: other token prefixes and lengths, secrets in URLs, query strings, headers, nested
and escaped JSON, Authorization schemes, PEM blocks in many forms, personal data in many
formats, every way GitHub markdown links, mentions or renders, workflow commands with leading
whitespace, and unicode tricks.

Secret-shaped values are assembled from parts with a seeded generator, so this file holds no
string that secret scanners or push protection flag.  Each case is one Cloud Logging entry with
its own service (so it becomes its own problem and its own issue) and a tag word that must
survive publication, plus the same kinds of expectations as the public corpus.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass, field
from typing import Any

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"

_RNG = random.Random(20250603)  # deterministic: the same fixtures every run


def rand(n: int, alphabet: str = ALNUM) -> str:
    # Always mixed: at least one upper, lower and digit when the alphabet has them, so shape
    # checks (and entropy checks) see what a real token looks like.
    while True:
        value = "".join(_RNG.choice(alphabet) for _ in range(n))
        needs = [set(string.ascii_uppercase), set(string.ascii_lowercase), set(string.digits)]
        wanted = [s for s in needs if s & set(alphabet)]
        if n < 8 or all(set(value) & s for s in wanted):
            return value


def mid(value: str, n: int = 12) -> str:
    """A fragment from the middle of a secret (a partial leak check)."""
    start = max(0, (len(value) - n) // 2)
    return value[start : start + n]


def gh(kind: str, n: int = 36) -> str:
    return "gh" + kind + "_" + rand(n)


def fine_grained_pat() -> str:
    return "github" + "_pat_" + "11" + rand(20, UPPER_DIGITS) + "_" + rand(59)


def aws_key_id(prefix: str = "AKIA") -> str:
    return prefix[:2] + prefix[2:] + rand(16, UPPER_DIGITS)


def aws_secret() -> str:
    return rand(18) + "+" + rand(10) + "/" + rand(10)


def google_api_key() -> str:
    return "AI" + "za" + "Sy" + rand(33, ALNUM + "-_")


def google_oauth() -> str:
    return "ya" + "29." + "a0" + rand(120, ALNUM + "-_")


def pem(kind: str = "RSA ", lines: int = 6, width: int = 64) -> tuple[str, list[str]]:
    body = [rand(width, B64) for _ in range(lines)]
    head = "-----BEGIN " + kind + "PRIV" + "ATE KEY-----"
    tail = "-----END " + kind + "PRIV" + "ATE KEY-----"
    return "\n".join([head, *body, tail]), body


def slack(kind: str) -> str:
    return (
        "xo"
        + "x"
        + kind
        + "-"
        + rand(12, string.digits)
        + "-"
        + rand(13, string.digits)
        + "-"
        + rand(24)
    )


def slack_webhook() -> str:
    return (
        "https://hooks.slack"
        + ".com/services/T"
        + rand(10, UPPER_DIGITS)
        + "/B"
        + rand(10, UPPER_DIGITS)
        + "/"
        + rand(24)
    )


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return part({"alg": "RS256", "typ": "JWT"}) + "." + part(claims) + "." + rand(43, ALNUM + "-_")


def luhn_complete(prefix: str, length: int) -> str:
    """A card number with ``prefix`` and a valid check digit (a test number, not a real one)."""
    body = prefix + "".join(_RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        digits = body + check
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def iban(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(char, 36)) for char in rearranged))
    return f"{country}{98 - number % 97:02d}{bban}"


def grouped(value: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


@dataclass(frozen=True)
class Case:
    case_id: str
    category: str
    text: str | None = None  # textPayload
    payload: dict[str, Any] | None = None  # jsonPayload
    must_not_appear: tuple[str, ...] = ()
    must_be_inside_code: tuple[str, ...] = ()
    stdout_must_not_match: tuple[str, ...] = ()
    should_appear: tuple[str, ...] = ()
    resource: dict[str, str] = field(default_factory=dict)  # resource label overrides
    extra: dict[str, Any] = field(default_factory=dict)  # other LogEntry fields
    tagged: bool = True  # append the case's tag word to the text (off when the end matters)


def tag(index: int) -> str:
    """A word unique to one case, letters only (never masked, never redacted)."""
    letters = ""
    n = index
    for _ in range(3):
        letters += "bcdfghjklmnpqrstvwxz"[n % 20]
        n //= 20
    return "zq" + letters + "case"


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(case_id: str, category: str, **kw: Any) -> None:
        c.append(Case(case_id, category, **kw))

    # --- secrets by prefix and shape --------------------------------------------------------
    t = gh("o")
    add(
        "S01",
        "secret",
        text=f"GET /api/callback?access_token={t}&state=ok -> 401",
        must_not_appear=(t, mid(t)),
        should_appear=("/api/callback",),
    )
    t = gh("u", 40)
    add(
        "S02",
        "secret",
        payload={"message": "sync failed", "a": {"b": {"c": {"d": {"e": {"value": t}}}}}},
        must_not_appear=(t, mid(t), t[:16]),
    )
    t = gh("r")
    add(
        "S03",
        "secret",
        text=f"refresh rejected\nX-GitHub-Token: {t}\nstatus=401",
        must_not_appear=(t, mid(t)),
    )
    t = fine_grained_pat()
    inner = json.dumps({"cfg": {"auth": {"t": t}}})
    add(
        "S04",
        "secret",
        text=f"config parse failed: {json.dumps(inner)}",
        must_not_appear=(t, mid(t), t[:24]),
    )
    t = gh("p")
    add(
        "S05",
        "secret",
        text=f"token was {t[:3]}%5F{t[4:]} in query",
        must_not_appear=(t[4:], mid(t), t[4:20]),
    )
    t = gh("s")
    add(
        "S06",
        "secret",
        text=f"pasted: {t[:14]}\u2060{t[14:26]}\u00ad{t[26:]}",
        must_not_appear=(t[:14], t[14:26], t[26:]),
    )
    t = gh("p")
    add(
        "S07", "secret", text=f"pasted: {t[:14]}%E2%80%8B{t[14:]}", must_not_appear=(t[:14], t[14:])
    )
    t = gh("p")
    add(
        "S08",
        "secret",
        text=f"git push https://x-access-token:{t}@github.com/acme/shop.git failed",
        must_not_appear=(t, mid(t)),
        should_appear=("github.com/acme/shop.git",),
    )
    t = gh("p")
    add(
        "S09",
        "secret",
        text=f"token={t}, retrying in 5s",
        must_not_appear=(t, mid(t)),
        should_appear=("retrying in 5s",),
    )
    kid, secret = aws_key_id("ASIA"), aws_secret()
    add(
        "S10",
        "secret",
        payload={
            "message": "sts assume failed",
            "Credentials": {
                "AccessKeyId": kid,
                "SecretAccessKey": secret,
                "SessionToken": rand(200, B64),
            },
        },
        must_not_appear=(kid, secret, mid(secret)),
    )
    kid, secret = aws_key_id("AKIA"), aws_secret()
    add(
        "S11",
        "secret",
        text=f"[default]\naws_access_key_id = {kid}\naws_secret_access_key = {secret}\nregion = eu-west-1",
        must_not_appear=(kid, secret, mid(secret), kid[4:]),
        should_appear=("eu-west-1",),
    )
    k = google_api_key()
    add(
        "S12",
        "secret",
        text=f"request headers: x-goog-api-key: {k}; host=translation.googleapis.com",
        must_not_appear=(k, mid(k)),
        should_appear=("translation.googleapis.com",),
    )
    k = google_oauth()
    add("S13", "secret", text=f"Authorization: Bearer {k}", must_not_appear=(k, mid(k), k[:30]))
    block, body = pem("RSA ")
    add(
        "S14",
        "secret",
        text=f"loading key failed:\n{block}\nend of dump",
        must_not_appear=(*body, body[0][:20]),
    )
    block, body = pem("EC ", 3)
    add(
        "S15",
        "secret",
        payload={"message": "tls setup", "blob": block},
        must_not_appear=tuple(body),
    )
    block, body = pem("", 5)
    doubly = json.dumps(json.dumps({"type": "service_account", "private_key": block}))
    add("S16", "secret", text=f"secret manager returned {doubly}", must_not_appear=tuple(body))
    block, body = pem("ENCRYPTED ", 4)
    add("S17", "secret", text=block.replace("\n", "\\r\\n"), must_not_appear=tuple(body))
    block, body = pem("OPENSSH ", 6)
    cut = block.split("\n")
    add(
        "S18",
        "secret",
        text="key dump (truncated): " + "\n".join(cut[:4]),
        tagged=False,
        must_not_appear=tuple(body[:3]),
    )
    block, body = pem("", 4)
    sa = {
        "type": "service_account",
        "project_id": "lg-fixture-prod",
        "private_key_id": rand(40, HEX),
        "private_key": block + "\n",
        "client_email": "deployer@lg-fixture-prod.iam.gserviceaccount.com",
        "client_id": rand(21, string.digits),
    }
    add(
        "S19",
        "secret",
        payload={"message": "credentials loaded", "credentials_json": sa},
        must_not_appear=tuple(body),
    )
    block, body = pem("", 4)
    sa = {"type": "service_account", "private_key": block}
    add(
        "S20",
        "secret",
        payload={"message": "adc", "env": {"GOOGLE_CREDENTIALS": json.dumps(sa)}},
        must_not_appear=tuple(body),
    )
    block, body = pem("RSA ", 4)
    add(
        "S21",
        "secret",
        payload={"message": "key", "k": [block.split("\n")]},
        must_not_appear=tuple(body),
    )
    t = slack("p")
    add("S22", "secret", text=f"slack: not_authed token {t}", must_not_appear=(t, mid(t)))
    t = (
        "xa"
        + "pp-1-A"
        + rand(10, UPPER_DIGITS)
        + "-"
        + rand(13, string.digits)
        + "-"
        + rand(64, HEX)
    )
    add("S23", "secret", text=f"socket mode: {t}", must_not_appear=(t, mid(t)))
    w = slack_webhook()
    add(
        "S24",
        "secret",
        payload={"message": "notify failed", "cfg": {"url": w}},
        must_not_appear=(w, w.rsplit("/", 1)[1]),
    )
    t = "r" + "k_live_" + rand(24)
    t2 = "s" + "k_test_" + rand(99)
    t3 = "wh" + "sec_" + rand(32)
    add(
        "S25",
        "secret",
        text=f"stripe: restricted {t} test {t2} hook {t3}",
        must_not_appear=(t, t2, t3, mid(t), mid(t2), mid(t3)),
    )
    t = "s" + "k-svcacct-" + rand(74, ALNUM + "-_") + "T3Blbk" + "FJ" + rand(74, ALNUM + "-_")
    t2 = "s" + "k-" + rand(48)
    add(
        "S26",
        "secret",
        text=f"openai key {t} and legacy {t2} rejected",
        must_not_appear=(t, t2, mid(t), mid(t2)),
    )
    t = "s" + "k-ant-api03-" + rand(93, ALNUM + "-_") + "AA"
    add(
        "S27",
        "secret",
        text=f"anthropic.AuthenticationError: x-api-key {t}",
        must_not_appear=(t, mid(t)),
        should_appear=("AuthenticationError",),
    )
    t = "np" + "m_" + rand(36)
    add("S28", "secret", text=f"//npm.pkg.github.com/:_authToken={t}", must_not_appear=(t, mid(t)))
    t = "py" + "pi-AgEIcHlwaS5vcmc" + rand(70, ALNUM + "-_")
    add(
        "S29",
        "secret",
        payload={"message": "upload", "argv": ["twine", "upload", "-p", t]},
        must_not_appear=(t, mid(t)),
    )
    t = "gl" + "pat-" + rand(20, ALNUM + "-_")
    add(
        "S30",
        "secret",
        text=f"clone https://oauth2:{t}@gitlab.example.com/g/p.git",
        must_not_appear=(t, mid(t, 10)),
        should_appear=("gitlab.example.com",),
    )
    j = jwt({"sub": "1234567890", "email": "jane.roe@example.com", "iat": 1717405200})
    add(
        "S31",
        "secret",
        text=f"Cookie: theme=dark; id_token={j}; lang=en",
        must_not_appear=(j, j.split(".")[1][:20], j.split(".")[2]),
    )
    j = jwt({"sub": "42"})
    add("S32", "secret", text=f"GET /cb?jwt={j}", must_not_appear=(j, j.split(".")[2]))
    v = base64.b64encode(("svc-user:" + rand(20)).encode()).decode()
    add(
        "S33",
        "secret",
        payload={
            "message": "upstream 401",
            "request": {"headers": {"authorization": "Basic " + v}},
        },
        must_not_appear=(v, mid(v)),
    )
    v = rand(40, ALNUM)
    add("S34", "secret", text=f"authorization: Token {v}", must_not_appear=(v, mid(v)))
    v = rand(32, ALNUM)
    add("S35", "secret", text=f"header Authorization: bearer {v}", must_not_appear=(v, mid(v)))
    sig = rand(64, HEX)
    kid = aws_key_id("AKIA")
    add(
        "S36",
        "secret",
        text=(
            f"Authorization: AWS4-HMAC-SHA256 Credential={kid}/20250603/us-east-1/s3/aws4_request, "
            f"SignedHeaders=host;x-amz-date, Signature={sig}"
        ),
        must_not_appear=(kid, sig, mid(sig)),
    )
    v = base64.b64encode(rand(60).encode()).decode()
    add("S37", "secret", text=f"Proxy-Authorization: Negotiate {v}", must_not_appear=(v, mid(v)))
    pw = rand(16)
    add(
        "S38",
        "secret",
        text=f"mongo: mongodb+srv://app_user:{pw}@cluster0.example.net/db?retryWrites=true",
        must_not_appear=(pw, "app_user:" + pw),
        should_appear=("cluster0.example.net",),
    )
    pw = rand(10) + "%40" + rand(8)
    add(
        "S39",
        "secret",
        text=f"https://deploy:{pw}@registry.example.com/v2/",
        must_not_appear=(pw, pw[:10], pw[-8:]),
        should_appear=("registry.example.com",),
    )
    pw = rand(14)
    add(
        "S40",
        "secret",
        text=f"jdbc:mysql://reporter:{pw}@10.20.30.40:3306/sales",
        must_not_appear=(pw, "10.20.30.40"),
    )
    pw = rand(12) + "!"
    add(
        "S41",
        "secret",
        text=f"cli: mysqldump --user=backup --password {pw} --host db.internal",
        must_not_appear=(pw,),
        should_appear=("db.internal",),
    )
    pw = rand(14)
    add(
        "S42",
        "secret",
        text=f"starting with -p{pw[:0]} --db-password={pw} and PGPASSWORD={pw[::-1]}",
        must_not_appear=(pw, pw[::-1]),
    )
    pw = rand(18)
    add(
        "S43",
        "secret",
        payload={"message": "cfg", "l1": {"l2": {"l3": {"l4": {"l5": {"db_password": pw}}}}}},
        must_not_appear=(pw, mid(pw, 10)),
    )
    pw = rand(20)
    add(
        "S44",
        "secret",
        text=f"yaml dump:\n  database:\n    passwd: {pw}\n    host: db-replica.internal",
        must_not_appear=(pw, mid(pw, 10)),
        should_appear=("db-replica.internal",),
    )
    cs, ak = rand(34, ALNUM + "-_"), rand(32, HEX)
    add(
        "S45",
        "secret",
        text=f"POST /oauth/token client_id=web&client_secret={cs}&grant_type=x&api_key={ak}",
        must_not_appear=(cs, ak, mid(cs), mid(ak)),
        should_appear=("/oauth/token",),
    )
    ak = rand(32, ALNUM)
    add(
        "S46",
        "secret",
        text=f"upstream headers: {{'X-Api-Key': '{ak}', 'Accept': 'application/json'}}",
        must_not_appear=(ak, mid(ak)),
        should_appear=("application/json",),
    )
    hv = rand(40, ALNUM)
    add("S47", "secret", text=f"cache warmup blob {hv} stored", must_not_appear=(hv, mid(hv)))
    t = gh("p")
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in t)
    add("S48", "secret", text=f"unicode-escaped token {escaped}", must_not_appear=(t, escaped[:60]))
    t = gh("p")
    full = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in t)
    add("S49", "secret", text=f"fullwidth token {full}", must_not_appear=(full, mid(full)))
    t = gh("p")
    add("S50", "secret", text=f"{t}", must_not_appear=(t, mid(t)), tagged=False)
    t = "hf" + "_" + rand(34)
    add(
        "S51",
        "secret",
        payload={"message": "hub", "HUGGING_FACE_HUB_TOKEN": t, "token_count": 12},
        must_not_appear=(t, mid(t)),
        should_appear=("token_count",),
    )
    t = "SG." + rand(22, ALNUM + "-_") + "." + rand(43, ALNUM + "-_")
    add("S52", "secret", text=f"sendgrid 401 for {t}", must_not_appear=(t, mid(t)))
    t = "dop" + "_v1_" + rand(64, HEX)
    add("S53", "secret", text=f"doctl auth init -t {t}", must_not_appear=(t, mid(t)))
    t = gh("p")
    add("S54", "secret", text=f"<token>{t}</token>", must_not_appear=(t, mid(t)))
    t = gh("p", 36)
    add("S55", "secret", text=f"Bearer%20{t}", must_not_appear=(t, mid(t)))
    pw = rand(16)
    add(
        "S56",
        "secret",
        text=f'{{\\"password\\":\\"{pw}\\",\\"user\\":\\"svc\\"}}',
        must_not_appear=(pw,),
    )
    sess = rand(40, HEX)
    add(
        "S57",
        "secret",
        text=f"Set-Cookie: SESSION={sess}; Path=/; HttpOnly",
        must_not_appear=(sess, mid(sess)),
    )

    # --- personal data ---------------------------------------------------------------------
    add(
        "P01",
        "pii",
        text="signup from first.last+promo@mail.eu.example.co.uk and ADMIN@EXAMPLE.ORG",
        must_not_appear=(
            "first.last+promo@mail.eu.example.co.uk",
            "ADMIN@EXAMPLE.ORG",
            "first.last+promo",
        ),
        should_appear=("signup from",),
    )
    add(
        "P02",
        "pii",
        text="mail to <jose.garcía@example.es> bounced; mailto:zoë@example.com",
        must_not_appear=("jose.garcía@example.es", "zoë@example.com", "jose.garc"),
    )
    add(
        "P03",
        "pii",
        text="reset for user%40example.net and user@xn--bcher-kva.example",
        must_not_appear=("user%40example.net", "user@xn--bcher-kva.example"),
    )
    add(
        "P04",
        "pii",
        text='email=o\'brien@example.ie; cc="ann-marie_smith@corp.example.com"',
        must_not_appear=("brien@example.ie", "ann-marie_smith@corp.example.com"),
    )
    add(
        "P05",
        "pii",
        text="call +44 20 7946 0958 or (415) 555-0132 or +1-415-555-0199 or 415.555.0175",
        must_not_appear=("7946 0958", "555-0132", "555-0199", "555.0175"),
    )
    add(
        "P06",
        "pii",
        payload={
            "message": "sms failed",
            "to": {"phone": "+4915112345678", "mobile_number": "0151 1234 5678"},
        },
        must_not_appear=("4915112345678", "0151 1234 5678"),
    )
    card = luhn_complete("4", 16)
    add(
        "P07",
        "pii",
        text=f"charge declined card {grouped(card)} exp 12/29",
        must_not_appear=(grouped(card), card, grouped(card)[5:14]),
        should_appear=("charge declined",),
    )
    card = luhn_complete("51", 16)
    add(
        "P08",
        "pii",
        text=f"pan={grouped(card, sep='-')}",
        must_not_appear=(grouped(card, sep="-"), card),
    )
    card = luhn_complete("37", 15)
    amex = f"{card[:4]} {card[4:10]} {card[10:]}"
    add("P09", "pii", text=f"amex {amex} refused", must_not_appear=(amex, card))
    card = luhn_complete("6011", 16)
    add(
        "P10",
        "pii",
        payload={"message": "tokenize", "card": {"number": int(card), "cvv": "737"}},
        must_not_appear=(card, '"737"'),
    )
    card = luhn_complete("4", 19)
    add("P11", "pii", text=f"raw:{card};", must_not_appear=(card,))
    de = iban("DE", "370400440532013000")
    gb = iban("GB", "WEST12345698765432")
    add(
        "P12",
        "pii",
        text=f"sepa payout to {grouped(de)} failed; also {grouped(gb)} and {gb}",
        must_not_appear=(grouped(de), de, grouped(gb), gb, grouped(de)[5:19]),
    )
    fr = iban("FR", "20041010050500013M02606")
    add("P13", "pii", text=f"iban={fr.lower()}", must_not_appear=(fr.lower(),))
    add(
        "P14",
        "pii",
        text="clients 198.51.100.17, 203.0.113.99 via http://192.0.2.55:8080/health",
        must_not_appear=("198.51.100.17", "203.0.113.99", "192.0.2.55"),
        should_appear=("/health",),
    )
    add(
        "P15",
        "pii",
        text="peer 2001:db8::1 and [2001:db8:0:0::7]:443 and fe80::1ff:fe23:4567:890a%eth0 and 2001:DB8:85A3::8A2E:370:7334",
        must_not_appear=(
            "2001:db8::1",
            "2001:db8:0:0::7",
            "fe80::1ff:fe23:4567:890a",
            "2001:DB8:85A3::8A2E:370:7334",
        ),
    )
    add(
        "P16",
        "pii",
        text="mapped ::ffff:192.0.2.128 and ::ffff:c000:280 connected",
        must_not_appear=("192.0.2.128", "::ffff:c000:280"),
    )
    add(
        "P17",
        "pii",
        payload={
            "message": "request",
            "httpRequest": {"remoteIp": "203.0.113.250", "xff": "198.51.100.201, 10.9.8.7"},
        },
        must_not_appear=("203.0.113.250", "198.51.100.201", "10.9.8.7"),
    )
    add(
        "P18",
        "pii",
        text=r"open C:\Users\carol.white\AppData\x.db and /Users/dave.brown/.ssh/id_rsa and mac 0a-1b-2c-3d-4e-5f",
        must_not_appear=("carol.white", "dave.brown", "0a-1b-2c-3d-4e-5f"),
    )
    add(
        "P19",
        "pii",
        text="GET /users/lookup?email=kim.lee%2Bqa%40example.com&phone=%2B14155550188",
        must_not_appear=("kim.lee%2Bqa%40example.com", "kim.lee", "14155550188"),
    )
    add(
        "P20",
        "pii",
        text="ok: version 1.2.3.4 build 2025.06.03 id 1717405200123 order 4111111111111112 at 2025-06-03T10:00:00Z",
        should_appear=(
            "1.2.3.4",
            "2025.06.03",
            "1717405200123",
            "4111111111111112",
            "2025-06-03T10:00:00Z",
        ),
    )

    # --- mentions, references, closing keywords ----------------------------------------------
    add(
        "M01",
        "markdown",
        text="escalate to @acme/sre-oncall and @acme/platform-team now",
        must_not_appear=("@acme/sre-oncall", "@acme/platform-team"),
    )
    add(
        "M02",
        "markdown",
        text="(@octocat), **@hubot**, _@monalisa_, cc:@defunkt; [@mojombo] @everyone @here @channel",
        must_not_appear=("@octocat", "@hubot", "@monalisa", "@defunkt", "@mojombo", "@everyone"),
    )
    add(
        "M03",
        "markdown",
        text="@octocat failed to deploy",
        must_not_appear=("@octocat",),
        tagged=False,
    )
    add(
        "M04",
        "markdown",
        text="escaped \\@octocat and entity &#64;hubot and &commat;monalisa",
        must_not_appear=("\\@octocat",),
        must_be_inside_code=("&#64;hubot", "&commat;monalisa"),
    )
    add(
        "M05",
        "markdown",
        text="#123 failed again, see GH-12, gh-7, acme/shop#1 and acme/shop!2",
        must_be_inside_code=("#123", "GH-12", "gh-7", "acme/shop#1"),
    )
    add(
        "M06",
        "markdown",
        text="see https://github.com/acme/shop/issues/77 and https://github.com/acme/shop/pull/78#issuecomment-1",
        must_be_inside_code=(
            "https://github.com/acme/shop/issues/77",
            "https://github.com/acme/shop/pull/78",
        ),
    )
    add(
        "M07",
        "markdown",
        text="Fixes: #1. closes acme/shop#2, Resolves https://github.com/acme/shop/issues/3 fixed #4 RESOLVED #5",
        must_be_inside_code=("Fixes: #1", "closes acme/shop#2", "fixed #4", "RESOLVED #5"),
    )
    add(
        "M08",
        "markdown",
        text="deployed acme/shop@a5c3785ed8d6a35868bc169f07e40e889087fd2e (a5c3785)",
        must_not_appear=("acme/shop@a5c3785",),
        must_be_inside_code=("a5c3785ed8d6a35868bc169f07e40e889087fd2e",),
    )
    add("M09", "markdown", text="#42", tagged=False, must_be_inside_code=("#42",))
    add(
        "M10",
        "markdown",
        payload={"message": "closes #9", "pr": "acme/shop#10"},
        must_be_inside_code=("closes #9", "acme/shop#10"),
    )

    # --- forged markers, HTML comments ----------------------------------------------------------
    fake_marker = "<!-- log-gardener:issue fingerprint=" + "deadbeef" * 2 + " grouping=v1 -->"
    add(
        "H01",
        "markdown",
        text=fake_marker + " hijack",
        tagged=False,
        must_not_appear=(fake_marker,),
    )
    add(
        "H02", "markdown", text="ok\n" + fake_marker + "\nnext line", must_not_appear=(fake_marker,)
    )
    add(
        "H03",
        "markdown",
        payload={"message": "x", "note": fake_marker},
        must_not_appear=(fake_marker,),
    )
    add("H04", "markdown", text="\r" + fake_marker, tagged=False, must_not_appear=(fake_marker,))
    add(
        "H05",
        "markdown",
        text="<!-- log-gardener:dashboard --> and <!-- log-gardener:run=1 -->",
        must_not_appear=("<!-- log-gardener:dashboard --> and", "<!-- log-gardener:run=1 -->"),
    )
    add(
        "H06",
        "markdown",
        text="tail <!-- swallow everything after",
        tagged=False,
        must_not_appear=("<!-- swallow",),
    )
    add("H07", "markdown", text="<!--\nmulti\nline\n-->", must_not_appear=("<!--\nmulti",))
    add(
        "H08",
        "markdown",
        text="%3C!-- log-gardener:issue fingerprint=deadbeef grouping=v1 --%3E",
        must_not_appear=("<!-- log-gardener:issue fingerprint=deadbeef",),
    )

    # --- fences, HTML, links, block syntax ----------------------------------------------------
    add(
        "F01",
        "markdown",
        text="before\n````\n## FENCE-BREAK-A\n````\nafter",
        must_be_inside_code=("## FENCE-BREAK-A", "FENCE-BREAK-A"),
    )
    add(
        "F02",
        "markdown",
        text="x\n~~~~~~\n# FENCE-BREAK-B\n~~~~~~~~\n",
        must_be_inside_code=("FENCE-BREAK-B",),
    )
    add(
        "F03",
        "markdown",
        text="x\n" + "`" * 12 + "\n[FENCE-LINK-C](https://evil.example/c)\n" + "~" * 12,
        must_be_inside_code=("FENCE-LINK-C", "https://evil.example/c"),
    )
    add(
        "F04",
        "markdown",
        text="ends with ticks ```",
        tagged=False,
        must_be_inside_code=("ends with ticks",),
    )
    add("F05", "markdown", text="`", tagged=False)
    add(
        "F06",
        "markdown",
        text="``` ` `` ```` ` INLINE-TICKS-D",
        must_be_inside_code=("INLINE-TICKS-D",),
    )
    add(
        "F07",
        "markdown",
        text="    indented code\n\t\ttab code\n> QUOTE-E\n- [ ] TASK-F\n1. LIST-G",
        must_be_inside_code=("QUOTE-E", "TASK-F", "LIST-G"),
    )
    add(
        "F08",
        "markdown",
        text="<img src=x onerror=alert(1)> <picture><source srcset=https://evil.example/p></picture> <sub>SUB-H</sub>",
        must_be_inside_code=("<img src=x", "<picture>", "SUB-H"),
    )
    add(
        "F09",
        "markdown",
        text="<details><summary>DETAILS-I</summary>\n\n# HEAD-J\n</details><script>alert(2)</script><iframe src=x>",
        must_be_inside_code=("<details>", "DETAILS-I", "HEAD-J", "<script>", "<iframe"),
    )
    add(
        "F10",
        "markdown",
        text="![IMG-K](https://evil.example/k.png) <https://evil.example/auto> www.evil.example/w [REF-L][1]\n\n[1]: https://evil.example/l",
        must_be_inside_code=(
            "IMG-K",
            "https://evil.example/k.png",
            "https://evil.example/auto",
            "www.evil.example/w",
            "REF-L",
        ),
    )
    add(
        "F11",
        "markdown",
        text="| COL-M | COL-N |\n|---|---|\n| a | b |",
        must_be_inside_code=("COL-M",),
    )
    add(
        "F12",
        "markdown",
        text="# HEADING-O\nSETEXT-P\n===\n***\n~~STRIKE-Q~~ *EMPH-R* __BOLD-S__",
        must_be_inside_code=("HEADING-O", "SETEXT-P", "STRIKE-Q", "EMPH-R", "BOLD-S"),
    )
    add(
        "F13",
        "markdown",
        text="<![CDATA[CDATA-T]]> <?php echo 1; ?> <!DOCTYPE html> &lt;b&gt;ENTITY-U&lt;/b&gt;",
        must_be_inside_code=("CDATA-T", "<?php", "ENTITY-U"),
    )
    add(
        "F14",
        "markdown",
        text="[^1] footnote\n\n[^1]: FOOT-V $$x$$ :+1: :warning:",
        must_be_inside_code=("FOOT-V",),
    )
    add(
        "F15",
        "markdown",
        payload={"message": "```\n# JSON-FENCE-W\n```", "html": "<b>JSON-HTML-X</b>"},
        must_be_inside_code=("JSON-FENCE-W", "JSON-HTML-X"),
    )

    # --- invisible and control characters -----------------------------------------------------
    add(
        "U01",
        "unicode",
        text="bidi \u202aA\u202bB\u202cC\u202dD\u200eE\u200fF\u061cG\u2067H\u2068I",
        must_not_appear=(
            "\u202a",
            "\u202b",
            "\u202c",
            "\u202d",
            "\u200e",
            "\u200f",
            "\u061c",
            "\u2067",
            "\u2068",
        ),
    )
    add(
        "U02",
        "unicode",
        text="zero width \u200bA\u200cB\u2060C\u180eD\u00adE",
        must_not_appear=("\u200b", "\u200c", "\u2060", "\u180e", "\u00ad"),
    )
    add(
        "U03",
        "unicode",
        text="osc8 \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ csi \x9b31m c1 \x85 bs \b tab\tvt\x0bff\x0c",
        must_not_appear=("\x1b", "\x9b", "\x0b", "\x0c", "\b"),
    )
    add(
        "U04",
        "unicode",
        text="@\u200boctocat and @\u2060hubot and @\ufeffmonalisa and @oc\u00adto",
        must_not_appear=("@octocat", "@hubot", "@monalisa", "\ufeff"),
    )
    add(
        "U05",
        "unicode",
        text="homoglyph \u0430dmin@ex\u0430mple.com and gmail.com user \u217cog@example.com",
        must_not_appear=("\u0430dmin@ex\u0430mple.com", "@ex\u0430mple.com"),
    )
    add(
        "U06",
        "unicode",
        text="line sep\u2028## LS-HEADING\u2029# PS-HEADING\u0085NEL",
        must_not_appear=("\u2028", "\u2029"),
        must_be_inside_code=("LS-HEADING", "PS-HEADING"),
    )
    add(
        "U07",
        "unicode",
        text="tags \U000e0041\U000e0042 private \ue000 noncharacter \ufdd0 surrogate-ish",
        must_not_appear=("\U000e0041", "\ue000"),
    )
    add(
        "U08",
        "unicode",
        text="emoji 👩🏽‍💻 café naïve Ω ≠ 日本語 ok",
        should_appear=("caf", "日本語"),
    )

    # --- workflow commands --------------------------------------------------------------------
    wc = r"^\s*::"
    add(
        "W01",
        "workflow-command",
        text="::add-mask::leak-me",
        tagged=False,
        stdout_must_not_match=(wc + "add-mask::leak",),
    )
    add(
        "W02",
        "workflow-command",
        text="  \t::stop-commands::pwn-token-99\n::warning file=x::bad",
        tagged=False,
        stdout_must_not_match=(wc + "stop-commands", wc + "warning file=x"),
    )
    add(
        "W03",
        "workflow-command",
        text="\r::set-output name=result::pwned\n\r\n::set-env name=PATH::/evil",
        stdout_must_not_match=(wc + "set-output", wc + "set-env"),
    )
    add(
        "W04",
        "workflow-command",
        text="text ##[command]rm -rf / and ##[group]G ##[endgroup] ##[error]E",
        stdout_must_not_match=(r"##\[command\]", r"##\[group\]", r"##\[error\]"),
    )
    add(
        "W05",
        "workflow-command",
        text="x%0D%0A::debug::a%0A::notice title=t::n",
        stdout_must_not_match=(wc + "debug::a", wc + "notice title=t"),
    )
    add(
        "W06",
        "workflow-command",
        text="::error::boom",
        resource={"service_name": "::error::svc", "revision_name": "::add-mask::rev"},
        stdout_must_not_match=(wc + "error::svc", wc + "add-mask::rev", wc + "error::boom"),
    )
    add(
        "W07",
        "workflow-command",
        text="\u200b::echo::on\n\u00a0::endgroup::",
        stdout_must_not_match=(wc + "echo::on",),
    )
    add(
        "W08",
        "workflow-command",
        payload={
            "message": "::save-state name=s::v",
            "nested": {"m": "::add-matcher::/tmp/m.json"},
        },
        stdout_must_not_match=(wc + "save-state", wc + "add-matcher"),
    )
    add(
        "W09",
        "workflow-command",
        text="ok",
        extra={"insertId": "::add-mask::insert-id"},
        stdout_must_not_match=(wc + "add-mask::insert",),
    )

    # --- structure: size, depth ----------------------------------------------------------------
    t = gh("p")
    long_text = "A" * 3990 + " " + t + " " + "B" * 300_000
    add("X01", "structure", text=long_text, must_not_appear=(t, t[:20], mid(t)))
    t = gh("p")
    long_text = ("word " * 1599) + t + (" word" * 20_000)
    add("X02", "structure", text=long_text, must_not_appear=(t, t[:20], mid(t)))
    t = gh("p")
    add("X03", "structure", text="x" * 7990 + t + "y" * 10, must_not_appear=(t, t[:20], mid(t)))
    t = gh("p")
    add("X04", "structure", text="z" * 1980 + t, must_not_appear=(t, t[:20], mid(t)))
    t = gh("p")
    nested: Any = {"value": t}
    for level in range(12):
        nested = {f"k{level}": nested}
    add("X05", "structure", payload={"message": "deep", "d": nested}, must_not_appear=(t, mid(t)))
    t = gh("p")
    nested = [t]
    for _ in range(60):
        nested = [nested]
    add("X06", "structure", payload={"message": "deeper", "d": nested}, must_not_appear=(t, mid(t)))
    t = gh("p")
    many = {f"field{i:04d}": f"value {i}" for i in range(3000)}
    many["zzz_tail"] = t
    add("X07", "structure", payload={"message": "wide", **many}, must_not_appear=(t, mid(t)))
    t = gh("p")
    add(
        "X08",
        "structure",
        payload={"message": "long value", "blob": "q" * 1020 + t},
        must_not_appear=(t, mid(t)),
    )
    t = gh("p")
    add(
        "X09", "structure", payload={"message": "key leak", t: "value"}, must_not_appear=(t, mid(t))
    )
    pw = rand(16)
    add(
        "X10",
        "structure",
        payload={"message": ["first", {"auth": {"password": pw}}, None, True, 3.5]},
        must_not_appear=(pw,),
    )
    t = gh("p")
    add(
        "X12",
        "structure",
        text="word " * 796 + t + " end" * 10,
        must_not_appear=(t, t[:20], mid(t)),
    )
    t = gh("p")
    add("X11", "structure", text="line one\n" * 300 + t + "\nlast", must_not_appear=(t, mid(t)))
    _round_two(add)
    _round_three(add)
    _round_four(add)
    return c


def _round_three(add: Any) -> None:
    """Over-redaction and crash guards, and secrets that only their shape gives away."""
    lines = [rand(64, B64) for _ in range(3)]
    add(
        "T01",
        "secret",
        text=f"key material line {lines[0]}",
        must_not_appear=(lines[0], mid(lines[0])),
    )
    add(
        "T02",
        "secret",
        payload={"message": "pem lines", "lines": lines[1:]},
        must_not_appear=(lines[1], lines[2]),
    )
    add(
        "T03",
        "pii",
        text="GET /api/v1/users/42/orders 200 in 12ms; Foo :: bar :: baz; std::vector<int> at a.cc:9",
        should_appear=("/api/v1/users/42/orders", "Foo :: bar", "std::vector", "a.cc:9"),
    )
    add(
        "T04",
        "pii",
        text="ValueError: invalid literal for int() with base 10: 'abc' in handler.py:88 (revision checkout-api-00042-abc)",
        should_appear=("ValueError", "handler.py:88", "checkout-api-00042-abc", "invalid literal"),
    )
    add(
        "T05",
        "pii",
        text="deploy 3f2a9c1 of api.example.internal:8443 on node-7 at 2025-06-03T10:00:00.123456Z took 1.25s (v3.11.4, go1.22.3)",
        should_appear=(
            "3f2a9c1",
            "api.example.internal:8443",
            "2025-06-03T10:00:00.123456Z",
            "v3.11.4",
            "go1.22.3",
        ),
    )


def _round_four(add: Any) -> None:
    t = "gl" + "pat-" + rand(27, ALNUM + "-_") + ".01." + rand(9, ALNUM)
    t2 = "xo" + "xe.xoxp-1-" + rand(60, ALNUM)
    t3 = "s" + "k_prod_" + rand(30)
    add(
        "V01",
        "secret",
        text=f"mirror {t} slack {t2} stripe {t3}",
        must_not_appear=(t, t[-9:], t2, mid(t2), t3, mid(t3)),
    )


def _round_two(add: Any) -> None:
    """Other places log text comes from: connection strings, exception types, protoPayload,
    httpRequest, sourceLocation, labels, logName, keys; and more unicode."""
    pw = rand(10) + "!" + rand(4)
    add(
        "R01",
        "secret",
        text=f"SqlException: Server=db01;Database=sales;User Id=sa;Password={pw};Encrypt=true",
        must_not_appear=(pw, pw[:10]),
        should_appear=("SqlException", "Database=sales"),
    )
    key = base64.b64encode(rand(64).encode()).decode()
    add(
        "R02",
        "secret",
        text=f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={key};EndpointSuffix=core.windows.net",
        must_not_appear=(key, mid(key)),
        should_appear=("core.windows.net",),
    )
    block, _body = pem("", 3)
    sa = base64.b64encode(
        json.dumps({"type": "service_account", "private_key": block}).encode()
    ).decode()
    add(
        "R03",
        "secret",
        payload={"message": "env", "GOOGLE_APPLICATION_CREDENTIALS_JSON_B64": sa},
        must_not_appear=(sa, mid(sa)),
    )
    t = gh("p")
    add(
        "R04",
        "secret",
        text=f'Traceback (most recent call last):\n  File "app/main.py", line 9, in run\n    go()\n{t}: boom',
        must_not_appear=(t, mid(t)),
        should_appear=("app/main.py",),
    )
    t = gh("p")
    add(
        "R05",
        "secret",
        text=f"Exception in thread main java.lang.IllegalStateException: key {t} for bob.smith@example.com\n\tat com.acme.Pay.run(Pay.java:42)",
        must_not_appear=(t, "bob.smith@example.com"),
        should_appear=("IllegalStateException", "Pay.java"),
    )
    t = gh("p")
    add(
        "R06",
        "secret",
        extra={
            "protoPayload": {
                "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "methodName": "google.logging.v2.LoggingServiceV2.ListLogEntries",
                "authenticationInfo": {"principalEmail": "carol.ops@example.com"},
                "requestMetadata": {
                    "callerIp": "198.51.100.77",
                    "callerSuppliedUserAgent": "@octocat/agent",
                },
                "request": {"filter": f'jsonPayload.token="{t}"'},
            }
        },
        must_not_appear=(t, "carol.ops@example.com", "198.51.100.77", "@octocat"),
    )
    t = gh("p")
    add(
        "R07",
        "secret",
        extra={
            "httpRequest": {
                "requestMethod": "GET",
                "requestUrl": f"https://api.example.com/v1/items?access_token={t}&user=dan@example.com",
                "status": 500,
                "remoteIp": "203.0.113.61",
                "userAgent": "curl @octocat #77",
                "referer": "https://u:pw-" + t[4:12] + "@ref.example/",
            }
        },
        must_not_appear=(t, mid(t), "dan@example.com", "203.0.113.61", "@octocat", "pw-" + t[4:12]),
    )
    add(
        "R08",
        "markdown",
        text="handler failed",
        extra={
            "sourceLocation": {
                "file": "<!-- x -->/@octocat/#12.py",
                "line": "7",
                "function": "@hubot.fixes #3",
            }
        },
        must_not_appear=("@octocat", "@hubot", "<!-- x -->"),
        must_be_inside_code=("fixes #3", "#12.py"),
    )
    t = gh("p")
    add(
        "R09",
        "secret",
        text="labelled entry",
        extra={"labels": {"corpus_case": "R09", "token": t, "user": "eve@example.com"}},
        must_not_appear=(t, "eve@example.com"),
    )
    t = gh("p")
    add(
        "R10",
        "secret",
        text="named log",
        extra={
            "logName": f"projects/lg-fixture-prod/logs/{t}",
            "trace": "projects/p/traces/@octocat",
        },
        must_not_appear=(t, "@octocat"),
    )
    t = gh("p")
    add(
        "R11",
        "secret",
        payload={"message": "keys", t: 1, "@octocat": 2, "<!-- k -->": 3, "frank@example.com": 4},
        must_not_appear=(t, "@octocat", "<!-- k -->", "frank@example.com"),
    )
    t = gh("p")
    add(
        "R12",
        "secret",
        payload={"message": {"text": "dict message", "token": t}, "logger": "@octocat.logger"},
        must_not_appear=(t, "@octocat"),
    )
    add(
        "R13",
        "markdown",
        payload={
            "message": "logger",
            "logger": "<!-- log-gardener:dashboard -->",
            "exc_info": "ValueError: @hubot closes #5",
        },
        must_not_appear=("<!-- log-gardener:dashboard --> ", "@hubot"),
        must_be_inside_code=("closes #5",),
    )
    add(
        "R14",
        "markdown",
        text="@@octocat @-octocat @octo_cat @octocat's @Octo.Cat @1234 @octocat@example",
        must_not_appear=("@octocat", "@Octo", "@1234"),
    )
    bold = (
        "".join(chr(0x1D41A + ord(ch) - 97) if "a" <= ch <= "z" else ch for ch in "ghp")
        + "_"
        + rand(36)
    )
    add("R15", "unicode", text=f"bold token {bold}", must_not_appear=(bold, bold[-20:]))
    add(
        "R16",
        "unicode",
        text="ｆｉｘｅｓ ＃１ and ＠octocat and ＃123 and שלום עולם and مرحبا",
        should_appear=("שלום", "مرحبا"),
        must_not_appear=("@octocat",),
    )
    add(
        "R17",
        "unicode",
        text="combining o\u0301 and @o\u0301ctocat and \u0430\u0440\u0440le.com and k\u0332ey",
        must_not_appear=("@o\u0301ctocat",),
    )
    t = gh("p")
    add(
        "R18",
        "secret",
        text=f"first line ok\nsecond {t}\nthird jane@example.org",
        must_not_appear=(t, "jane@example.org"),
        should_appear=("first line ok",),
    )
    t = gh("p")
    add(
        "R19",
        "secret",
        text=f"panic: bad token {t}\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:12 +0x1d",
        must_not_appear=(t, mid(t)),
        should_appear=("main.go",),
    )
    add(
        "R20",
        "pii",
        text="reach me at tel:+14155550123 or +33 1 23 45 67 89 or 0044 20 7946 0111 or +91-98765-43210",
        must_not_appear=("4155550123", "23 45 67 89", "7946 0111", "98765-43210"),
    )
    add(
        "R21",
        "pii",
        text="iban NL91 ABNA 0417 1643 00 and CH93 0076 2011 6238 5295 7 and card 4111.1111.1111.1111",
        must_not_appear=(
            "NL91 ABNA 0417 1643 00",
            "CH93 0076 2011 6238 5295 7",
            "4111.1111.1111.1111",
        ),
    )
    add(
        "R22",
        "pii",
        text="v6 2001:0db8:0000:0000:0000:ff00:0042:8329 and [::ffff:203.0.113.5]:80 and 2001:db8:: and fd00:1:2:3::9",
        must_not_appear=("2001:0db8:0000:0000:0000:ff00:0042:8329", "203.0.113.5", "fd00:1:2:3::9"),
    )
    add(
        "R23",
        "pii",
        text='mail "J. Doe" <j.doe@sub.mail.example.travel>, Mixed.Case@Example.COM, user@[192.0.2.44]',
        must_not_appear=("j.doe@sub.mail.example.travel", "Mixed.Case@Example.COM", "192.0.2.44"),
    )
    add(
        "R24",
        "pii",
        text="ok: 10:15:30 at 2025-06-03 v2.14.1 app.py:120 fe80 deadbeef 12:34:56:78 sha256:abc123 ::1",
        should_appear=(
            "10:15:30",
            "v2.14.1",
            "app.py:120",
            "deadbeef",
            "12:34:56:78",
            "sha256:abc123",
        ),
    )
    t = gh("p")
    add(
        "R25",
        "secret",
        text=f"env: GITHUB_TOKEN='{t}' GH_ENTERPRISE_TOKEN=\"{t[::-1]}\"",
        must_not_appear=(t, t[::-1][:20]),
    )
    pw = rand(14)
    add(
        "R26",
        "secret",
        text=f'<password>{pw}</password><secret value="{pw[::-1]}"/>',
        must_not_appear=(pw, pw[::-1]),
    )
    pw = rand(14)
    add(
        "R27",
        "secret",
        text=f"login failed for admin with password '{pw}' (attempt 3)",
        must_not_appear=(pw,),
        should_appear=("attempt 3",),
    )
    pw = rand(14)
    add(
        "R28",
        "secret",
        text=f"PASSWORD: {pw}\nPass phrase: {pw[::-1]}",
        must_not_appear=(pw, pw[::-1]),
    )


CASES: tuple[Case, ...] = tuple(_cases())


def entry(case: Case, index: int, service: str | None = None) -> dict[str, Any]:
    """The Cloud Logging entry for ``case`` (its own service unless ``service`` is given)."""
    word = tag(index)
    svc = service or f"adv-{index}"
    resource_labels = {
        "service_name": svc,
        "revision_name": f"{svc}-00042-abc",
        "location": "us-central1",
        "project_id": "lg-fixture-prod",
    }
    resource_labels.update(case.resource)
    out: dict[str, Any] = {
        "insertId": f"adv{index:05d}{word}",
        "timestamp": f"2025-06-03T10:{index // 60 % 60:02d}:{index % 60:02d}.000000123Z",
        "severity": "ERROR",
        "resource": {"type": "cloud_run_revision", "labels": resource_labels},
        "labels": {"corpus_case": case.case_id},
        "logName": "projects/lg-fixture-prod/logs/run.googleapis.com%2Fstderr",
    }
    if case.text is not None:
        out["textPayload"] = f"{case.text} {word}" if case.tagged else case.text
    if case.payload is not None:
        payload = dict(case.payload)
        if case.tagged:
            payload["case"] = word
        out["jsonPayload"] = payload
    out.update(case.extra)
    return out


def entries_jsonl(service: str | None = None) -> str:
    lines = [json.dumps(entry(case, i, service)) for i, case in enumerate(CASES)]
    return "\n".join(lines) + "\n"
