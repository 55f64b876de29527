"""The TOML config: validation messages that name the file and the key, and what a valid config
turns into (design.md §8, schemas/config.schema.json)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from pay1st_mock.app import create_app
from pay1st_mock.config import (
    MEMORY,
    SANDBOX_PARTNER,
    Callbacks,
    ConfigError,
    PartnerConfig,
    Settings,
    load_settings,
    settings_from_mapping,
)
from tests.conftest import checked_app
from tests.harness import ClientPartner, close_app

PARTNER = {"id": 2, "code": "ACME", "api_key": "acme-api-key", "api_secret": "acme-api-secret",
           "signing_key": "acme-signing-key"}


def _partner(**changes: Any) -> dict[str, Any]:
    return {**PARTNER, **changes}


def _write(tmp_path: Path, text: str, name: str = "pay1st-mock.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(raw, source="conf/mock.toml")
    return str(caught.value)


# --- errors name the file and the key ----------------------------------------------------------


def test_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "version = 1\n\n[gatway]\nstrict_amounts = true\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message
    assert "gatway" in message and "unknown" in message
    assert "gateway" in message, "the message should list the keys that are allowed"


def test_unknown_nested_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, 'version = 1\n[[partners]]\nid = 2\ncode = "ACME"\n'
                            'api_key = "acme-api-key"\napi_secret = "acme-api-secret"\n'
                            'signing_key = "acme-signing-key"\n'
                            '[partners.callbacks]\nsucess = "https://x.example"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert "partners[0].callbacks.sucess" in str(caught.value)
    assert "server.prot" in _error_of({"version": 1, "server": {"prot": 8080}})


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, 'version = 1\n[server]\nport = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message
    assert "server.port" in message and "integer" in message and '"x"' in message


@pytest.mark.parametrize("api_key, shown", [
    ("acme:key-with-colon", "acme:key-with-colon"),
    ("short", "at least 8"),
])
def test_bad_api_key_is_named(api_key: str, shown: str) -> None:
    message = _error_of({"version": 1, "partners": [_partner(api_key=api_key)]})
    assert "conf/mock.toml" in message
    assert "partners[0].api_key" in message
    assert shown in message, "the message should say what was wrong with the value"


@pytest.mark.parametrize("field, second", [
    ("id", {"code": "OTHER", "api_key": "other-api-key"}),
    ("code", {"id": 3, "api_key": "other-api-key"}),
    ("api_key", {"id": 3, "code": "OTHER"}),
])
def test_duplicate_partner_values_name_both_indexes(field: str, second: dict[str, Any]) -> None:
    message = _error_of({"version": 1, "partners": [
        _partner(), _partner(id=9, code="NINE", api_key="nine-api-key"), _partner(**second)]})
    assert "conf/mock.toml" in message
    assert f"partners[2].{field}" in message
    assert "partners[0]" in message
    problem_lines = [line for line in message.splitlines() if line.startswith("  ")]
    assert len(problem_lines) == 1, message


def test_every_problem_is_reported_at_once() -> None:
    message = _error_of({"version": 1, "server": {"port": "x", "hots": "a"},
                         "partners": [_partner(api_key="acme:api-key")]})
    for key in ("server.port", "server.hots", "partners[0].api_key"):
        assert key in message
    assert "3 problem(s)" in message


def test_missing_version_is_named() -> None:
    assert "version" in _error_of({"server": {"port": 1}})


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'version = 1\n[server]\nport = = 8080\n', name="broken.toml")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message and "not valid TOML" in message and "line 3" in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match=r"absent\.toml: no such config file"):
        load_settings(path)


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('version = 1\n# caf\xe9\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml: not UTF-8"):
        load_settings(path)


def test_no_config_means_the_defaults() -> None:
    settings = load_settings(None)
    assert settings == Settings()
    assert settings.all_partners == (SANDBOX_PARTNER,)
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)


# --- a valid config ----------------------------------------------------------------------------

FULL_TOML = """\
version = 1

