"""Provider secret formats, found by shape alone, and the one-pass prefilter that picks them.  Pure.

Every entry of ``PROVIDER_FORMATS`` is one provider's token format: the kind it is redacted as,
the literal *anchors* that any match must contain (compared without case), and the regex.  The
facts (prefixes, lengths, alphabets) follow the providers' documentation as collected by the
gitleaks default rule set; the patterns are our own.  ``KEYWORD_PROVIDERS`` names providers whose
keys have no recognisable shape: their values are found by the provider's name beside them
(``ADAFRUIT_KEY=...``, ``"sentry": {"token": ...}``, ``mailgun api key: ...``).

Cost: ``Prefilter.candidates(text)`` scans the text once with one regex built as a trie of every
anchor and keyword, and returns the indices of the formats whose anchors occur; only those
patterns run.  Ordinary log text contains few anchors, so most patterns never run at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Boundaries: a token begins where no letter or digit precedes it (or right after an escaped
# newline or tab, "...\\npul-..." in a JSON-escaped traceback) and ends where none follows.
_L = r"(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))"
_R = r"(?![A-Za-z0-9])"
_HEX = "[a-f0-9]"


@dataclass(frozen=True)
class Format:
    kind: str  # becomes [REDACTED:<kind>]
    anchors: tuple[str, ...]  # lowercase literals, one of which every match contains
    regex: str
    # For shapes an identifier could take ("test_user_can_login..."): a match needs a digit, or
    # both cases and 20 characters, to count.
    needs_random: bool = False


def shape(kind: str, anchors: str, regex: str, *, needs_random: bool = False) -> Format:
    return Format(kind, tuple(anchors.split()), regex, needs_random)


# One line per provider (or token family), grouped by provider name.  Keep the anchors literal
# and lowercase; a format with no anchor would run on every text, so every format has one.
PROVIDER_FORMATS: tuple[Format, ...] = (
    shape(
        "1password-secret-key",
        "a3-",
        _L + r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})(?:-[A-Z0-9]{5}){3}" + _R,
    ),
    shape("1password-token", "ops_eyj", r"ops_eyJ[A-Za-z0-9+/_-]{60,}={0,3}"),
    shape("adobe-client-secret", "p8e-", _L + r"p8e-[A-Za-z0-9]{32}" + _R),
    shape("adyen-key", "aqe", _L + r"AQE[a-z0-9]{5,}\.[A-Za-z0-9_=-]{50,80}"),
    shape("alibaba-access-key", "ltai", _L + r"LTAI[A-Za-z0-9]{20}" + _R),
    shape(
        "ansible-vault",
        "$ansible_vault",
        r"\$ANSIBLE_VAULT;[0-9.]+;AES256(?:;[\w-]+)?(?:(?:\s|\\[nr])*[0-9a-f]{16,})*",
    ),
    shape("artifactory-key", "akcp", _L + r"AKCp[A-Za-z0-9]{60,80}" + _R),
    shape("artifactory-token", "cmvmd", _L + r"cmVmd[A-Za-z0-9]{50,70}" + _R),
    shape(
        "authress-key",
        ".acc_ .acc-",
        _L + r"(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-]"
        r"[A-Za-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30,120}",
    ),
    shape("azure-client-secret", "q~", r"(?<![\w~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"),
    shape(
        "azure-ir-key",
        "ir@",
        _L + r"IR@[0-9a-f-]{36}@[^@\s\"']{1,80}@[^@\s\"']{1,80}@[A-Za-z0-9+/=]{40,}",
    ),
    shape(
        "braintree-token",
        "access_token$",
        r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}|"
        r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}",
    ),
    shape(
        "braintree-key",
        "production_ sandbox_",
        _L + r"(?:production|sandbox)_[a-z0-9]{8}_[a-z0-9]{16}" + _R,
        needs_random=True,
    ),
    shape("castai-key", "castai_v1_", r"castai_v1_[A-Za-z0-9]{64}_[A-Za-z0-9]{8}"),
    shape("chieftools-token", "ctp_ cto_ ctr_", _L + r"ct[por]_[A-Za-z0-9]{30,248}"),
    shape("clickhouse-key", "4b1d", _L + r"4b1d[A-Za-z0-9]{38}" + _R),
    shape("clojars-token", "clojars_", r"(?i:CLOJARS_)[A-Za-z0-9]{60}"),
    shape("cloudflare-origin-ca-key", "v1.0-", _L + r"v1\.0-[a-f0-9]{24}-[a-f0-9]{140,160}"),
    shape("databricks-token", "dapi", r"dapi[a-f0-9]{32}(?:-\d)?"),
    shape("defined-networking-token", "dnkey-", r"dnkey-[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}"),
    shape(
        "doppler-token",
        "dp.",
        _L + r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*",
    ),
    shape("dropbox-token", "sl.", _L + r"sl\.[A-Za-z0-9_=-]{120,}"),
    shape("dropbox-token", "aaaaaaaaaa", _L + r"[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=-]{43}"),
    shape("duffel-token", "duffel_", r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}"),
    shape("dynatrace-token", "dt0c01.", r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"),
    shape("easypost-token", "ezak eztk", _L + r"EZ[AT]K[A-Za-z0-9]{54}" + _R),
    shape(
        "facebook-token", "eaa", _L + r"EAA[A-Za-z0-9_-]{20,}"
    ),  # page and user tokens; Square EAAA
    shape(
        "facebook-token",
        "| %7c",
        r"(?<![\d.])\d{15,16}(?:\||%7[Cc])(?=[\w-]{0,39}\d)(?=[\w-]{0,39}[A-Za-z])"
        r"[0-9A-Za-z_-]{27,40}" + _R,
    ),
    shape(
        "flutterwave-key",
        "flwseck flwpubk",
        r"FLW(?:SECK|PUBK)(?:_TEST)?-[A-Za-z0-9]{12,32}(?:-X)?",
    ),
    shape(
        "flyio-token",
        "fo1_ fm1 fm2_",
        _L + r"(?:fo1_[\w-]{43}|fm1[ar]_[A-Za-z0-9+/]{60,}={0,3}|fm2_[A-Za-z0-9+/]{60,}={0,3})",
    ),
    shape("frameio-token", "fio-u-", r"fio-u-[A-Za-z0-9_=-]{64}"),
    shape(
        "freemius-key",
        "sk_",
        r"(?<![A-Za-z0-9_])sk_\S{29}(?![A-Za-z0-9])",
        needs_random=True,
    ),
    shape("gitlab-session", "_gitlab_session=", r"_gitlab_session=[0-9a-z]{32}"),
    shape("grafana-token", "eyjrijoi", r"eyJrIjoi[A-Za-z0-9]{40,400}={0,3}"),
    shape("grafana-token", "glc_", _L + r"glc_[A-Za-z0-9+/]{32,400}={0,3}"),
    shape("grafana-token", "glsa_", _L + r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    shape("groq-key", "gsk_", _L + r"gsk_[A-Za-z0-9]{48}"),
    shape(
        "harness-token",
        "pat. sat.",
        _L + r"(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}" + _R,
    ),
    shape("heroku-key", "hrku-", _L + r"HRKU-[A-Za-z0-9_-]{40,80}"),
    shape("hashicorp-tf-token", "atlasv1", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}"),
    shape("infracost-token", "ico-", _L + r"ico-[A-Za-z0-9]{32}" + _R),
    shape("intra42-secret", "s-s4t2", _L + r"s-s4t2(?:ud|af)-[a-f0-9]{64}"),
    shape("jwt", "zxlk", _L + r"ZXlK[A-Za-z0-9/_+-]{40,}={0,2}"),  # a base64-encoded JWT
    shape("langsmith-key", "lsv2_", r"lsv2_(?:pt|sk)_[A-Za-z0-9]{32}_[A-Za-z0-9]{10}"),
    shape("linear-key", "lin_api_", r"lin_api_[A-Za-z0-9]{40}"),
    shape("mailgun-key", "key-", _L + r"(?:pub)?key-[a-f0-9]{32}" + _R),
    shape("mapbox-token", "pk. sk. tk.", _L + r"[pst]k\.[A-Za-z0-9_-]{60,}\.[A-Za-z0-9_-]{20,}"),
    shape("mailchimp-key", "-us", _L + r"[a-f0-9]{32}-us\d{1,2}" + _R),
    shape("maxmind-key", "_mmk", _L + r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk" + _R),
    shape(
        "teams-webhook",
        "webhookb2 incomingwebhook",
        r"https://[A-Za-z0-9.-]+\.webhook\.office\.com/webhookb2/[^\s\"'<>]+",
    ),
    shape("newrelic-key", "nrjs- nrii- nrak- nraa-", _L + r"NR(?:JS|II|AK|AA)-[A-Za-z0-9-]{19,40}"),
    shape("notion-token", "ntn_", _L + r"ntn_\d{11}[A-Za-z0-9]{35}"),
    shape("notion-token", "secret_", _L + r"secret_[A-Za-z0-9]{43}" + _R, needs_random=True),
    shape("nuget-api-key", "oy2", _L + r"oy2[a-z0-9]{43}" + _R),
    shape("octopus-deploy-key", "api-", _L + r"API-[A-Z0-9]{26}" + _R),
    shape("openshift-token", "sha256~", r"sha256~[\w-]{43}"),
    shape("perplexity-key", "pplx-", _L + r"pplx-[A-Za-z0-9]{48}"),
    shape(
        "plaid-token",
        "access-sandbox- access-development- access-production-",
        r"access-(?:sandbox|development|production)-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}",
    ),
    shape("planetscale-token", "pscale_", _L + r"pscale_(?:tkn|oauth|pw)_[\w=.-]{32,64}"),
    shape("postman-key", "pmak-", _L + r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"),
    shape("prefect-key", "pnu_", _L + r"pnu_[A-Za-z0-9]{36}"),
    shape("pulumi-token", "pul-", _L + r"pul-[a-f0-9]{40}"),
    shape("readme-key", "rdme_", _L + r"rdme_[a-z0-9]{70}"),
    shape("rubygems-key", "rubygems_", _L + r"rubygems_[a-f0-9]{48}"),
    shape("scalingo-token", "tk-us-", _L + r"tk-us-[\w-]{48}"),
    shape(
        "sendinblue-key", "xkeysib- xsmtpsib-", r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}"
    ),
    shape("sentry-token", "sntrys_ sntryu_", r"sntrys_[A-Za-z0-9+/=_]{60,}|sntryu_[a-f0-9]{64}"),
    shape("settlemint-token", "sm_", _L + r"sm_(?:aat|pat|sat)_[A-Za-z0-9]{16}"),
    shape("shippo-token", "shippo_", r"shippo_(?:live|test)_[a-fA-F0-9]{40}"),
    shape("sourcegraph-token", "sgp_", _L + r"sgp_(?:(?:[a-fA-F0-9]{16}|local)_)?[a-fA-F0-9]{40}"),
    shape("square-token", "sq0", _L + r"sq0(?:atp|csp|idp)-[\w-]{22,60}"),
    shape(
        "stripe-key",
        "test_ live_",  # also Adyen client keys, Chargebee, GoCardless
        r"(?<![A-Za-z0-9_])(?:test|live)_[A-Za-z0-9_=-]{30,48}(?![A-Za-z0-9_=-])",
        needs_random=True,
    ),
    shape("twilio-key", "sk", _L + r"SK[0-9a-fA-F]{32}" + _R),
    shape("twitter-bearer-token", "aaaaaaaaaa", r"A{22}[A-Za-z0-9%]{60,120}"),
    shape("typeform-token", "tfp_", _L + r"tfp_[A-Za-z0-9_.=-]{59}"),
    shape("vault-token", "s.", _L + r"s\.[A-Za-z0-9]{24}" + _R, needs_random=True),
    shape("yandex-token", "t1.", _L + r"t1\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]{86}={0,2}"),
    shape("yandex-key", "aqvn", _L + r"AQVN[A-Za-z0-9_-]{35,38}"),
)

# Providers whose keys have no prefix of their own: a value beside the provider's name is a key.
KEYWORD_PROVIDERS: tuple[str, ...] = tuple(
    [
        "adafruit",
        "adobe",
        "adyen",
        "airtable",
        "algolia",
        "alibaba",
        "asana",
        "atlassian",
        "aws",
        "azure",
        "beamer",
        "bitbucket",
        "bittrex",
        "braintree",
        "chargebee",
        "clickhouse",
        "cloudflare",
        "codecov",
        "cohere",
        "co_api_key",
        "coinbase",
        "confluence",
        "confluent",
        "contentful",
        "contribsys",
        "datadog",
        "db_passwd",
        "db_password",
        "database_password",
        "databricks",
        "digitalocean",
        "discord",
        "dnkey",
        "doppler",
        "droneci",
        "dropbox",
        "dynatrace",
        "easypost",
        "etsy",
        "facebook",
        "fastly",
        "finicity",
        "finnhub",
        "flickr",
        "flutterwave",
        "freshbooks",
        "gitter",
        "gocardless",
        "grafana",
        "harness",
        "heroku",
        "hubspot",
        "intercom",
        "jfrog",
        "jira",
        "kraken",
        "kucoin",
        "launchdarkly",
        "linear",
        "linkedin",
        "linked_in",
        "linked-in",
        "lob",
        "looker",
        "mailchimp",
        "mailgun",
        "mapbox",
        "mattermost",
        "meraki",
        "messagebird",
        "message_bird",
        "message-bird",
        "netlify",
        "newrelic",
        "new_relic",
        "new-relic",
        "nytimes",
        "okta",
        "pagerduty",
        "plaid",
        "privateai",
        "private_ai",
        "private-ai",
        "pulumi",
        "rapidapi",
        "sendbird",
        "sendinblue",
        "sentry",
        "snyk",
        "sonar",
        "sourcegraph",
        "squarespace",
        "sumo",
        "telegram",
        "terraform",
        "travis",
        "twilio",
        "twitch",
        "twitter",
        "typeform",
        "yandex",
        "zendesk",
    ]
)


_Trie = dict[str, "_Trie"]


def _trie_regex(words: Iterable[str]) -> str:
    """One regex alternation shaped as a trie, so a position fails after one character."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return build(trie)


