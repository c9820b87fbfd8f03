"""Google credentials for one run, without keys: Workload Identity Federation, else ADC.

1. **Workload Identity Federation done by the gardener** when ``workload-identity-provider``
   is set: google-auth's ``identity_pool.Credentials`` built from an in-memory info dict (nothing
   is written to disk) with a programmatic ``SubjectTokenSupplier`` (google-auth >= 2.29) that
   asks GitHub for the job's OIDC token (``ACTIONS_ID_TOKEN_REQUEST_URL`` with
   ``audience=https://iam.googleapis.com/<provider>`` and ``Authorization: bearer
   ACTIONS_ID_TOKEN_REQUEST_TOKEN``).  Why a supplier and not a ``credential_source.url``: our
   own code sees GitHub's answer, so a refusal gets a message that says the fix, and the OIDC
   token is reported for masking like every other token.  The OIDC token is exchanged at STS
   (audience ``//iam.googleapis.com/<provider>``); with ``service-account`` the federated
   token is then exchanged for the service account's token (``generateAccessToken``).
2. **Otherwise Application Default Credentials** from ``GOOGLE_APPLICATION_CREDENTIALS`` (the
   file ``google-github-actions/auth`` writes, a service account key, or ``gcloud`` user
   credentials).  Nothing else is tried: no metadata server, no gcloud config.

Scope is read-only logging.  Hidden calls avoided: the project is passed to the Logging client
by the caller; external-account files are loaded *without* scopes and scoped afterwards, because
google-auth otherwise refreshes them and calls Cloud Resource Manager to look up a project ID.
No quota project is forced on federated credentials: ``x-goog-user-project`` would require
``serviceusage.services.use`` on top of ``roles/logging.viewer``.

Every token obtained (GitHub OIDC JWT, STS federated token, service account token, ADC token)
goes to ``on_secret`` the moment it arrives, so the Actions adapter can ``::add-mask::`` it
before anything prints.  The returned credentials keep doing so on every later refresh, and
turn refresh failures into ``AuthError`` messages that say the fix.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import google.auth
import google.auth.credentials
import google.auth.exceptions
import google.auth.transport
import google.auth.transport.requests
from google.auth import identity_pool

from log_gardener.errors import AuthError, quote_value

LOGGING_READ_SCOPE = "https://www.googleapis.com/auth/logging.read"
BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery"  # the log-analytics source's jobs
DEFAULT_STS_URL = "https://sts.googleapis.com/v1/token"
DEFAULT_IAM_CREDENTIALS_BASE = "https://iamcredentials.googleapis.com"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105 - a type name

_PROVIDER = re.compile(
    r"^projects/(?P<number>[^/]+)/locations/(?P<location>[^/]+)/workloadIdentityPools/"
    r"(?P<pool>[^/]+)/providers/(?P<provider>[^/]+)$"
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,31}$")
_TOKEN_FIELDS = ("access_token", "accessToken", "id_token", "value")
_STS_GRANT_ERRORS = ("invalid_grant", "unauthorized_client", "invalid_target", "invalid_request")

SecretSink = Callable[[str], None]


def _ignore(_secret: str) -> None:
    return None


@dataclass(frozen=True)
class Provider:
    """A validated ``projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/P``."""

    name: str
    project_number: str
    pool: str
    provider: str

    @property
    def sts_audience(self) -> str:
        return f"//iam.googleapis.com/{self.name}"

    @property
    def oidc_audience(self) -> str:
        return f"https://iam.googleapis.com/{self.name}"

    def principal_set(self, repository: str) -> str:
        owner_repo = repository or "OWNER/REPO"
        return (
            f"principalSet://iam.googleapis.com/projects/{self.project_number}/locations/global/"
            f"workloadIdentityPools/{self.pool}/attribute.repository/{owner_repo}"
        )


def parse_provider(value: str) -> Provider:
    """Validates the input; ``//iam.googleapis.com/`` or ``https://...`` prefixes are accepted."""
    name = value.strip()
    for prefix in ("https://iam.googleapis.com/", "//iam.googleapis.com/"):
        name = name.removeprefix(prefix)
    match = _PROVIDER.match(name)
    example = (
        "projects/123456789012/locations/global/workloadIdentityPools/github/providers/my-repo"
    )
    if match is None:
        raise AuthError(
            f"workload-identity-provider {quote_value(value)} is not a provider resource name",
            cause="the value must be the full name, not the pool alone or a display name",
            fix=f"use the form {example} (gcloud iam workload-identity-pools providers describe "
            "PROVIDER --workload-identity-pool=POOL --location=global --format='value(name)')",
        )
    number = match["number"]
    if not number.isdigit():
        raise AuthError(
            f"workload-identity-provider {quote_value(value)} names project {quote_value(number)}",
            cause="the provider name needs the project NUMBER, not the project ID",
            fix=f"find it with: gcloud projects describe {number} --format='value(projectNumber)'",
        )
    if match["location"] != "global" or not (
        _ID.match(match["pool"]) and _ID.match(match["provider"])
    ):
        raise AuthError(
            f"workload-identity-provider {quote_value(value)} is malformed",
            cause="workload identity pools live in location 'global'; pool and provider IDs are "
            "4-32 lowercase letters, digits and hyphens",
            fix=f"use the form {example}",
        )
    return Provider(name, number, match["pool"], match["provider"])


