"""HTTP Basic credentials: ``AccountSid:AuthToken`` or ``ApiKeySid:ApiKeySecret``."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from senderpools.errors import Unauthorized
from senderpools.service.credentials import CredentialVerifier


def parse_basic(header: str | None) -> tuple[str, str] | None:
    if header is None:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    sid, sep, secret = decoded.partition(":")
    if not sep or not sid or not secret:
        return None
    return sid, secret


async def authenticate(request: Request, verifier: CredentialVerifier) -> str:
    """The account the request acts for, or 401."""
    credentials = parse_basic(request.headers.get("authorization"))
    if credentials is None:
        raise Unauthorized()
    account = await verifier.verify(*credentials)
    if account is None:
        raise Unauthorized()
    return account