@dataclass(frozen=True)
class Prefilter:
    """Finds, in one pass, which anchors occur in a text."""

    pattern: re.Pattern[str]
    owners: dict[str, frozenset[int]]  # anchor -> indices of the formats it stands for

    @classmethod
    def build(cls, anchors_per_format: Iterable[Iterable[str]]) -> Prefilter:
        owners: dict[str, set[int]] = {}
        for index, anchors in enumerate(anchors_per_format):
            for anchor in anchors:
                owners.setdefault(anchor.lower(), set()).add(index)
        # A hit on a longer anchor also stands for every anchor inside it ("sk-ant-" holds "sk").
        closed = {
            anchor: frozenset(
                i for other, found in owners.items() if other in anchor for i in found
            )
            for anchor in owners
        }
        # Longest first at each position: the lookahead reports one anchor per start position,
        # and the trie prefers the longest path, so shorter anchors are covered by ``closed``.
        # Anchors are lowercase and the text is lowered first: 2.5 times faster than IGNORECASE.
        pattern = re.compile("(?=(" + _trie_regex(owners) + "))")
        return cls(pattern, closed)

    def candidates(self, text: str) -> frozenset[int]:
        found: set[int] = set()
        seen: set[str] = set()
        for hit in self.pattern.finditer(text.lower()):
            anchor = hit.group(1)
            if anchor and anchor not in seen:
                seen.add(anchor)
                found |= self.owners.get(anchor, frozenset())
        return frozenset(found)