# --- the tap: every auth HTTP response passes here -------------------------------------------


@dataclass
class _Failure:
    url: str
    status: int
    body: dict[str, Any]


@dataclass
class _AuthContext:
    """What the messages need to name the fix."""

    provider: Provider | None = None
    service_account: str = ""
    repository: str = ""
    adc_path: str = ""
    sts_url: str = ""
    iam_base: str = ""
    oidc_url: str = ""
    failures: list[_Failure] = field(default_factory=list)


class _TappedRequest(google.auth.transport.Request):
    """Wraps google-auth's transport: reports tokens in successful answers, remembers failures."""

    def __init__(
        self, inner: google.auth.transport.Request, on_secret: SecretSink, context: _AuthContext
    ) -> None:
        self._inner = inner
        self._on_secret = on_secret
        self._context = context

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> google.auth.transport.Response:
        response: google.auth.transport.Response = self._inner(
            url, method=method, body=body, headers=headers, timeout=timeout, **kwargs
        )
        data = _json_object(response.data)
        if 200 <= response.status < 300:
            for name in _TOKEN_FIELDS:
                token = data.get(name)
                if isinstance(token, str) and token:
                    self._on_secret(token)
        else:
            self._context.failures.append(_Failure(url, response.status, data))
        return response


def _json_object(data: object) -> dict[str, Any]:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
        decoded = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


