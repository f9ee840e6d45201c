"""How provider requests reach the network: proxies from the environment, a custom CA bundle.

httpx already honours HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY and SSL_CERT_FILE /
SSL_CERT_DIR (`trust_env`); FFDESK_CA_BUNDLE names a CA bundle for ffdesk alone (a company's
TLS-inspecting proxy), and a TLS failure is explained with the host and the setting to check.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import httpx

CA_BUNDLE_VARIABLE = "FFDESK_CA_BUNDLE"
CA_SETTINGS_HINT = (
    "If your network inspects HTTPS, point FFDESK_CA_BUNDLE (or SSL_CERT_FILE) at your "
    "organisation's CA bundle (a PEM file)"
)


def ca_bundle_setting(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, path) of the CA bundle chosen in the environment, or None for the default."""
    env = os.environ if environ is None else environ
    for name in (CA_BUNDLE_VARIABLE, "SSL_CERT_FILE"):
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


def ca_bundle_problem(setting: tuple[str, str]) -> str | None:
    """A sentence when the chosen CA bundle cannot be used, else None."""
    name, path = setting
    try:
        _context(path)
    except FileNotFoundError:
        return f"{name} names {path}, which does not exist."
    except (OSError, ssl.SSLError) as exc:
        return f"{name} names {path}, which is not a readable PEM CA bundle ({exc})."
    return None


@lru_cache(maxsize=8)
def _context(path: str) -> ssl.SSLContext:
    # One context per bundle: loading a bundle costs milliseconds, clients are made often.
    return ssl.create_default_context(cafile=path)


def client_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for `httpx.AsyncClient`: certificate checks and proxies from the env.

    A CA bundle that cannot be loaded leaves the default bundle in place (never unverified
    connections); `ffdesk doctor` names the broken setting.
    """
    env = os.environ if environ is None else environ
    path = env.get(CA_BUNDLE_VARIABLE, "").strip()
    options: dict[str, Any] = {"trust_env": True}
    if path:
        try:
            options["verify"] = _context(path)
        except (OSError, ssl.SSLError):
            pass
    return options


def untrusted_certificate(exc: BaseException) -> bool:
    """Whether the request failed because the server's certificate could not be verified."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def tls_reason(exc: httpx.RequestError, host: str) -> str | None:
    """Why a request failed, in words, when it is a TLS or proxy failure; else None."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or "certificate verify failed"
            return f"the TLS certificate of {host} could not be verified ({detail}). " + (
                CA_SETTINGS_HINT
            )
        if isinstance(cause, ssl.SSLError):
            return f"the TLS connection to {host} failed ({cause.reason or cause}). " + (
                CA_SETTINGS_HINT
            )
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ProxyError):
        return f"the proxy refused the connection to {host} ({exc}); check HTTPS_PROXY and NO_PROXY"
    return None


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy a request to `url` goes through (as httpx picks it from HTTPS_PROXY,
    HTTP_PROXY, ALL_PROXY and NO_PROXY), without its user and password; None when direct."""
    env = os.environ if environ is None else environ
    target = httpx.URL(url)
    scheme = target.scheme.lower()
    if _bypassed(target.host, _variable(env, "no_proxy")):
        return None
    for name in (f"{scheme}_proxy", "all_proxy"):
        value = _variable(env, name)
        if value:
            proxy = httpx.URL(value if "://" in value else f"http://{value}")
            port = f":{proxy.port}" if proxy.port else ""
            return f"{proxy.scheme}://{proxy.host}{port}"
    return None


def _variable(env: Mapping[str, str], name: str) -> str:
    # The lower-case spelling wins, as in urllib and curl.
    return (env.get(name) or env.get(name.upper()) or "").strip()


def _bypassed(host: str, no_proxy: str) -> bool:
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.split("://", 1)[-1].strip("[]").lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False
