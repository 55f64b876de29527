"""Pictures of Shop products and bundles (``pay1st_mock.shop.images``): the config's ``image``
(a file, or a picture the emulator serves) checked at start with errors naming the key, served
by the emulator itself under a sandboxing policy, and a drawn default when none is set."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pay1st_mock.app import create_app, services
from pay1st_mock.config import MEMORY, ConfigError, load_settings, settings_from_mapping
from pay1st_mock.shop import images

SCRIPT = "<script>alert(1)</script>"


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\x5a\x1f" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                           0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"/>'


def product(product_id: int = 10, **changes: Any) -> dict[str, Any]:
    bundles = [{"id": product_id * 10 + n, "sku": f"S-{n}", "name": f"{n * 100} Gems",
                "tokens": n * 100, "prices": {"NG": n * 500}} for n in (1, 2, 3)]
    return {"id": product_id, "name": "Galaxy Raiders", "countries": ["NG"],
            "bundles": bundles, **changes}


def toml_config(folder: Path, products: str) -> Path:
    path = folder / "shop.toml"
    path.write_text("version = 1\n" + products, encoding="utf-8")
    return path


@pytest.fixture
def pictures(tmp_path: Path) -> Iterator[FlaskClient]:
    """Product 10 with a PNG logo (relative to the config file) and an SVG for its first
    bundle; product 11 reusing product 10's logo; product 12 with none (drawn)."""
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "logo.png").write_bytes(png())
    (tmp_path / "art" / "gem.svg").write_bytes(SVG)
    path = toml_config(tmp_path, """
[[products]]
id = 10
name = "Galaxy Raiders"
countries = ["NG"]
image = "art/logo.png"
[[products.bundles]]
id = 101
sku = "G-1"
name = "100 Gems"
tokens = 100
prices = { NG = 500 }
image = "art/gem.svg"
[[products.bundles]]
id = 102
sku = "G-2"
name = "550 Gems"
tokens = 550
prices = { NG = 1500 }
image = "/shop/10/bundles/101/image"

[[products]]
id = 11
name = "Galaxy Raiders II"
countries = ["NG"]
image = "/shop/10/image"
[[products.bundles]]
id = 111
sku = "G2-1"
name = "1 Gem"
tokens = 1
prices = { NG = 100 }

[[products]]
id = 12
name = "Sandbox Quest"
countries = ["NG", "ZA"]
[[products.bundles]]
id = 121
sku = "S-1"
name = "11 Credits"
tokens = 11
prices = { NG = 1000, ZA = 10 }
[[products.bundles]]
id = 122
sku = "S-2"
name = "60 Credits"
tokens = 60
prices = { NG = 5000, ZA = 50 }
""")
    app = create_app(load_settings(path).with_overrides(data=MEMORY, seed=3))
    yield app.test_client()
    services(app).close()


def test_a_configured_file_is_served_by_the_emulator(pictures: FlaskClient,
                                                     tmp_path: Path) -> None:
    logo = pictures.get("/shop/10/image")
    assert (logo.status_code, logo.mimetype) == (200, "image/png")
    assert logo.data == (tmp_path / "art" / "logo.png").read_bytes()
    # Opened on its own, a picture may run nothing and load nothing.
    assert logo.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    gem = pictures.get("/shop/10/bundles/101/image")
    assert (gem.mimetype, gem.data) == ("image/svg+xml", SVG)


def test_a_picture_the_emulator_serves_is_reused(pictures: FlaskClient) -> None:
    reused = pictures.get("/shop/11/image")
    assert (reused.status_code, reused.location) == (303, "/shop/10/image")
    assert pictures.get("/shop/10/bundles/102/image").location == "/shop/10/bundles/101/image"
    storefront = pictures.get("/shop").get_data(as_text=True)
    # The page names the picture it shows, so the browser asks once.
    assert re.findall(r'<img src="([^"]+)"', storefront) == [
        "/shop/10/image", "/shop/10/image", "/shop/12/image"]


def test_without_one_a_picture_is_drawn(pictures: FlaskClient) -> None:
    drawn = pictures.get("/shop/12/image")
    assert (drawn.status_code, drawn.mimetype) == (200, "image/svg+xml")
    text = drawn.get_data(as_text=True)
    assert text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert ">SQ</text>" in text and 'aria-label="Sandbox Quest"' in text
    assert "href" not in text  # draws everything itself
    small, large = (pictures.get(f"/shop/12/bundles/{b}/image").get_data(as_text=True)
                    for b in (121, 122))
    assert small.count("<g transform") == 1 and large.count("<g transform") == 6
    assert pictures.get("/shop/12/bundles/101/image").status_code == 404  # another product's
    missing = pictures.get("/shop/99/image")
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_drawn_pictures_escape_the_name() -> None:
    art = images.product_art(f'Q "{SCRIPT}', "Q").decode()
    assert SCRIPT not in art and 'aria-label="Q &quot;&lt;script&gt;' in art
    assert images.pile_sizes([5, 100, 11, 60, 100]) == [1, 6, 3, 4, 6]
    assert images.pile_sizes([7]) == [1]