class ReportingCredentials(google.auth.credentials.Credentials):
    """Delegates to google-auth credentials; reports each token and explains each failure."""

    def __init__(
        self,
        inner: google.auth.credentials.Credentials,
        on_secret: SecretSink,
        context: _AuthContext,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._inner = inner
        self._on_secret = on_secret
        self._context = context
        self._quota_project_id = getattr(inner, "quota_project_id", None)

    @property
    def inner(self) -> google.auth.credentials.Credentials:
        return self._inner

    @property
    def service_account_email(self) -> str:
        return self._context.service_account

    @property
    def principal(self) -> str:
        """Who Google sees, for messages such as "grant roles/logging.viewer to ..."."""
        context = self._context
        if context.service_account:
            return f"serviceAccount:{context.service_account}"
        if context.provider is not None:
            return context.provider.principal_set(context.repository)
        email = getattr(self._inner, "service_account_email", None)
        return f"serviceAccount:{email}" if isinstance(email, str) and email else ""

    def refresh(self, request: google.auth.transport.Request) -> None:
        self._context.failures.clear()
        tapped = _TappedRequest(request, self._on_secret, self._context)
        try:
            self._inner.refresh(tapped)  # type: ignore[no-untyped-call]
        except google.auth.exceptions.GoogleAuthError as exc:
            raise explain_failure(self._context, exc) from exc
        token = self._inner.token
        if isinstance(token, str) and token:
            self._on_secret(token)
        self.token = token
        self.expiry = self._inner.expiry


# --- building credentials ---------------------------------------------------------------------


def credentials_for_run(
    *,
    workload_identity_provider: str,
    service_account: str,
    env: Mapping[str, str],
    project: str,
    on_secret: SecretSink = _ignore,
    timeout: float = 30.0,
    bigquery: bool = False,
) -> ReportingCredentials:
    """Credentials with a fresh token (the first refresh happens here, so errors surface now).

    ``project`` is the Logging project: named in messages, never looked up.  ``bigquery``
    adds the BigQuery scope (the log-analytics source), asked for only when a target needs it.
    """
    scopes = [LOGGING_READ_SCOPE, BIGQUERY_SCOPE] if bigquery else [LOGGING_READ_SCOPE]
    del project  # the Logging client gets it explicitly; kept for a stable call signature
    if workload_identity_provider.strip():
        credentials = _federated(
            workload_identity_provider, service_account, env, on_secret, scopes
        )
    else:
        credentials = _from_adc_file(env, on_secret, scopes)
    refresh_now(credentials, timeout=timeout)
    return credentials


def refresh_now(credentials: ReportingCredentials, *, timeout: float = 30.0) -> None:
    request = google.auth.transport.requests.Request()
    try:
        credentials.refresh(_Timeout(request, timeout))
    finally:
        request.session.close()


class _Timeout(google.auth.transport.Request):
    """Applies a default timeout (google-auth's own default is 120 seconds)."""

    def __init__(self, inner: google.auth.transport.Request, timeout: float) -> None:
        self._inner = inner
        self._timeout = timeout

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> google.auth.transport.Response:
        response: google.auth.transport.Response = self._inner(
            url,
            method=method,
            body=body,
            headers=headers,
            timeout=timeout or self._timeout,
            **kwargs,
        )
        return response


def _federated(
    provider_value: str,
    service_account: str,
    env: Mapping[str, str],
    on_secret: SecretSink,
    scopes: list[str],
) -> ReportingCredentials:
    provider = parse_provider(provider_value)
    account = service_account.strip()
    if account and ("@" not in account or any(c in account for c in "/: ")):
        raise AuthError(
            f"service-account {quote_value(service_account)} is not a service account email",
            fix="use the email, e.g. log-gardener@PROJECT_ID.iam.gserviceaccount.com, or leave "
            "it empty to use the federated identity directly",
        )
    oidc_url, oidc_token = _oidc_request_variables(env)
    context = _AuthContext(
        provider=provider,
        service_account=account,
        repository=env.get("GITHUB_REPOSITORY", ""),
        sts_url=_base(env.get("LOG_GARDENER_STS_ENDPOINT", "")) + "/v1/token"
        if env.get("LOG_GARDENER_STS_ENDPOINT")
        else DEFAULT_STS_URL,
        iam_base=_base(env.get("LOG_GARDENER_IAM_CREDENTIALS_ENDPOINT", ""))
        or DEFAULT_IAM_CREDENTIALS_BASE,
        oidc_url=oidc_url,
    )
    info: dict[str, Any] = {
        "type": "external_account",
        "audience": provider.sts_audience,
        "subject_token_type": JWT_TOKEN_TYPE,
        "token_url": context.sts_url,
        "universe_domain": "googleapis.com",
    }
    if account:
        info["service_account_impersonation_url"] = (
            f"{context.iam_base}/v1/projects/-/serviceAccounts/{account}:generateAccessToken"
        )
    supplier = GitHubOidcSupplier(oidc_url, oidc_token, provider.oidc_audience, context)
    inner = identity_pool.Credentials.from_info(  # type: ignore[no-untyped-call]
        info, subject_token_supplier=supplier, scopes=scopes
    )
    return ReportingCredentials(inner, on_secret, context)


def _base(url: str) -> str:
    return url.strip().rstrip("/")


def _oidc_request_variables(env: Mapping[str, str]) -> tuple[str, str]:
    url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL", "").strip()
    token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "").strip()
    if not url or not token:
        missing = [
            name
            for name, value in (
                ("ACTIONS_ID_TOKEN_REQUEST_URL", url),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", token),
            )
            if not value
        ]
        raise AuthError(
            f"GitHub gave this job no OIDC token ({', '.join(missing)} not set)",
            cause="the workflow or job lacks `permissions: id-token: write`, or this run is a pull "
            "request from a fork (GitHub never gives fork pull requests an OIDC token)",
            fix="add `permissions: id-token: write` (with `contents: write` and `issues: write`) "
            "to the job; for fork pull requests skip the step with `if: "
            "github.event.pull_request.head.repo.fork != true`",
        )
    return url, token


