"""Keyless auth against fake OIDC, STS and IAM Credentials servers, with the real google-auth."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from log_gardener.adapters.gcp_auth import (
    LOGGING_READ_SCOPE,
    credentials_for_run,
    parse_provider,
    refresh_now,
)
from log_gardener.errors import AuthError
from tests.fakes.gcp import PROVIDER, SERVICE_ACCOUNT, FakeGcp, fake_gcp

__all__ = ["fake_gcp"]  # the fixture, imported for pytest


def _run(
    fake: FakeGcp,
    *,
    service_account: str = SERVICE_ACCOUNT,
    provider: str = PROVIDER,
    env: dict[str, str] | None = None,
    secrets: list[str] | None = None,
):
    return credentials_for_run(
        workload_identity_provider=provider,
        service_account=service_account,
        env=fake.env() if env is None else env,
        project=fake.project,
        on_secret=(secrets if secrets is not None else []).append,
    )


def test_three_call_chain_with_impersonation(fake_gcp: FakeGcp) -> None:
    secrets: list[str] = []
    creds = _run(fake_gcp, secrets=secrets)

    [oidc] = fake_gcp.oidc_requests
    assert oidc.authorization == f"bearer {fake_gcp.request_token}"
    assert oidc.query == {
        "api-version": "2.0",
        "audience": f"https://iam.googleapis.com/{PROVIDER}",
    }
    [sts] = fake_gcp.sts_requests
    assert sts.body["audience"] == f"//iam.googleapis.com/{PROVIDER}"
    assert sts.body["subject_token"] == fake_gcp.oidc_tokens[0]
    assert sts.body["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
    assert sts.body["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    [iam] = fake_gcp.iam_requests
    assert iam.path == f"/v1/projects/-/serviceAccounts/{SERVICE_ACCOUNT}:generateAccessToken"
    assert iam.authorization == f"Bearer {fake_gcp.sts_tokens[0]}"
    assert iam.body["scope"] == [LOGGING_READ_SCOPE]

    assert creds.token == fake_gcp.iam_tokens[0]
    assert creds.principal == f"serviceAccount:{SERVICE_ACCOUNT}"
    # every token reported for masking, the moment it arrived
    assert secrets[:3] == [fake_gcp.oidc_tokens[0], fake_gcp.sts_tokens[0], fake_gcp.iam_tokens[0]]
    assert set(secrets) == {fake_gcp.oidc_tokens[0], fake_gcp.sts_tokens[0], fake_gcp.iam_tokens[0]}


def test_direct_federation_without_impersonation(fake_gcp: FakeGcp) -> None:
    secrets: list[str] = []
    creds = _run(fake_gcp, service_account="", secrets=secrets)
    assert fake_gcp.iam_requests == []
    [sts] = fake_gcp.sts_requests
    assert sts.body["scope"] == LOGGING_READ_SCOPE
    assert creds.token == fake_gcp.sts_tokens[0]
    assert creds.principal == (
        "principalSet://iam.googleapis.com/projects/123456789012/locations/global/"
        "workloadIdentityPools/github/attribute.repository/acme/shop"
    )
    assert set(secrets) == {fake_gcp.oidc_tokens[0], fake_gcp.sts_tokens[0]}


def test_later_refresh_reports_and_uses_fresh_tokens(fake_gcp: FakeGcp) -> None:
    secrets: list[str] = []
    creds = _run(fake_gcp, secrets=secrets)
    creds.inner.token = None  # as if expired: google-auth refreshes the impersonation only
    creds.inner._impersonated_credentials = None
    refresh_now(creds)
    assert creds.token == fake_gcp.iam_tokens[1]
    assert fake_gcp.iam_tokens[1] in secrets


def _external_account_file(fake: FakeGcp, *, impersonate: bool) -> dict[str, object]:
    """What google-github-actions/auth writes (the runner's OIDC URL and request token)."""
    info: dict[str, object] = {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{PROVIDER}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": f"{fake.url}/v1/token",
        "credential_source": {
            "url": f"{fake.url}/oidc/token?api-version=2.0"
            f"&audience=https://iam.googleapis.com/{PROVIDER}",
            "headers": {"Authorization": f"bearer {fake.request_token}"},
            "format": {"type": "json", "subject_token_field_name": "value"},
        },
    }
    if impersonate:
        info["service_account_impersonation_url"] = (
            f"{fake.url}/v1/projects/-/serviceAccounts/{SERVICE_ACCOUNT}:generateAccessToken"
        )
    return info


@pytest.mark.parametrize("impersonate", [True, False])
def test_adc_external_account_file(fake_gcp: FakeGcp, tmp_path: Path, impersonate: bool) -> None:
    path = tmp_path / "gha-creds.json"
    path.write_text(json.dumps(_external_account_file(fake_gcp, impersonate=impersonate)))
    secrets: list[str] = []
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(path)}
    creds = _run(fake_gcp, provider="", service_account="", env=env, secrets=secrets)
    # exactly the chain: no hidden project lookup at Cloud Resource Manager
    calls = [len(fake_gcp.oidc_requests), len(fake_gcp.sts_requests), len(fake_gcp.iam_requests)]
    assert calls == [1, 1, 1 if impersonate else 0]
    minted = fake_gcp.iam_tokens if impersonate else fake_gcp.sts_tokens
    assert creds.token == minted[0]
    assert set(secrets) == {fake_gcp.oidc_tokens[0], *fake_gcp.sts_tokens, *fake_gcp.iam_tokens}
    scope = (
        fake_gcp.iam_requests[0].body["scope"]
        if impersonate
        else [fake_gcp.sts_requests[0].body["scope"]]
    )
    assert scope == [LOGGING_READ_SCOPE]


