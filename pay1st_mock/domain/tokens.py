"""Access and refresh tokens (pay1st-api.md §6.1–§6.2, design.md §3).

Tokens are opaque; the store keeps only their hashes. A refresh returns a new pair and revokes
the refresh token it used; access tokens already issued live until they expire.
"""

from __future__ import annotations

import hmac

from pay1st_mock.clock import Clock, isoformat
from pay1st_mock.errors import Pay1stError
from pay1st_mock.frozen import frozen
from pay1st_mock.randomness import Randomness
from pay1st_mock.records import Partner, TokenRecord
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.tokens import TokenRepository


@frozen
class TokenPair:
    """What the token and refresh endpoints return."""

    access_token: str
    refresh_token: str


class TokenService:
    """Issues, refreshes and checks tokens against the emulator clock."""

    def __init__(self, tokens: TokenRepository, partners: PartnerRepository, clock: Clock,
                 randomness: Randomness, access_ttl: int, refresh_ttl: int) -> None:
        self._tokens = tokens
        self._partners = partners
        self._clock = clock
        self._random = randomness
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl

    def check_credentials(self, api_key: str, api_secret: str) -> Partner:
        """Return the partner whose API key and secret these are; 401 saying which is wrong."""
        partner = self._partners.find_by_api_key(api_key)
        # Compare the secret even for an unknown key so timing does not reveal which keys exist.
        expected = partner.config.api_secret if partner else "\0" * len(api_secret)
        secret_ok = hmac.compare_digest(expected.encode(), api_secret.encode())
        if partner is None:
            raise Pay1stError("INVALID_CREDENTIALS",
                              "no partner has that API key; send Basic base64(API_KEY:API_SECRET) "
                              "with the API key the emulator printed at start")
        if not secret_ok:
            raise Pay1stError("INVALID_CREDENTIALS",
                              f"the API secret does not match API key {api_key!r}; send the API "
                              "secret of that partner after the colon", partner.id)
        return partner

    def refresh(self, refresh_token: str, caller: Partner | None = None) -> TokenPair:
        """Trade a live refresh token for a new pair, revoking the one used.

        ``caller`` is the partner of the optional Basic credentials; the token must be theirs.
        """
        record = self._tokens.find(refresh_token)
        now = self._clock.now()
        if record is None or (caller is not None and record.partner_id != caller.id):
            raise Pay1stError("INVALID_REFRESH_TOKEN",
                              "refreshToken is not a token this emulator issued to this partner; "
                              "send the refreshToken from the latest token or refresh response")
        if record.kind != "refresh":
            raise Pay1stError("INVALID_REFRESH_TOKEN",
                              "refreshToken holds an access token; send the refreshToken field "
                              "of the token response instead")
        if record.revoked_at is not None:
            raise Pay1stError("INVALID_REFRESH_TOKEN",
                              f"refreshToken was already used at {isoformat(record.revoked_at)};"
                              " each refresh returns a new refreshToken: send the newest one")
        if now >= record.expires_at:
            raise Pay1stError("INVALID_REFRESH_TOKEN",
                              f"refreshToken expired at {isoformat(record.expires_at)}; "
                              "get a new pair from POST /api/pay1st/auth/token")
        if not self._tokens.revoke(refresh_token, now):
            raise Pay1stError("INVALID_REFRESH_TOKEN",
                              "refreshToken was used by a concurrent refresh; send the newest one")
        return self.issue(record.partner_id)

    def lookup(self, token: str) -> TokenRecord | None:
        """What is known of a token, without judging it (fault matching, diagnostics)."""
        return self._tokens.find(token)

    def partner_of_key(self, api_key: str) -> Partner | None:
        """The partner owning an API key, if any."""
        return self._partners.find_by_api_key(api_key)

    def authenticate(self, access_token: str) -> Partner:
        """Return the partner owning a live access token; 401 with the reason otherwise."""
        record = self._tokens.find(access_token)
        if record is None:
            raise Pay1stError("INVALID_ACCESS_TOKEN",
                              "the access token is not one this emulator issued (or it was reset); "
                              "get one from POST /api/pay1st/auth/token")
        if record.kind != "access":
            raise Pay1stError("INVALID_ACCESS_TOKEN",
                              "that is a refresh token; send the accessToken field of the token "
                              "response in the AccessToken header", record.partner_id)
        if self._clock.now() >= record.expires_at:
            raise Pay1stError("EXPIRED_ACCESS_TOKEN",
                              f"the access token expired at {isoformat(record.expires_at)}; "
                              "refresh it with POST /api/pay1st/auth/refresh", record.partner_id)
        partner = self._partners.get(record.partner_id)
        if partner is None:  # pragma: no cover - tokens cascade with their partner
            raise Pay1stError("INVALID_ACCESS_TOKEN", "the token's partner no longer exists")
        return partner

    def issue(self, partner_id: int) -> TokenPair:
        """Issue a fresh access and refresh token to a partner."""
        now = self._clock.now()
        pair = TokenPair(self._random.token(), self._random.token())
        self._tokens.add(partner_id, now, (pair.access_token, "access", now + self._access_ttl),
                         (pair.refresh_token, "refresh", now + self._refresh_ttl))
        return pair