def test_the_storefront_shows_every_picture(pictures: FlaskClient) -> None:
    page = pictures.get("/shop/12").get_data(as_text=True)
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources == ["/shop/12/image", "/shop/12/bundles/121/image",
                       "/shop/12/bundles/122/image"]
    for source in sources:
        assert pictures.get(source).status_code == 200


def start(products: list[dict[str, Any]], source: str = "conf/shop.toml") -> None:
    app = create_app(settings_from_mapping({"version": 1, "products": products},
                                           source=source).with_overrides(data=MEMORY, seed=1))
    services(app).close()


@pytest.mark.parametrize(("image", "key", "says"), [
    ("https://cdn.example/logo.png", "products[0].image", "is a URL; the storefront loads "
                                                          "nothing from another site"),
    ("data:image/png;base64,iVBORw0K", "products[0].image", "is a URL"),
    ("//cdn.example/logo.png", "products[0].image", "names another host"),
    ("/shop/10/picture", "products[0].image", "/shop/<product id>/image or"),
    ("/shop/77/image", "products[0].image", "/shop/77/image is no product's or bundle's picture"),
    ("/shop/10/image", "products[0].image", "is itself a reference to /shop/10/image"),
    ("no/such/logo.png", "products[0].image", "no image file at"),
])
def test_a_bad_image_is_refused_at_start_naming_the_key(image: str, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        start([product(image=image)])
    message = str(caught.value)
    assert f"conf/shop.toml: {key}: " in message and says in message, message


def test_bundle_image_errors_name_the_bundle(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a picture", encoding="utf-8")
    raw = product()
    raw["bundles"][1]["image"] = str(text)
    with pytest.raises(ConfigError) as caught:
        start([raw])
    assert "products[0].bundles[1].image: " in str(caught.value)
    assert "is not a PNG, JPEG, GIF, WebP or SVG image" in str(caught.value)


def test_an_image_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png() + b"\x00" * images.MAX_IMAGE_BYTES)
    with pytest.raises(ConfigError) as caught:
        start([product(image=str(big))])
    assert "products[0].image: " in str(caught.value) and "at most 1048576" in str(caught.value)


def test_an_empty_image_is_a_schema_error_naming_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        start([product(image="")])
    assert "products[0].image" in str(caught.value)


def test_every_image_type_is_recognised_by_its_bytes() -> None:
    assert images.media_type_of(png()) == "image/png"
    assert images.media_type_of(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert images.media_type_of(b"GIF89a....") == "image/gif"
    assert images.media_type_of(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert images.media_type_of(b"<!-- logo -->\n<svg viewBox='0 0 1 1'/>") == "image/svg+xml"
    assert images.media_type_of(b"<html><svg></svg></html>") is None
    assert images.media_type_of(b"hello") is None


@pytest.fixture
def demo() -> Iterator[Flask]:
    app = create_app(settings_from_mapping({"version": 1}).with_overrides(data=MEMORY, seed=1))
    yield app
    services(app).close()


def test_the_demo_product_has_drawn_pictures(demo: Flask) -> None:
    client = demo.test_client()
    for path in ("/shop/1/image", "/shop/1/bundles/1/image", "/shop/1/bundles/2/image"):
        answer = client.get(path)
        assert (answer.status_code, answer.mimetype) == (200, "image/svg+xml"), path


def test_the_configuration_export_keeps_the_pictures(tmp_path: Path,
                                                     pictures: FlaskClient) -> None:
    """"Replicate the configuration": the export names each picture so that serve --config
    reads the same files again, wherever it runs."""
    import tomllib

    from pay1st_mock.shop.config_export import export_partner

    app = pictures.application
    svc = services(app)
    exported = export_partner(svc.partners.get(1), svc.shop.catalogue.products_of(1)).toml
    raw = tomllib.loads(exported)
    logo, reused = (p.get("image") for p in raw["products"][:2])
    assert logo == str((tmp_path / "art" / "logo.png").resolve()) and reused == "/shop/10/image"
    assert raw["products"][0]["bundles"][1]["image"] == "/shop/10/bundles/101/image"
    again = create_app(settings_from_mapping(raw).with_overrides(data=MEMORY, seed=3))
    try:
        assert again.test_client().get("/shop/10/image").data == png()
    finally:
        services(again).close()