[server]
host = "127.0.0.2"
port = 9099
data = "state"
seed = 5

[tokens]
access_ttl_seconds = 60
refresh_ttl_seconds = 600

[gateway]
timestamp_tolerance_seconds = 30
strict_amounts = true
max_body_bytes = 4096

[[partners]]
id = 2
code = "ACME"
name = "Acme Games"
api_key = "acme-api-key"
api_secret = "acme-api-secret"
signing_key = "acme-signing-key"
webhook_url = "https://acme.example/hook"

[partners.callbacks]
success = "https://acme.example/ok"
pending = "https://acme.example/wait"

[[partners]]
id = 3
code = "BETA_2"
api_key = "beta-api-key"
api_secret = "beta-api-secret"
signing_key = "beta-signing-key"
"""


def test_full_config_round_trips_into_settings(tmp_path: Path) -> None:
    path = _write(tmp_path, FULL_TOML)
    settings = load_settings(path)
    assert (settings.host, settings.port, settings.data, settings.seed) == (
        "127.0.0.2", 9099, "state", 5)
    assert (settings.access_ttl_seconds, settings.refresh_ttl_seconds) == (60, 600)
    assert (settings.timestamp_tolerance_seconds, settings.strict_amounts,
            settings.max_body_bytes) == (30, True, 4096)
    assert settings.source == str(path)
    assert settings.partners == (
        PartnerConfig(id=2, code="ACME", name="Acme Games", api_key="acme-api-key",
                      api_secret="acme-api-secret", signing_key="acme-signing-key",
                      webhook_url="https://acme.example/hook",
                      callbacks=Callbacks(success="https://acme.example/ok",
                                          pending="https://acme.example/wait")),
        PartnerConfig(id=3, code="BETA_2", name="Beta_2", api_key="beta-api-key",
                      api_secret="beta-api-secret", signing_key="beta-signing-key"),
    )
    assert [p.code for p in settings.all_partners] == ["SANDBOX", "ACME", "BETA_2"]
    # CLI flags win over the file; None means "not given".
    flagged = settings.with_overrides(port=0, host=None, data=MEMORY, seed=None)
    assert (flagged.port, flagged.host, flagged.data, flagged.seed) == (0, "127.0.0.2", MEMORY, 5)


def test_configured_timings_take_effect(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, FULL_TOML)).with_overrides(data=MEMORY)
    app = create_app(settings)
    try:
        client = app.test_client()
        sandbox = ClientPartner(client).login()
        # strict_amounts = true: a mismatch is an error, not a warning.
        mismatch = sandbox.create(amount=150)
        assert mismatch.status_code == 400
        assert mismatch.get_json()["errorCode"] == "AMOUNT_MISMATCH"
        # access_ttl_seconds = 60
        reference = sandbox.create_reference()
        assert client.post("/_mock/clock/advance", json={"seconds": 61}).status_code == 200
        assert sandbox.query(reference).get_json()["errorCode"] == "EXPIRED_ACCESS_TOKEN"
    finally:
        close_app(app)


# --- countries ---------------------------------------------------------------------------------


def _zambia_group(channel_id: int = 9001) -> dict[str, Any]:
    text = (resources.files("pay1st_mock") / "catalogue" / "methods.json").read_text("utf-8")
    group = copy.deepcopy(json.loads(text)["countries"]["ZA"]["groups"][0])
    group["id"] = 90
    group["name"] = "Mobile Money"
    channel = group["channels"][0]
    channel["id"] = channel_id
    channel["channel"]["name"] = "Airtel Money Zambia"
    channel["channel"]["paymentMethod"] = "MOBILE_MONEY"
    channel["flow"] = "phone_pin"
    group["channels"] = [channel]
    return group


@pytest.fixture
def zambia_app() -> Iterator[Flask]:
    settings = settings_from_mapping({"version": 1, "countries": {"ZM": {
        "name": "Zambia", "currency": "ZMW", "groups": [_zambia_group()]}}}).with_overrides(
            data=MEMORY)
    with checked_app(settings) as app:
        yield app


def test_added_country_serves_methods_payments_and_completion(zambia_app: Flask) -> None:
    client = zambia_app.test_client()
    sandbox = ClientPartner(client).login()
    methods = sandbox.get("/api/pay1st/payments/methods", countryCode="ZM")
    assert methods.status_code == 200, methods.get_data(as_text=True)
    groups = methods.get_json()["data"]["groups"]
    assert [g["name"] for g in groups] == ["Mobile Money"]
    assert [c["id"] for c in groups[0]["channels"]] == [9001]
    assert "flow" not in groups[0]["channels"][0]
    # The built-in countries are still there.
    assert sandbox.get("/api/pay1st/payments/methods", countryCode="NG").status_code == 200

    products = [{"title": "Gems", "sku": "G1", "price": 25, "quantity": 2}]
    reference = sandbox.create_reference(countryCode="ZM", currencyCode="ZMW", amount=50,
                                         products=products)
    wrong = sandbox.create(countryCode="ZM", currencyCode="NGN", amount=50, products=products)
    assert wrong.status_code == 400
    assert wrong.get_json()["errorCode"] == "CURRENCY_MISMATCH"
    assert "ZMW" in wrong.get_json()["errorMessage"]

    done = client.post(f"/_mock/payments/{reference}/complete", json={"status": "SUCCESSFUL"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert (done.get_json()["channelId"], done.get_json()["channelName"]) == (
        9001, "Airtel Money Zambia")


def test_overriding_a_builtin_country_keeps_what_it_does_not_name() -> None:
    settings = settings_from_mapping({"version": 1, "countries": {"NG": {"name": "Naija"}}})
    app = create_app(settings.with_overrides(data=MEMORY))
    try:
        sandbox = ClientPartner(app.test_client()).login()
        methods = sandbox.get("/api/pay1st/payments/methods", countryCode="NG")
        assert methods.status_code == 200
        assert methods.get_json()["data"]["groups"], "NG lost its built-in groups"
        assert sandbox.create().status_code == 201  # still NGN
    finally:
        close_app(app)


def test_new_country_without_groups_is_a_config_error_naming_it() -> None:
    """A config that cannot be served is a ConfigError (so `serve` exits 2), not a crash."""
    with pytest.raises(ConfigError, match=r"countries\.ZM") as caught:
        settings = settings_from_mapping({"version": 1, "countries": {
            "ZM": {"name": "Zambia", "currency": "ZMW"}}}, source="zm.toml")
        create_app(settings.with_overrides(data=MEMORY))
    assert "groups" in str(caught.value)
    assert "zm.toml" in str(caught.value)


def test_bad_country_code_and_currency_are_named() -> None:
    assert "countries" in _error_of({"version": 1, "countries": {"zm": {"name": "Zambia"}}})
    assert "countries.ZM.currency" in _error_of({"version": 1, "countries": {
        "ZM": {"currency": "kwacha"}}})


def test_channel_id_already_used_by_another_country_is_rejected() -> None:
    """catalogue.schema.json: channels[].id must be unique across all countries."""
    with pytest.raises(ConfigError, match=r"countries\.ZM"):
        settings = settings_from_mapping({"version": 1, "countries": {"ZM": {
            "name": "Zambia", "currency": "ZMW", "groups": [_zambia_group(channel_id=101)]}}})
        create_app(settings.with_overrides(data=MEMORY))


def test_partner_reusing_the_sandbox_api_key_is_a_config_error() -> None:
    """The sandbox stays beside partner 2, so two partners would share one API key."""
    with pytest.raises(ConfigError, match=r"partners\[0\]\.api_key"):
        settings = settings_from_mapping({"version": 1, "partners": [
            _partner(api_key=SANDBOX_PARTNER.api_key)]})
        create_app(settings.with_overrides(data=MEMORY))
