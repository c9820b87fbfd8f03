"""Redaction of secrets and personal data.  Pure.

``redact(text, policy) -> str`` replaces every secret or personal value by
``[REDACTED:<kind>]``.  A value is replaced whole (no first or last characters kept).

Detection runs on a *shadow* of the text in which zero-width and other invisible characters are
dropped, ``%XX`` and ``\\uXXXX`` escapes of printable ASCII are decoded, and homoglyphs and
fullwidth forms are folded to ASCII; every shadow character remembers the span of the original
text it came from, so the original span behind each finding is what gets replaced.  A token
split by U+200B or by ``%5F`` is therefore found, and its encoded form is never re-emitted.

Runs only on what is published (templates, samples, values shown), never on the clustering hot
path, so a fingerprint never depends on redaction.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

from log_gardener.core.shared.secret_formats import (
    KEYWORD_PROVIDERS,
    PROVIDER_FORMATS,
    Format,
    Prefilter,
    shape,
)


@dataclass(frozen=True)
class ExtraPattern:
    kind: str  # becomes [REDACTED:<kind>]
    regex: str  # whole match redacted, or only the group named ``value`` when there is one


@dataclass(frozen=True)
class RedactionPolicy:
    ip_addresses: bool = True  # rules switch, default on
    extra_patterns: tuple[ExtraPattern, ...] = ()  # from the rules file
    extra_keys: tuple[str, ...] = ()  # more key names whose values are always redacted
    # Texts already redacted with this policy, when the policy is one run's (``for_one_run``):
    # a problem's title, template, service or frame is published in many places.
    memo: dict[str, str] | None = field(default=None, compare=False, hash=False, repr=False)
    # The shadow of a document's rendering (``shadow_of``): every text through ``redact`` or
    # ``published`` becomes a stand-in of the same length, so verification can compare what
    # the document renders outside code with what our own words alone render there.
    shadow: bool = False


DEFAULT_POLICY = RedactionPolicy()


STAND_IN = "x"  # what each character of log text becomes in a shadow rendering


def shadow_of(policy: RedactionPolicy) -> RedactionPolicy:
    """The policy a document's shadow is rendered with (the same memo, so no text is
    redacted twice)."""
    return replace(policy, shadow=True)


def published(text: str, policy: RedactionPolicy) -> str:
    """Log-derived text already redacted (an issue title): itself, or its stand-in."""
    return STAND_IN * len(text) if policy.shadow else text


def for_one_run(policy: RedactionPolicy) -> RedactionPolicy:
    """The same policy with a memo of its own: each distinct text is redacted once."""
    return replace(policy, memo={})


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str


def placeholder(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# ---------------------------------------------------------------------------------------------
# The shadow text

_HIDDEN_EXTRA = frozenset({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0})
_HOMOGLYPHS = str.maketrans(
    "авсдеһіјкмнорѕтухԁԛԝАВСЕНІЈКМНОРЅТХΑΒΕΖΗΙΚΜΝΟΡΤΥΧαορνуɡ",
    "abcdehijkmhopstyxdqwABCEHIJKMHOPSTXABEZHIKMNOPTYXaopvyg",
)
# ``%E2%80%8B`` (a percent-encoded zero-width space) and ``&#8203;`` split a token as well as
# the character itself does, so whole UTF-8 sequences and numeric entities are decoded too.
_SHADOW_SPECIAL = re.compile(
    r"%[C-Fc-f][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){1,3}|%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}"
    r"|&#(?:[xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});|[^\x00-\x7f]"
)


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """What one non-ASCII character stands for in the shadow ("" for invisible ones)."""
    category = unicodedata.category(char)
    if category == "Cf" or ord(char) in _HIDDEN_EXTRA:
        return ""
    if category in ("Cc", "Zl", "Zp"):
        return "\n"
    folded = char.translate(_HOMOGLYPHS)
    if folded != char:
        return folded
    compat = unicodedata.normalize("NFKC", char)
    return compat if compat.isascii() and compat.isprintable() and len(compat) <= 3 else char


def _escaped_char(escape: str) -> str | None:
    if escape.startswith("&#"):
        digits = escape[2:-1]
        code = int(digits[1:], 16) if digits[0] in "xX" else int(digits)
        return chr(code) if code <= 0x10FFFF else None
    if escape[0] == "%" and len(escape) > 3:
        try:
            return bytes(int(byte, 16) for byte in escape[1:].split("%")).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return chr(int(escape[1:] if escape[0] == "%" else escape[2:], 16))


def _decode_escape(escape: str) -> str | None:
    """``%XX``, ``%XX%XX..`` (UTF-8), ``\\uXXXX`` or ``&#N;`` as the character it encodes,
    when that matters for detection."""
    char = _escaped_char(escape)
    if char is None or len(char) != 1:
        return None
    if 0x20 <= ord(char) < 0x7F:
        return char
    if not char.isascii() and (escape[0] != "%" or len(escape) > 3):
        return _fold(char) if _fold(char) != char else None
    return None


@dataclass(frozen=True)
class _Shadow:
    text: str
    starts: tuple[int, ...] | None  # original start of each shadow character (None: identity)
    ends: tuple[int, ...] | None

    def original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _shadow(text: str) -> _Shadow:
    if not _SHADOW_SPECIAL.search(text):
        return _Shadow(text, None, None)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for found in _SHADOW_SPECIAL.finditer(text):
        begin, finish = found.span()
        out.append(text[position:begin])
        starts.extend(range(position, begin))
        ends.extend(range(position + 1, begin + 1))
        token = found.group()
        replacement = _fold(token) if len(token) == 1 else _decode_escape(token)
        if replacement is None:
            out.append(token)
            starts.extend(range(begin, finish))
            ends.extend(range(begin + 1, finish + 1))
        else:
            out.append(replacement)
            starts.extend([begin] * len(replacement))
            ends.extend([finish] * len(replacement))
        position = finish
    out.append(text[position:])
    starts.extend(range(position, len(text)))
    ends.extend(range(position + 1, len(text) + 1))
    return _Shadow("".join(out), tuple(starts), tuple(ends))


# ---------------------------------------------------------------------------------------------
# Detectors: known shapes

_PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = re.compile(r"(?:[A-Za-z0-9+/=\s:,.-]|\\[nrt])*")


def _private_key_finder(shadow: str) -> Iterator[_Span]:
    """PEM blocks, with real or escaped (\\n) line ends; a block cut short ends with its body."""
    covered = 0
    for begin in _PEM_BEGIN.finditer(shadow):
        if begin.start() < covered:
            continue
        end = _PEM_END.search(shadow, begin.end(), begin.end() + 20000)
        body = _PEM_BODY.match(shadow, begin.end())
        covered = end.end() if end else body.end() if body else begin.end()
        yield _Span(begin.start(), covered, "private-key")


# The long-standing shapes, as formats with anchors for the prefilter (see secret_formats).
# Prefixed tokens have no left boundary: a token glued to other text ("AAAAghp_...") is still a
# token.
_SHAPES: tuple[Format, ...] = (
    shape("github-token", "ghp_ gho_ ghu_ ghs_ ghr_", r"gh[pousr]_[A-Za-z0-9]{30,255}"),
    shape("github-token", "github_pat_", r"github_pat_[A-Za-z0-9_]{30,255}"),
    shape(
        "aws-access-key",
        "a3t akia asia abia acca agpa aida aroa aipa anpa anva apka",
        r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}",
    ),
    shape("gcp-api-key", "aiza", r"AIza[0-9A-Za-z_-]{30,60}"),
    shape("google-oauth-token", "ya29.", r"ya29\.[0-9A-Za-z_.~+/-]{20,}"),
    shape("google-oauth-token", "1//0", r"(?:(?<![\w/])|(?<=\\[nrt]))1//0[0-9A-Za-z_-]{30,}"),
    shape("google-oauth-token", "gocspx-", r"GOCSPX-[0-9A-Za-z_-]{20,}"),
    shape(
        "slack-webhook",
        "hooks.slack.com",
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{10,}",
    ),
    shape("slack-token", "xox", r"(?:xoxe\.)?xox[abposre]-[0-9A-Za-z-]{10,}"),
    shape("slack-token", "xapp-", r"xapp-\d-[A-Za-z0-9-]{10,}"),
    shape("stripe-key", "sk_ rk_", r"(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,}"),
    shape("stripe-key", "whsec_", r"whsec_[0-9A-Za-z]{20,}"),
    shape("anthropic-key", "sk-ant-", r"sk-ant-[A-Za-z0-9_-]{20,}"),
    shape("openai-key", "sk-", r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}"),
    shape("openai-key", "t3blbkfj", r"sk-[A-Za-z0-9_-]{10,}T3BlbkFJ[A-Za-z0-9_-]{10,}"),
    shape("openai-key", "sk-", r"(?:(?<![\w-])|(?<=\\[nrt]))sk-[A-Za-z0-9]{32,}"),
    shape("npm-token", "npm_", r"npm_[A-Za-z0-9]{30,}"),
    shape("pypi-token", "pypi-ag", r"pypi-Ag[A-Za-z0-9_-]{40,}"),
    # newer GitLab tokens carry dotted suffixes ("glpat-<body>.01.<crc>")
    shape(
        "gitlab-token",
        "glpat- gldt- glptt- glrt- gloas- glcbt- glimt- glft- glsoat- glffct- glagent-",
        r"gl(?:pat|dt|ptt|rt|oas|cbt|imt|ft|soat|ffct|agent)-[0-9A-Za-z_-]{20,}(?:\.[0-9A-Za-z_-]+)*",
    ),
    shape("gitlab-token", "gr1348941", r"GR1348941[0-9A-Za-z_-]{20,}"),
    shape("huggingface-token", "hf_ api_org_", r"(?:hf_|api_org_)[A-Za-z0-9]{30,}"),
    shape("sendgrid-key", "sg.", r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{20,}"),
    shape("sendgrid-key", "sg.", r"(?<![A-Za-z0-9])SG\.[A-Za-z0-9=_.-]{66}(?![A-Za-z0-9])"),
    shape("shopify-token", "shpat_ shpca_ shppa_ shpss_", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    shape("digitalocean-token", "doo_v1_ dop_v1_ dor_v1_", r"do[opr]_v1_[a-f0-9]{64}"),
    shape("vault-token", "hvs. hvb.", r"hv[sb]\.[A-Za-z0-9_-]{24,}"),
    shape("atlassian-token", "atatt3", r"ATATT3[A-Za-z0-9_=-]{50,}"),
    shape("age-secret-key", "age-secret-key-1", r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    shape(
        "discord-webhook",
        "/api/webhooks/",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]+",
    ),
    shape(
        "telegram-token", ":a", r"(?:(?<![\d])|(?<=\\[nrt]))\d{5,16}:A[0-9A-Za-z_-]{34}(?![\w-])"
    ),
    shape("jwt", "eyj", r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){1,3}"),
    # any "ey" header and payload, as some encoders write them (slashes and backslashes too)
    shape(
        "jwt",
        ".ey",
        r"(?<![A-Za-z0-9])ey[A-Za-z0-9]{17,}\.ey[A-Za-z0-9/\\_-]{17,}"
        r"\.(?:[A-Za-z0-9/\\_-]{10,}={0,2})?",
    ),
)

_AUTH_SCHEME = re.compile(
    r"(?i:\b(?P<scheme>bearer|basic|token|digest|negotiate|ntlm|bot|apikey|aws4-hmac-sha256)"
    r"[ \t]+)(?P<value>[A-Za-z0-9._~+/=:-]{8,}(?:,[ \t]*[A-Za-z]+=[^\s,]+)*)"
)
_URL_USERINFO = re.compile(
    r"(?<=://)(?P<value>[^\s:/?#@\"'<>\\]*:[^\s/?#\"'<>\\]*)(?=@[^\s@/?#\"'<>]+)"
)
_URL_USER_TOKEN = re.compile(r"(?<=://)(?P<value>[A-Za-z0-9_.~+-]{16,})(?=@[^\s@/?#\"'<>]+)")
_EMAIL = re.compile(
    r"(?<![\w.+%-])(?P<value>[\w.+-]{1,64}@(?:[\w-]{1,63}\.)+[^\W\d_]{2,24})(?![\w-])"
)
_PHONE_INTL = re.compile(r"(?<![\w+])\+(?:\d[ ().-]{0,2}){7,14}\d(?!\d)")
# "0044 20 7946 0958": the international prefix dialled as 00, in groups.
_PHONE_00 = re.compile(r"(?<![\w+.:-])00[1-9]\d{0,2}(?:[ .-]\d{1,5}){2,5}(?![\w.:-])")
_PHONE_NANP = re.compile(r"(?<![\w.+-])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?![\w.-])")
_CARD = re.compile(r"(?<![\d.,])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\d])")
_CARD_DOTTED = re.compile(r"(?<![\d.])[2-6]\d{3}(?:\.\d{4}){3}(?![\d.])")
# Secret-named XML elements and attributes: <password>x</password>, <secret value="x"/>.
_XML_ELEMENT = re.compile(
    r"<(?P<key>[A-Za-z_][\w:.-]{0,63})(?:\s[^<>]*)?>(?P<value>[^<>]{1,500})</(?P=key)>"
)
_XML_VALUE_ATTR = re.compile(
    r"<(?P<key>[A-Za-z_][\w:.-]{0,63})\s[^<>]*?\bvalue\s*=\s*(?P<q>\\?[\"'])(?P<value>.{1,500}?)(?P=q)"
)
# A secret named in prose: "with password 'x'", "Pass phrase: x", "token is x".
_PROSE_SECRET = re.compile(
    r"(?i:\b(?:pass(?:word|wd|code)?[ _-]?phrase|password|passwd|passcode|secret|token"
    r"|api[ _-]?key|access[ _-]?key)\b(?![\"'])[ \t]*(?::|=|\bis\b|\bwas\b|\bof\b)?[ \t]*)"
    r"(?:(?P<q>[\"'])(?P<quoted>[^\"'\n]{1,200})(?P=q)|(?P<value>[^\s\"'<>&]{4,200}))"
)
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)
# Lowercase IBANs ("iban=fr14...") only with a country that issues them: a lowercase word with
# two digits after two letters is otherwise too common (hashes, ids) to trust one check digit.
_IBAN_COUNTRIES = frozenset(
    re.findall(
        r"[a-z]{2}",
        "ad ae al at az ba be bg bh br by ch cr cy cz de dk do ee eg es fi fo fr gb ge gi gl gr gt"
        " hr hu ie il iq is it jo kw kz lb lc li lt lu lv ly mc md me mk mr mt mu nl no pk pl ps pt"
        " qa ro rs sa sc se si sk sm st sv tl tn tr ua va vg xk",
    )
)
_IBAN_LOWER = re.compile(
    r"(?<![A-Za-z0-9])[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,3})?(?![A-Za-z0-9])"
)
# A secret-named command-line flag and its value: "--password hunter2", "-token abc".
_FLAG_VALUE = re.compile(
    r"(?<![\w-])--?(?P<key>[A-Za-z][\w-]{0,40})[ \t]+(?P<value>[^\s\-\"'][^\s\"']*)"
)
_VERSION_WORD = re.compile(r"(?i:version|ver|release|build|v)[ \t:=]*\Z")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:.%])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[\w.]+)?(?![\w:])")
_MAC = re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-])")
_USER_PATH = re.compile(
    # a home directory where a path starts ("/api/v1/users/42" is a route, not a home)
    r"(?:(?<![\w.~-])/home/|(?<![\w.~-])/Users/|\b[A-Za-z]:\\{1,2}Users\\{1,2})"
    r"(?P<value>[^/\\\s\"'<>:;,|]+)",
    re.IGNORECASE,
)
_GENERIC_USERS = frozenset(
    [
        "runner",
        "runneradmin",
        "root",
        "ubuntu",
        "ec2-user",
        "user",
        "users",
        "app",
        "node",
        "www-data",
        "nobody",
        "circleci",
        "jenkins",
        "vscode",
        "codespace",
        "gitpod",
        "default",
        "public",
        "shared",
        "all",
        "travis",
        "vagrant",
        "build",
        "builder",
        "worker",
        "docker",
        "git",
        "postgres",
        "admin",
        "administrator",
    ]
)
_ENTROPY_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/=_-])"
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and _luhn_ok(digits)


def _iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _iban_lower_ok(candidate: str) -> bool:
    return candidate[:2] in _IBAN_COUNTRIES and _iban_ok(candidate.upper())


def _phone_ok(candidate: str) -> bool:
    return 8 <= len(re.sub(r"\D", "", candidate)) <= 15


def _ipv4_ok(candidate: str) -> bool:
    unspecified_or_local = ("0.0.0.0", "255.255.255.255")  # noqa: S104 - not a bind address
    return not (candidate.startswith("127.") or candidate in unspecified_or_local)


def _ipv6_ok(candidate: str) -> bool:
    address_text = candidate.split("%", 1)[0]
    try:
        address = ipaddress.IPv6Address(address_text)
    except ValueError:
        return False
    groups = [group for group in address_text.split(":") if group]
    if not groups:
        return False  # "::" alone is punctuation ("Foo :: bar"), not an address
    # "a::b" or "0A::add" are more often code or escapes than addresses
    plausible = len(groups) >= 3 or (len(groups[0]) >= 3 and any(c.isdigit() for c in groups[0]))
    return plausible and not address.is_loopback and not address.is_unspecified


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _looks_random(candidate: str) -> bool:
    """Mixed-case, digit-bearing, high-entropy and not made of words: a likely secret."""
    body = candidate.rstrip("=")
    # A few slashes are base64 (a PEM body line has about two in 64); many make a path.
    if len(body) < 24 or body.count("/") > max(3, len(body) // 10):
        return False
    upper = sum(char.isupper() for char in body)
    lower = sum(char.islower() for char in body)
    digits = sum(char.isdigit() for char in body)
    if min(upper, lower, digits) < 2:
        return False
    # camelCase identifiers are words: long lowercase runs; random base64 has runs of ~1.7
    lower_runs = re.findall(r"[a-z]+", body)
    if sum(map(len, lower_runs)) / len(lower_runs) > 3.0:
        return False
    return _entropy(body) >= min(0.8 * math.log2(len(body)), 4.5)


def _credential_shaped(value: str) -> bool:
    has_digit = any(char.isdigit() for char in value)
    has_alpha = any(char.isalpha() for char in value)
    mixed = any(char.isupper() for char in value) and any(char.islower() for char in value)
    return len(value) >= 8 and ((has_digit and has_alpha) or mixed or "=" in value)


# ---------------------------------------------------------------------------------------------
# Detectors: values of secret-named keys


_STRONG_WORDS = frozenset(
    [
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "passcode",
        "secret",
        "secrets",
        "token",
        "credential",
        "credentials",
        "creds",
        "apikey",
        "authorization",
        "auth",
        "authtoken",
        "bearer",
        "sessionid",
        "session",
        "sessid",
        "sid",
        "csrf",
        "csrftoken",
        "xsrf",
        "xsrftoken",
        "sess",
        "cvc",
        "cvv",
        "cvv2",
        "cvn",
        "otp",
        "totp",
        "jwt",
        "signature",
        "sig",
        "privatekey",
        "dsn",
        "cookie2",
    ]
)
_STRONG_SUFFIXES = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "secretkey",
    "sessionid",
    "sessid",
    "credential",
    "credentials",
    "pwd",
    "connectionstring",
)
_KEY_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("account", "key"),
        ("encryption", "key"),
        ("signing", "key"),
        ("master", "key"),
        ("auth", "key"),
        ("session", "key"),
        ("shared", "key"),
        ("subscription", "key"),
        ("connection", "string"),
        ("conn", "str"),
    }
)
_EXACT_KEYS = frozenset({"pass", "pin", "pan", "ssn"})
_NOT_SECRET_WORDS = frozenset(
    [
        "count",
        "max",
        "min",
        "total",
        "num",
        "type",
        "types",
        "usage",
        "limit",
        "limits",
        "expiry",
        "expires",
        "expire",
        "expiration",
        "exp",
        "ttl",
        "length",
        "len",
        "uri",
        "url",
        "endpoint",
        "path",
        "file",
        "name",
        "names",
        "hint",
        "policy",
        "prompt",
        "completion",
        "format",
        "version",
        "header",
        "scheme",
        "method",
        "field",
        "fields",
        "kind",
        "provider",
        "source",
        "status",
        "required",
        "enabled",
        "exception",  # AuthException: ... is a message, not a value
        "error",
        "failure",
    ]
)
_PHONE_KEYS = frozenset({"phone", "mobile", "msisdn", "tel", "telephone", "phonenumber", "cell"})
_NUMBER = frozenset({"number", "no", "num", "nr", "e164", "nbr"})
_CARD_KEYS = frozenset(
    {"cvc", "cvv", "cvv2", "cvn", "pan", "cardnumber", "ccnumber", "card_number"}
)
_AUTH_KEYS = frozenset({"authorization", "proxyauthorization", "auth"})
_NOT_VALUES = frozenset(
    {"", "null", "none", "nil", "true", "false", "undefined", "***", "*****", "redacted", "<*>"}
)


def _key_words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return re.findall(r"[a-z0-9]+", spaced.lower())


def _key_kind(key: str, extra_keys: frozenset[str]) -> str | None:
    """The redaction kind for a value stored under ``key``, or None when it is not secret."""
    words = _key_words(key)
    joined = "".join(words)
    if not words:
        return None
    if joined in extra_keys:
        return "password"
    phone_words = any(word in _PHONE_KEYS for word in words)
    if joined in _PHONE_KEYS or words[-1] in _PHONE_KEYS or (phone_words and words[-1] in _NUMBER):
        return "phone"
    if joined in _CARD_KEYS or words[-1] in _CARD_KEYS:
        return "card"
    if any(word in _NOT_SECRET_WORDS for word in words):
        return None
    if joined in _AUTH_KEYS:
        return "authorization"
    if "secretaccesskey" in joined or ("aws" in words and "secret" in joined):
        return "aws-secret-key"
    pairs = set(itertools.pairwise(words))
    if (
        joined in _EXACT_KEYS
        or words[-1] == "pass"  # smtp_pass, db_pass
        or pairs & _KEY_PAIRS
        or any(word in _STRONG_WORDS or word.endswith(_STRONG_SUFFIXES) for word in words)
        or _provider_key(words, pairs)
    ):
        return "password"
    return None


# A provider's name and a credential word: adafruitKey, SENTRY_DSN, messageBirdKey, asanaClientId.
_PROVIDER_WORDS = frozenset(word.replace("_", "").replace("-", "") for word in KEYWORD_PROVIDERS)
_PROVIDER_KEY_ENDS = frozenset(
    {"key", "token", "secret", "apikey", "pat", "pass", "pw", "sid", "auth", "dsn", "credential"}
)
_ID_OWNERS = frozenset({"client", "app", "application", "account", "access"})


def _provider_key(words: list[str], pairs: set[tuple[str, str]]) -> bool:
    last = words[-1]
    credential = last in _PROVIDER_KEY_ENDS or (
        last == "id" and len(words) > 1 and words[-2] in _ID_OWNERS
    )
    if not credential:
        return False
    names = set(words) | {first + second for first, second in pairs}
    return not names.isdisjoint(_PROVIDER_WORDS)


# gitleaks' generic rule: a key word of these and a random-looking value.
_GENERIC_KEY_WORDS = frozenset({"key", "auth", "credential", "creds", "access", "api"})


def _generic_secret(key: str, value: str) -> bool:
    words = _key_words(key)
    if _GENERIC_KEY_WORDS.isdisjoint(words) or any(w in _NOT_SECRET_WORDS for w in words):
        return False
    if len(value) < 16 or "://" in value or value.startswith(("/", "$", "%", "{")):
        return False
    has_digit = any(char.isdigit() for char in value)
    has_alpha = any(char.isalpha() for char in value)
    return has_digit and has_alpha and not _wordy(value) and _entropy(value) >= 3.5


def _wordy(value: str) -> bool:
    """Made of words and numbers ("orders.created.v2", "uploads/2024/05/report.png"): every
    part is letters alone, digits alone or short; a random token mixes them within a part."""
    parts = [part for part in re.split(r"[./_:-]+", value) if part]
    return len(parts) > 1 and all(
        part.isalpha() or part.isdigit() or len(part) <= 3 for part in parts
    )


_KEY_HINT = (
    r"pass|pwd|secret|token|auth|cred|key|sess|sid|csrf|xsrf|cv[cvn]|otp|jwt|bearer|sig|pin|pan"
    r"|ssn|phone|mobile|msisdn|tel|cell|dsn|conn|card"
)
_QUOTED_VALUE = r"(?P<vq>\\*[\"'])(?P<qval>(?:\\.|[^\\\n])*?)(?P=vq)"
_AUTH_PREFIX = r"(?:(?i:bearer|basic|token|digest|negotiate|ntlm|bot|apikey)[ \t]+)?"
_BARE_VALUE = r"(?P<bval>" + _AUTH_PREFIX + r"[^\s&;,\"'<>(){}\[\]\\]+)"
_OPEN_VALUE = r"(?P<open>[{\[])"


def _key_value_pattern(extra_keys: frozenset[str]) -> re.Pattern[str]:
    hint = _KEY_HINT + "".join("|" + re.escape(key) for key in sorted(extra_keys))
    key = r"(?P<key>(?=[\w.$-]{0,64}?(?i:" + hint + r"))[A-Za-z_$][\w.$-]{0,63})"
    quoted_key = r"(?P<kq>\\*[\"'])" + key + r"(?P=kq)\]?"  # "key": or $cfg['key'] =
    # Not inside a longer name, but a CLI flag's dashes may precede it ("--db-password=x").
    bare_key = r"(?<![\w.$])(?<![\w.$]-)" + key.replace("?P<key>", "?P<bkey>")
    return re.compile(
        r"(?:"
        + quoted_key
        + "|"
        + bare_key
        + r")[ \t]*(?P<sep>=>|:{1,3}=|\|\|=|\?=|[:=])[ \t]*(?:"
        + _QUOTED_VALUE
        + "|"
        + _OPEN_VALUE
        + "|"
        + _BARE_VALUE
        + ")"
    )


_BRACKET = re.compile(r"[{}\[\]]")


def _balanced_end(text: str, start: int, limit: int = 20000) -> int:
    """The end of the JSON-ish object or array opening at ``start`` (or of its line)."""
    depth = 0
    for found in _BRACKET.finditer(text, start, min(len(text), start + limit)):
        char = found.group()
        depth += 1 if char in "{[" else -1
        if depth == 0:
            return found.end()
    newline = text.find("\n", start)
    return newline if newline != -1 else len(text)


def _prose_word(value: str) -> bool:
    return value.isalpha() and value.islower()


def _key_value_spans(
    shadow: str, pattern: re.Pattern[str], extra: frozenset[str]
) -> Iterator[_Span]:
    if ":" not in shadow and "=" not in shadow:
        return  # every separator the pattern accepts holds one (most titles and templates)
    covered = 0  # the end of the last whole object redacted: nothing inside needs a look
    for found in pattern.finditer(shadow):
        if found.start() < covered:
            continue
        key = found["key"] or found["bkey"]
        if shadow.endswith("://", 0, found.start()):
            continue  # user:password@host: url-credentials covers exactly the userinfo
        kind = _key_kind(key, extra)
        if kind is None:
            loose_value = found["qval"] if found["qval"] is not None else found["bval"]
            if loose_value is None or not _generic_secret(key, loose_value):
                continue
            kind = "password"
        if found["open"] is not None:
            covered = _balanced_end(shadow, found.start("open"))
            yield _Span(found.start("open"), covered, kind)
            continue
        group = "qval" if found["qval"] is not None else "bval"
        value = found[group]
        if value.strip().lower() in _NOT_VALUES or value.startswith("[REDACTED"):
            continue
        loose = group == "bval" and found["sep"] == ":" and found["bkey"] is not None
        if loose and _prose_word(value) and "".join(_key_words(key)) not in extra:
            continue  # "auth: failed" is prose, not a credential
        end = found.end(group)
        if kind == "authorization" and group == "bval":
            end = _auth_value_end(shadow, found.start(group), end)
        yield _Span(found.start(group), end, kind)


# An Authorization header's value is its scheme and everything after it, whatever the scheme
# ("SSWS ...", "Splunk ...", "GenieKey ...", "Digest username=..., response=...").
_AUTH_SCHEME_WORD = re.compile(r"[A-Za-z][\w.-]{0,30}\Z")
_AUTH_REST = re.compile(
    r"(?:\"[^\"\n]*\")?(?:[ \t]+[^\s\"'\\,;]+)?(?:,[ \t]*[\w-]+=(?:\"[^\"\n]*\"|[^\s,;\"'\\]+))*"
)


def _auth_value_end(shadow: str, start: int, end: int) -> int:
    rest = _AUTH_REST.match(shadow, end)
    scheme_only = _AUTH_SCHEME_WORD.match(shadow, start, end) is not None
    if rest is None or not (scheme_only or shadow[end - 1] == "=" or shadow[end : end + 1] == ","):
        return end
    return max(end, rest.end())


# ---------------------------------------------------------------------------------------------
# The compiled policy

_Finder = Callable[[str], Iterator[_Span]]


def _regex_finder(
    kind: str, pattern: re.Pattern[str], accept: Callable[[str], bool] | None = None
) -> _Finder:
    def find(shadow: str) -> Iterator[_Span]:
        for found in pattern.finditer(shadow):
            group = "value" if "value" in pattern.groupindex else 0
            if found[group] and (accept is None or accept(found[group])):
                yield _Span(found.start(group), found.end(group), kind)

    return find


def _user_path_finder(shadow: str) -> Iterator[_Span]:
    if "/" not in shadow and "\\" not in shadow:
        return  # every home directory the pattern knows starts with one (most texts: neither)
    for found in _USER_PATH.finditer(shadow):
        if found["value"].lower() not in _GENERIC_USERS and not found["value"].startswith("$"):
            yield _Span(found.start("value"), found.end("value"), "user-path")


def _email_finder(shadow: str) -> Iterator[_Span]:
    if "@" not in shadow:
        return
    for found in _EMAIL.finditer(shadow):
        if found["value"].split("@", 1)[0].lower() == "git":
            continue  # git@github.com:owner/repo is an address of a repository, not a person
        line_start = max(shadow.rfind(char, 0, found.start()) for char in " \t\n\"'") + 1
        authority = shadow.rfind("://", line_start, found.start())
        if authority != -1 and "/" not in shadow[authority + 3 : found.start()]:
            continue  # user:password@host of a URL: url-credentials covers it
        yield _Span(found.start(), found.end(), "email")


def _flag_finder(shadow: str) -> Iterator[_Span]:
    for found in _FLAG_VALUE.finditer(shadow):
        kind = _key_kind(found["key"], frozenset())
        value = found["value"]
        if kind is None or _prose_word(value) or value.lower() in _NOT_VALUES:
            continue
        yield _Span(found.start("value"), found.end("value"), kind)


def _xml_finder(shadow: str) -> Iterator[_Span]:
    if "<" not in shadow:
        return
    for pattern in (_XML_ELEMENT, _XML_VALUE_ATTR):
        for found in pattern.finditer(shadow):
            kind = _key_kind(found["key"], frozenset())
            if kind is not None and found["value"].strip().lower() not in _NOT_VALUES:
                yield _Span(found.start("value"), found.end("value"), kind)


def _prose_secret_finder(shadow: str) -> Iterator[_Span]:
    for found in _PROSE_SECRET.finditer(shadow):
        group = "quoted" if found["quoted"] is not None else "value"
        value = found[group] if group == "quoted" else found[group].rstrip(".,;:!?)")
        if value.startswith("[REDACTED") or value.strip().lower() in _NOT_VALUES:
            continue
        if _prose_word(value):
            continue  # 'token "expired"' is prose
        has_digit = any(char.isdigit() for char in value)
        has_alpha = any(char.isalpha() for char in value)
        # Quoted, it is a value; bare, only when it looks like one ("password reset" is prose).
        if group == "quoted" or (len(value) >= 8 and has_digit and has_alpha and "/" not in value):
            yield _Span(found.start(group), found.start(group) + len(value), "password")


def _ipv4_finder(shadow: str) -> Iterator[_Span]:
    for found in _IPV4.finditer(shadow):
        if not _ipv4_ok(found.group()):
            continue
        if _VERSION_WORD.search(shadow, max(0, found.start() - 10), found.start()):
            continue  # "version 1.2.3.4" is a version that happens to have four parts
        yield _Span(found.start(), found.end(), "ip")


def _url_token_ok(candidate: str) -> bool:
    return _credential_shaped(candidate) and any(char.isdigit() for char in candidate)


_TOKEN_START = re.compile(r"[\s\"'<>()\[\]{}`]")
_PATH_SEGMENT = re.compile(r"[^/]+")


def _in_url(shadow: str, start: int, candidate: str) -> bool:
    """Whether a slashed candidate is part of a URL, a host or a route (not a base64 run)."""
    if candidate.startswith("/") or shadow[start - 1 : start] in (".", ":", "@"):
        return True
    line_start = shadow.rfind("\n", 0, start) + 1
    token_start = line_start
    for found in _TOKEN_START.finditer(shadow, line_start, start):
        token_start = found.end()
    return "://" in shadow[token_start:start]


def _entropy_finder(shadow: str) -> Iterator[_Span]:
    """Random-looking runs; inside a URL each path segment is judged alone, so a token in a
    path is redacted from its own start and the host and the rest of the path stay."""
    for found in _ENTROPY_CANDIDATE.finditer(shadow):
        candidate, start = found.group(), found.start()
        if "/" in candidate and _in_url(shadow, start, candidate):
            for part in _PATH_SEGMENT.finditer(candidate):
                if _looks_random(part.group()):
                    yield _Span(start + part.start(), start + part.end(), "high-entropy")
        elif _looks_random(candidate):
            yield _Span(start, found.end(), "high-entropy")


def _auth_finder(shadow: str) -> Iterator[_Span]:
    for found in _AUTH_SCHEME.finditer(shadow):
        value = found["value"]
        scheme = found["scheme"].lower()
        strict = scheme in ("token", "bot")
        if _credential_shaped(value) and (not strict or len(value) >= 16):
            yield _Span(found.start("value"), found.end("value"), "authorization")


_FORMATS: tuple[Format, ...] = _SHAPES + PROVIDER_FORMATS
_FORMAT_PATTERNS = tuple(re.compile(fmt.regex) for fmt in _FORMATS)
_KEYWORD_INDEX = len(_FORMATS)  # the prefilter's index for "a provider keyword occurs"
_PREFILTER = Prefilter.build([*(fmt.anchors for fmt in _FORMATS), KEYWORD_PROVIDERS])

# A provider's name, the rest of a key name (or two more words), a separator, and a value:
# "ADAFRUIT_KEY=...", "sentry.auth_token: ...", "'mailgun_key' => ...", "Twitter API secret = ...".
_KEYWORD_VALUE = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=[a-z])(?=[A-Z])|(?<=\\[nrt]))(?P<name>(?i:"
    + "|".join(re.escape(word) for word in sorted(KEYWORD_PROVIDERS, key=len, reverse=True))
    + r")[\w.$-]{0,30}(?:[ \t]+[A-Za-z][\w.-]{0,20}){0,2})(?:\\?[\"'])?\]?[ \t]{0,3}"
    r"(?:=>|:{1,3}=|\|\|=|\?=|=|:)[ \t\"'`=]{0,5}(?P<value>[A-Za-z0-9_.+/=~:$%|-]{10,300})"
)
_DATE_OR_VERSION = re.compile(r"\d{4}-\d\d-\d\d|v?\d+(?:\.\d+)+\Z|\d+(?:[.:]\d+)*\Z")


def _keyword_value_ok(value: str) -> bool:
    if "://" in value or value.startswith(("/", "[REDACTED", "$")) or value.endswith(":"):
        return False
    if _DATE_OR_VERSION.match(value):
        return len(value) >= 15 and value.isdigit()  # a long number is an id or a key
    if _wordy(value):
        return False
    has_digit = any(char.isdigit() for char in value)
    has_alpha = any(char.isalpha() for char in value)
    mixed = any(char.isupper() for char in value) and any(char.islower() for char in value)
    if (has_digit and has_alpha) or (mixed and len(value) >= 16):
        return True
    # letters alone: a random key (a one-case alphabet) rather than a word, by its entropy
    return value.isalpha() and len(value) >= 14 and _entropy(value) >= 3.4


# Names beside a provider's name that say the value is not a credential: aws_request_id,
# sentry_environment, slack_channel.  ("client id", "access id" are credentials.)
_NOT_CREDENTIAL_NAMES = _NOT_SECRET_WORDS | frozenset(
    [
        "region",
        "zone",
        "request",
        "trace",
        "span",
        "event",
        "user",
        "users",
        "project",
        "org",
        "bucket",
        "arn",
        "host",
        "port",
        "release",
        "environment",
        "env",
        "channel",
        "team",
        "workspace",
        "ids",
    ]
)


def _keyword_name_ok(name: str) -> bool:
    words = _key_words(name)
    if any(word in _STRONG_WORDS or word.endswith(_STRONG_SUFFIXES) for word in words):
        return True
    if words and words[-1] == "id" and len(words) > 2 and words[-2] not in _ID_OWNERS:
        return False  # "discord_id" and "discord_client_id" are keys; "discord_user_id" is not
    return _NOT_CREDENTIAL_NAMES.isdisjoint(words)


def _keyword_spans(shadow: str) -> Iterator[_Span]:
    for found in _KEYWORD_VALUE.finditer(shadow):
        value = found["value"].rstrip(".,;:|")
        if _keyword_value_ok(value) and _keyword_name_ok(found["name"]):
            start = found.start("value")
            yield _Span(start, start + len(value), "password")


def _random_enough(token: str) -> bool:
    if _wordy(token):
        return False  # test_checkout_flow_handles_timeout_v2
    if any(char.isdigit() for char in token):
        return True
    mixed = any(char.isupper() for char in token) and any(char.islower() for char in token)
    return mixed and len(token) >= 20


def _format_finder(shadow: str) -> Iterator[_Span]:
    """Provider formats by shape: only those whose anchors the one-pass prefilter saw run."""
    for index in sorted(_PREFILTER.candidates(shadow)):
        if index == _KEYWORD_INDEX:
            yield from _keyword_spans(shadow)
            continue
        fmt = _FORMATS[index]
        pattern = _FORMAT_PATTERNS[index]
        for found in pattern.finditer(shadow):
            if fmt.needs_random and not _random_enough(found.group()):
                continue
            yield _Span(found.start(), _path_segment_end(shadow, pattern, found), fmt.kind)


def _path_segment_end(shadow: str, pattern: re.Pattern[str], found: re.Match[str]) -> int:
    """A base64 token that is a URL path segment ends at the next slash when it is whole there:
    "/hooks/<token>/status" keeps "/status"."""
    slash = shadow.find("/", found.start(), found.end())
    if slash == -1 or shadow[found.start() - 1 : found.start()] != "/":
        return found.end()
    return slash if pattern.fullmatch(shadow, found.start(), slash) else found.end()


# ``curl -u user:password``, ``--user``, ``--proxy-user``: the part after the first colon.
_CLI_USER = re.compile(
    r"(?<![\w-])(?:-u|-U|--user|--proxy-user)(?:[ \t]+|=)(?P<q>\\?[\"']?)[^\s\"':]*:"
    r"(?P<value>[^\s\"'\\]+)(?P=q)"
)
# ``mysql -uroot -pS3cret``, ``docker login -u bot -p S3cret``
_CLI_PASSWORD_GLUED = re.compile(r"(?<![\w-])-p(?P<value>[^\s\"'\\-][^\s\"'\\]{3,})")
_CLI_PASSWORD_SPACED = re.compile(r"(?<![\w-])-p[ \t]+(?P<value>[^\s\"'\\-][^\s\"'\\]*)")
_MYSQL_FAMILY = re.compile(r"\bmysql(?:dump|admin|import)?\b|\bmariadb\b")
_LOGIN = re.compile(r"\blogin\b[^\n]*(?<![\w-])-u\b|(?<![\w-])-u\b[^\n]*\blogin\b")


# ``nuget setapikey KEY``, ``npm config set //registry/:_authToken TOKEN``
_CLI_SECRET_ARGUMENT = re.compile(
    r"(?i:\bsetapikey|:_auth(?:token)?|\bnpm[ \t]+(?:config[ \t]+)?set[ \t]+_auth(?:token)?)"
    r"[ \t]+(?P<q>[\"']?)(?P<value>[^\s\"'\\]{4,})(?P=q)"
)


# ``nuget push pkg.nupkg KEY`` (the key as the second argument), ``dotnet nuget push pkg -k KEY``
_NUGET_PUSH_KEY = re.compile(
    r"(?i:\bnuget(?:\.exe)?[ \t]+push)[ \t]+[^\s\"'-]\S*[ \t]+(?P<q>[\"']?)"
    r"(?P<value>[^\s\"'\\-][^\s\"'\\]{7,})(?P=q)"
)
_NUGET_K = re.compile(
    r"(?i:\bnuget\b)[^\n]*?(?<![\w-])-k[ \t]+(?P<q>[\"']?)(?P<value>[^\s\"'\\]{4,})(?P=q)"
)


def _cli_credentials_finder(shadow: str) -> Iterator[_Span]:
    # Each of the three needs a space or tab before its value (half of a run's texts: none).
    arguments = (_CLI_SECRET_ARGUMENT, _NUGET_PUSH_KEY, _NUGET_K)
    for pattern in arguments if " " in shadow or "\t" in shadow else ():
        for found in pattern.finditer(shadow):
            yield _Span(found.start("value"), found.end("value"), "password")
    if "-" not in shadow:
        return
    for found in _CLI_USER.finditer(shadow):
        yield _Span(found.start("value"), found.end("value"), "password")
    for line_match in re.finditer(r"[^\n]+", shadow):
        line, offset = line_match.group(), line_match.start()
        if "-p" not in line:
            continue
        patterns = []
        if _MYSQL_FAMILY.search(line):
            patterns.append(_CLI_PASSWORD_GLUED)
        if _LOGIN.search(line) or _MYSQL_FAMILY.search(line):
            patterns.append(_CLI_PASSWORD_SPACED)
        for pattern in patterns:
            for found in pattern.finditer(line):
                start, end = found.span("value")
                yield _Span(offset + start, offset + end, "password")


# Config pairs with the name in one place and the value in another: nuget/appSettings
# ``<add key="ClearTextPassword" value="..."/>``, PHP ``define('DB_PASSWORD', '...')``,
# ``setProperty("password", "...")``.
_XML_KEY_ATTR = re.compile(
    r"<[A-Za-z_][\w:.-]{0,63}\s[^<>]*?\bkey\s*=\s*(?P<kq>\\?[\"'])(?P<key>[^\"'<>]{1,100})(?P=kq)"
    r"[^<>]*?\bvalue\s*=\s*(?P<q>\\?[\"'])(?P<value>.{1,500}?)(?P=q)"
)
_CALL_PAIR = re.compile(
    r"\(\s*(?P<kq>\\?[\"'])(?P<key>[A-Za-z_$][\w.$-]{0,63})(?P=kq)\s*,\s*"
    r"(?P<q>\\?[\"'])(?P<value>[^\"'\n]{1,500}?)(?P=q)"
)


def _pair_finder(shadow: str) -> Iterator[_Span]:
    for pattern, hint in ((_XML_KEY_ATTR, "<"), (_CALL_PAIR, "(")):
        if hint not in shadow:
            continue
        for found in pattern.finditer(shadow):
            kind = _key_kind(found["key"], frozenset())
            if kind is not None and found["value"].strip().lower() not in _NOT_VALUES:
                yield _Span(found.start("value"), found.end("value"), kind)


# A Kubernetes Secret manifest (YAML, or JSON, also with escaped newlines): every value under it
# that looks like base64 is the secret's data, whatever its key is called.
_K8S_SECRET = re.compile(r"\bkind\\?[\"']?[ \t]*:[ \t]*\\?[\"']?Secret\b")
_K8S_VALUES = (
    re.compile(
        r"(?:^|\n|\\n)[ \t]+[\w.-]{1,253}:[ \t]*(?P<q>[\"']?)(?P<value>[A-Za-z0-9+/]{4,}={0,3})"
        r"(?P=q)[ \t]*(?=$|\n|\\[nr])"
    ),
    re.compile(
        r"(?P<q>\\?\")[\w.-]{1,253}(?P=q)[ \t]*:[ \t]*(?P=q)"
        r"(?P<value>[A-Za-z0-9+/]{4,}={0,3})(?P=q)"
    ),
)


def _k8s_secret_finder(shadow: str) -> Iterator[_Span]:
    if "Secret" not in shadow or not _K8S_SECRET.search(shadow):
        return
    for pattern in _K8S_VALUES:
        for found in pattern.finditer(shadow):
            value = found["value"]
            mixed = not value.islower() and not value.isupper()
            if len(value) < 8:
                continue
            if any(char.isdigit() for char in value) or "=" in value or mixed:
                yield _Span(found.start("value"), found.end("value"), "k8s-secret")


def _finders(policy: RedactionPolicy) -> tuple[_Finder, ...]:
    # Cached by the policy's settings, not the policy: a run's memo is not kept alive here.
    return _finders_of(policy.ip_addresses, policy.extra_patterns, policy.extra_keys)


@lru_cache(maxsize=32)
def _finders_of(
    ip_addresses: bool, extra_patterns: tuple[ExtraPattern, ...], keys: tuple[str, ...]
) -> tuple[_Finder, ...]:
    finders: list[_Finder] = [
        _format_finder,
        _cli_credentials_finder,
        _pair_finder,
        _k8s_secret_finder,
    ]
    extra_keys = frozenset("".join(_key_words(key)) for key in keys)
    key_value = _key_value_pattern(extra_keys)
    finders += [
        _private_key_finder,
        lambda shadow: _key_value_spans(shadow, key_value, extra_keys),
        _auth_finder,
        _regex_finder("url-credentials", _URL_USERINFO),
        _regex_finder("url-credentials", _URL_USER_TOKEN, _url_token_ok),
        _email_finder,
        _regex_finder("phone", _PHONE_INTL, _phone_ok),
        _regex_finder("phone", _PHONE_NANP),
        _regex_finder("phone", _PHONE_00, _phone_ok),
        _regex_finder("card", _CARD_DOTTED, _card_ok),
        _xml_finder,
        _prose_secret_finder,
        _regex_finder("card", _CARD, _card_ok),
        _regex_finder("iban", _IBAN, _iban_ok),
        _regex_finder("iban", _IBAN_LOWER, _iban_lower_ok),
        _flag_finder,
        _regex_finder("mac", _MAC),
        _user_path_finder,
        _entropy_finder,
    ]
    if ip_addresses:
        finders += [_ipv4_finder, _regex_finder("ip", _IPV6, _ipv6_ok)]
    for extra in extra_patterns:
        try:
            compiled = re.compile(extra.regex)
        except re.error as error:
            raise ValueError(f"redaction pattern {extra.kind!r} is not a regex: {error}") from error
        finders.append(_regex_finder(extra.kind, compiled))
    return tuple(finders)


# Findings by context or statistics; a known shape found in the same place names it better.
_GENERIC_KINDS = frozenset({"password", "authorization", "high-entropy"})


def _merge(spans: list[_Span]) -> list[_Span]:
    """Overlapping findings become one replacement, so no piece of either survives."""
    merged: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            better = last.kind in _GENERIC_KINDS and span.kind not in _GENERIC_KINDS
            kind = span.kind if better else last.kind
            merged[-1] = _Span(last.start, max(last.end, span.end), kind)
        else:
            merged.append(span)
    return merged


_PLACEHOLDER = re.compile(r"\[REDACTED:[A-Za-z0-9_.-]{1,64}\]")


def _outside_placeholders(shadow: str, spans: list[_Span]) -> list[_Span]:
    """Drop findings inside earlier placeholders: redacting twice changes nothing."""
    if "[REDACTED:" not in shadow:
        return spans
    taken = [found.span() for found in _PLACEHOLDER.finditer(shadow)]
    return [s for s in spans if not any(s.start < end and start < s.end for start, end in taken)]


def find_spans(text: str, policy: RedactionPolicy = DEFAULT_POLICY) -> list[tuple[int, int, str]]:
    """The (start, end, kind) of every finding in ``text``, merged and in order."""
    if not text:
        return []
    shadow = _shadow(text)
    found = [span for finder in _finders(policy) for span in finder(shadow.text)]
    found = _outside_placeholders(shadow.text, [span for span in found if span.end > span.start])
    mapped = [_Span(*shadow.original(span.start, span.end), span.kind) for span in _merge(found)]
    return [(span.start, span.end, span.kind) for span in _merge(mapped)]


def redact(text: str, policy: RedactionPolicy = DEFAULT_POLICY) -> str:
    """``text`` with every secret or personal value replaced by ``[REDACTED:<kind>]``.

    With a shadow policy: a stand-in as long as that (layout decisions stay the same)."""
    memo = policy.memo
    done = None if memo is None else memo.get(text)
    if done is None:
        done = _redact(text, policy)
        if memo is not None:
            memo[text] = done
    return STAND_IN * len(done) if policy.shadow else done


def _redact(text: str, policy: RedactionPolicy) -> str:
    spans = find_spans(text, policy)
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for start, end, kind in spans:
        parts.append(text[position:start])
        parts.append(placeholder(kind))
        position = end
    parts.append(text[position:])
    return "".join(parts)