class GitHubOidcSupplier(identity_pool.SubjectTokenSupplier):
    """Fetches the job's OIDC token from the Actions runtime (fresh each time; tokens are short)."""

    def __init__(self, url: str, request_token: str, audience: str, context: _AuthContext) -> None:
        self._url = url
        self._request_token = request_token
        self._audience = audience
        self._context = context

    def get_subject_token(self, context: Any, request: google.auth.transport.Request) -> str:
        separator = "&" if "?" in self._url else "?"
        url = f"{self._url}{separator}audience={quote(self._audience, safe='')}"
        headers = {"Authorization": f"bearer {self._request_token}", "Accept": "application/json"}
        try:
            response = request(url=url, method="GET", headers=headers)
        except google.auth.exceptions.TransportError as exc:
            raise _oidc_error(f"could not reach it ({type(exc).__name__})") from exc
        value = _json_object(response.data).get("value")
        if response.status != 200 or not isinstance(value, str) or not value:
            raise _oidc_error(f"HTTP {response.status}")
        return value


def _oidc_error(detail: str) -> AuthError:
    return AuthError(
        "GitHub's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) did not issue a token: "
        + detail,
        cause="the job lacks `permissions: id-token: write`, or the request token expired "
        "(it is valid only while the job runs)",
        fix="add `permissions: id-token: write` to the job and re-run it",
    )


def _from_adc_file(
    env: Mapping[str, str], on_secret: SecretSink, scopes: list[str]
) -> ReportingCredentials:
    path = env.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    if not path:
        raise AuthError(
            "no Google credentials: neither workload-identity-provider nor "
            "GOOGLE_APPLICATION_CREDENTIALS is set",
            cause="keyless authentication is not configured",
            fix="set the `workload-identity-provider` (and optionally `service-account`) inputs "
            "and grant `permissions: id-token: write`, or run google-github-actions/auth before "
            "this step (see docs/gcp-setup.md)",
        )
    path = _container_path(path, env)
    context = _AuthContext(adc_path=path, repository=env.get("GITHUB_REPOSITORY", ""))
    try:
        with warnings.catch_warnings():
            # google-auth warns that a credentials file must be trusted; it is the user's own.
            warnings.simplefilter("ignore")
            # No scopes here: with scopes google-auth refreshes external-account credentials
            # and calls Cloud Resource Manager to look up a project ID (a hidden call).
            inner, _project = google.auth.load_credentials_from_file(path)  # type: ignore[no-untyped-call]
    except google.auth.exceptions.GoogleAuthError as exc:
        raise AuthError(
            f"GOOGLE_APPLICATION_CREDENTIALS points at {quote_value(path)}, which google-auth "
            f"cannot load: {type(exc).__name__}",
            cause="the file is missing, not JSON, or not a credentials file",
            fix="run google-github-actions/auth in an earlier step of the same job, or point "
            "GOOGLE_APPLICATION_CREDENTIALS at a valid credentials file",
        ) from exc
    inner = google.auth.credentials.with_scopes_if_required(  # type: ignore[no-untyped-call]
        inner, scopes
    )
    context.service_account = str(getattr(inner, "service_account_email", "") or "")
    _describe_external_account(path, context)
    return ReportingCredentials(inner, on_secret, context)


def _container_path(path: str, env: Mapping[str, str]) -> str:
    """The same file as seen from the action's container.

    google-github-actions/auth writes ``gha-creds-*.json`` to the workspace root and exports the
    *host* path; a Docker action mounts the workspace at ``GITHUB_WORKSPACE``
    (``/github/workspace``), where the host path does not exist.
    """
    name = os.path.basename(path)
    workspace = env.get("GITHUB_WORKSPACE", "")
    if os.path.exists(path) or not workspace or not name.startswith("gha-creds-"):
        return path
    candidate = os.path.join(workspace, name)
    return candidate if os.path.exists(candidate) else path


def _describe_external_account(path: str, context: _AuthContext) -> None:
    """Federation settings of an external-account file, so its failures read like ours."""
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except (OSError, ValueError):
        return
    if not isinstance(info, dict) or info.get("type") != "external_account":
        return
    try:
        context.provider = parse_provider(str(info.get("audience", "")))
    except AuthError:
        return  # not a workload identity pool (AWS, workforce): the generic messages apply
    context.sts_url = str(info.get("token_url", DEFAULT_STS_URL))
    source = info.get("credential_source")
    if isinstance(source, dict) and isinstance(source.get("url"), str):
        context.oidc_url = source["url"]