# --- errors that say the fix ------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
)
def test_no_oidc_variables(fake_gcp: FakeGcp, missing: str) -> None:
    with pytest.raises(AuthError) as caught:
        _run(fake_gcp, env=fake_gcp.env(**{missing: ""}))
    assert caught.value.message == (
        f"GitHub gave this job no OIDC token ({missing} not set). Likely cause: the workflow or "
        "job lacks `permissions: id-token: write`, or this run is a pull request from a fork "
        "(GitHub never gives fork pull requests an OIDC token). Fix: add `permissions: "
        "id-token: write` (with `contents: write` and `issues: write`) to the job; for fork "
        "pull requests skip the step with `if: github.event.pull_request.head.repo.fork != "
        "true`."
    )
    assert fake_gcp.oidc_requests == []


def test_oidc_endpoint_refuses(fake_gcp: FakeGcp) -> None:
    fake_gcp.oidc_status = 403
    with pytest.raises(AuthError) as caught:
        _run(fake_gcp)
    assert caught.value.message.startswith(
        "GitHub's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) did not issue a token: "
        "HTTP 403. Likely cause: the job lacks `permissions: id-token: write`"
    )
    assert fake_gcp.sts_requests == []


@pytest.mark.parametrize(
    ("error", "description"),
    [
        ("invalid_grant", "The audience in ID Token does not match the expected audience."),
        ("unauthorized_client", "The given credential is rejected by the attribute condition."),
    ],
)
def test_sts_refuses(fake_gcp: FakeGcp, error: str, description: str) -> None:
    fake_gcp.sts_error = (400, error, description)
    with pytest.raises(AuthError) as caught:
        _run(fake_gcp)
    assert caught.value.message == (
        f"Google STS refused to exchange the GitHub OIDC token for provider '{PROVIDER}' "
        f"(HTTP 400: '{error}: {description}'). Likely cause: the provider name is wrong, it "
        "uses the project ID instead of the project NUMBER, or the provider's attribute "
        "condition rejects this repository or branch. Fix: compare the input with `gcloud iam "
        "workload-identity-pools providers describe acme-shop --workload-identity-pool=github "
        "--location=global --project=123456789012`, and make the attribute condition accept "
        "assertion.repository == 'acme/shop'."
    )


def test_sts_refuses_a_wrong_audience_for_real(fake_gcp: FakeGcp) -> None:
    other = PROVIDER.replace("acme-shop", "other-repo")
    with pytest.raises(AuthError, match=r"Google STS refused .* 'invalid_grant: The audience"):
        _run(fake_gcp, provider=other)