# --- failures explained -----------------------------------------------------------------------


def explain_failure(context: _AuthContext, exc: Exception) -> AuthError:
    """The last failed auth response (or the exception) -> what to fix."""
    failure = context.failures[-1] if context.failures else None
    if failure is None:
        return _unreachable(context, exc)
    if context.oidc_url and failure.url.startswith(context.oidc_url.split("?")[0]):
        return _oidc_error(f"HTTP {failure.status}")
    if "generateAccessToken" in failure.url:
        return _impersonation_error(context, failure)
    if context.provider is not None and failure.url.startswith(context.sts_url):
        return _sts_error(context, failure)
    return _adc_error(context, failure)


def _google_message(body: Mapping[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, Mapping):
        return f"{error.get('status', '')} {error.get('message', '')}".strip()
    description = body.get("error_description", "")
    return f"{error or ''}: {description}".strip(": ")


def _sts_error(context: _AuthContext, failure: _Failure) -> AuthError:
    provider = context.provider
    assert provider is not None
    code = str(failure.body.get("error", ""))
    said = quote_value(_google_message(failure.body), limit=300)
    if code in _STS_GRANT_ERRORS or failure.status in (400, 401, 403):
        return AuthError(
            f"Google STS refused to exchange the GitHub OIDC token for provider "
            f"{quote_value(provider.name, limit=200)} (HTTP {failure.status}: {said})",
            cause="the provider name is wrong, it uses the project ID instead of the project "
            "NUMBER, or the provider's attribute condition rejects this repository or branch",
            fix="compare the input with `gcloud iam workload-identity-pools providers describe "
            f"{provider.provider} --workload-identity-pool={provider.pool} --location=global "
            f"--project={provider.project_number}`, and make the attribute condition accept "
            f"assertion.repository == '{context.repository or 'OWNER/REPO'}'",
        )
    return AuthError(
        f"Google STS failed (HTTP {failure.status}: {said})",
        cause="a temporary Google outage",
        fix="re-run the job; if it persists, check https://status.cloud.google.com",
    )


def _impersonation_error(context: _AuthContext, failure: _Failure) -> AuthError:
    account = context.service_account or "the service account"
    said = quote_value(_google_message(failure.body), limit=300)
    member = context.provider.principal_set(context.repository) if context.provider else "MEMBER"
    if failure.status in (403, 404):
        return AuthError(
            f"impersonating {account} failed (HTTP {failure.status}: {said})",
            cause="the federated identity may not act as this service account, or the account "
            "does not exist",
            fix=f"gcloud iam service-accounts add-iam-policy-binding {account} "
            f"--role=roles/iam.workloadIdentityUser --member='{member}' (and check the email)",
        )
    return AuthError(
        f"impersonating {account} failed (HTTP {failure.status}: {said})",
        cause="a temporary Google outage, or the IAM Credentials API is disabled",
        fix="gcloud services enable iamcredentials.googleapis.com on the service account's "
        "project, then re-run the job",
    )


def _adc_error(context: _AuthContext, failure: _Failure) -> AuthError:
    said = quote_value(_google_message(failure.body), limit=300)
    host = urlsplit(failure.url).netloc
    return AuthError(
        f"refreshing the credentials from {quote_value(context.adc_path or 'federation')} failed "
        f"at {host} (HTTP {failure.status}: {said})",
        cause="the credentials file is stale, revoked, or its federation settings are wrong",
        fix="re-run google-github-actions/auth in the same job (its files live only for the job), "
        "or create a fresh credentials file",
    )


def _unreachable(context: _AuthContext, exc: Exception) -> AuthError:
    return AuthError(
        f"getting a Google access token failed: {type(exc).__name__}",
        cause="the token service could not be reached (network, proxy, or a wrong "
        "LOG_GARDENER_STS_ENDPOINT / LOG_GARDENER_IAM_CREDENTIALS_ENDPOINT)",
        fix="check the runner's network access to sts.googleapis.com and "
        "iamcredentials.googleapis.com, and the endpoint overrides",
    )