def test_impersonation_denied(fake_gcp: FakeGcp) -> None:
    fake_gcp.iam_status = 403
    with pytest.raises(AuthError) as caught:
        _run(fake_gcp)
    assert caught.value.message == (
        f"impersonating {SERVICE_ACCOUNT} failed (HTTP 403: 'PERMISSION_DENIED Permission "
        "\\'iam.serviceAccounts.getAccessToken\\' denied on resource (or it may not exist).'). "
        "Likely cause: the federated identity may not act as this service account, or the "
        "account does not exist. Fix: gcloud iam service-accounts add-iam-policy-binding "
        f"{SERVICE_ACCOUNT} --role=roles/iam.workloadIdentityUser --member='principalSet://"
        "iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/"
        "attribute.repository/acme/shop' (and check the email)."
    )


def test_unknown_service_account(fake_gcp: FakeGcp) -> None:
    with pytest.raises(AuthError, match=r"HTTP 404: 'NOT_FOUND Service account"):
        _run(fake_gcp, service_account="nobody@demo-project.iam.gserviceaccount.com")


def test_no_credentials_at_all(fake_gcp: FakeGcp) -> None:
    with pytest.raises(AuthError) as caught:
        _run(fake_gcp, provider="", service_account="", env={})
    assert caught.value.message.startswith(
        "no Google credentials: neither workload-identity-provider nor "
        "GOOGLE_APPLICATION_CREDENTIALS is set. Likely cause: keyless authentication is not "
        "configured. Fix: set the `workload-identity-provider`"
    )


def test_adc_file_missing(fake_gcp: FakeGcp, tmp_path: Path) -> None:
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nope.json")}
    with pytest.raises(
        AuthError, match=r"cannot load: DefaultCredentialsError.*google-github-actions/auth"
    ):
        _run(fake_gcp, provider="", service_account="", env=env)


def test_adc_file_failures_read_like_federation_failures(fake_gcp: FakeGcp, tmp_path: Path) -> None:
    path = tmp_path / "gha-creds.json"
    path.write_text(json.dumps(_external_account_file(fake_gcp, impersonate=False)))
    fake_gcp.sts_error = (400, "invalid_grant", "The audience in ID Token does not match.")
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(path)}
    with pytest.raises(AuthError, match=r"^Google STS refused .* project NUMBER"):
        _run(fake_gcp, provider="", service_account="", env=env)


def test_sts_unreachable(fake_gcp: FakeGcp) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(AuthError, match=r"could not be reached .* LOG_GARDENER_STS_ENDPOINT"):
        _run(fake_gcp, env=fake_gcp.env(LOG_GARDENER_STS_ENDPOINT=closed))


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("projects/my-project/locations/global/workloadIdentityPools/github/providers/p-1",
         "needs the project NUMBER, not the project ID"),
        ("github-pool", "is not a provider resource name"),
        ("projects/123/locations/us/workloadIdentityPools/github/providers/p-1", "is malformed"),
    ],
)  # fmt: skip
def test_provider_format(value: str, fragment: str) -> None:
    with pytest.raises(AuthError, match=fragment):
        parse_provider(value)


def test_provider_prefixes_accepted() -> None:
    assert parse_provider(f" //iam.googleapis.com/{PROVIDER} ").name == PROVIDER
    assert parse_provider(f"https://iam.googleapis.com/{PROVIDER}").pool == "github"


def test_service_account_must_be_an_email(fake_gcp: FakeGcp) -> None:
    with pytest.raises(AuthError, match="is not a service account email"):
        _run(fake_gcp, service_account="projects/-/serviceAccounts/x")


def test_adc_file_found_in_the_container_workspace(fake_gcp: FakeGcp, tmp_path: Path) -> None:
    (tmp_path / "gha-creds-1a2b.json").write_text(
        json.dumps(_external_account_file(fake_gcp, impersonate=False))
    )
    env = {
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/runner/work/shop/shop/gha-creds-1a2b.json",
        "GITHUB_WORKSPACE": str(tmp_path),
    }
    creds = _run(fake_gcp, provider="", service_account="", env=env)
    assert creds.token == fake_gcp.sts_tokens[0]
