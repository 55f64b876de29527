"""Pictures of Shop products and bundles: the ones the config names, or ones drawn here.

Pay1st's Shop checklist asks partners for a logo and SKU images, so a product and each of its
bundles take an ``image`` in the config. It is either

* a file (PNG, JPEG, GIF, WebP or SVG, at most ``MAX_IMAGE_BYTES``), its path absolute or
  relative to the config file's folder: read once at start and served by the emulator; or
* a picture the emulator serves, ``/shop/<product id>/image`` or
  ``/shop/<product id>/bundles/<bundle id>/image`` (to reuse another product's or bundle's
  picture, configured or drawn).

Never a URL of another site: the pages load nothing from elsewhere (their Content-Security-Policy
allows images from the page's own server only) and the storefront must work offline. Without an
``image``, an SVG is drawn from the name: the product's initials on a colour of its own, and for a
bundle a pile of gems that grows with its size.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from pay1st_mock.config import ConfigError
from pay1st_mock.frozen import frozen

MAX_IMAGE_BYTES = 1024 * 1024
SVG = "image/svg+xml"
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
               (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
EMULATOR_PATH = re.compile(r"/shop/(\d+)(?:/bundles/(\d+))?/image")
_SVG_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]",
                        re.S | re.I)


@frozen
class ConfiguredImage:
    """An ``image`` from the config: a file's bytes, or a path on the emulator (``url``)."""

    source: str  # the file's resolved path, or the URL path, as the config export writes it
    url: str | None = None
    media_type: str | None = None
    content: bytes | None = None


def _escape(text: str, attribute: bool = False) -> str:
    """``text`` safe in SVG (XML) content, or in a double-quoted attribute. (Not
    ``xml.sax.saxutils.escape``: importing it pulls in ``urllib.request``, 5 ms of every start.)"""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


def media_type_of(content: bytes) -> str | None:
    """The image type of ``content`` from its first bytes, or None if it is none we serve."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if _SVG_START.match(content[:4096]):
        return SVG
    return None


def load_image(value: str, key: str, base: Path) -> ConfiguredImage:
    """Check and read the config's ``image`` at ``key``; ``ConfigError`` naming it otherwise."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value) and not re.match(r"^[A-Za-z]:[\\/]", value):
        raise ConfigError(
            f"{key}: {value!r} is a URL; the storefront loads nothing from another site (it "
            "works offline, and its pages allow images from the emulator only): save the "
            "picture and give its file path (or /shop/<product id>/image to reuse a picture "
            "the emulator serves)")
    if value.startswith("//"):
        raise ConfigError(f"{key}: {value!r} names another host; give a file path (or "
                          "/shop/<product id>/image to reuse a picture the emulator serves)")
    if value.startswith("/shop/"):
        if not EMULATOR_PATH.fullmatch(value):
            raise ConfigError(f"{key}: {value!r}: a picture on the emulator is "
                              "/shop/<product id>/image or "
                              "/shop/<product id>/bundles/<bundle id>/image")
        return ConfiguredImage(source=value, url=value)
    path = Path(value) if Path(value).is_absolute() else base / value
    try:
        size = path.stat().st_size
    except OSError:
        raise ConfigError(f"{key}: no image file at {path} (a relative path is read from the "
                          "config file's folder)") from None
    if not path.is_file():
        raise ConfigError(f"{key}: {path} is not a file")
    if size > MAX_IMAGE_BYTES:
        raise ConfigError(f"{key}: {path} has {size} bytes; an image may have at most "
                          f"{MAX_IMAGE_BYTES} (1 MiB): make it smaller")
    content = path.read_bytes()
    media_type = media_type_of(content)
    if media_type is None:
        raise ConfigError(f"{key}: {path} is not a PNG, JPEG, GIF, WebP or SVG image")
    return ConfiguredImage(source=str(path.resolve()), media_type=media_type, content=content)


def hue_of(name: str) -> int:
    """A colour (hue in degrees) of a name's own: the same name, the same colour."""
    return zlib.crc32(name.encode("utf-8")) % 360


def product_art(name: str, initials: str) -> bytes:
    """A square picture for a product without one: its initials on its own colour."""
    hue = hue_of(name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 240" width="240" '
        f'height="240" role="img" aria-label="{_escape(name, attribute=True)}">'
        '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},72%,52%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 40) % 360},70%,30%)"/></linearGradient>'
        '</defs><rect width="240" height="240" fill="url(#g)"/>'
        '<circle cx="205" cy="30" r="70" fill="#fff" fill-opacity=".10"/>'
        '<circle cx="25" cy="225" r="90" fill="#fff" fill-opacity=".08"/>'
        '<path d="M180,172l6,14 14,6-14,6-6,14-6-14-14-6 14-6z" fill="#fff" '
        'fill-opacity=".55"/>'
        '<text x="120" y="120" dy="0.35em" text-anchor="middle" font-family="system-ui,'
        'Segoe UI,Roboto,Helvetica,Arial,sans-serif" font-size="92" font-weight="800" '
        f'fill="#fff">{_escape(initials)}</text></svg>').encode()


# Where each gem of a pile sits (centre x, centre y), for piles of 1 to 6 gems.
_PILES = {1: ((60, 62),), 2: ((45, 66), (75, 66)), 3: ((45, 74), (75, 74), (60, 50)),
          4: ((35, 78), (60, 78), (85, 78), (60, 54)),
          5: ((35, 80), (60, 80), (85, 80), (47, 57), (73, 57)),
          6: ((35, 82), (60, 82), (85, 82), (47, 60), (73, 60), (60, 38))}


def bundle_art(product_name: str, size: int) -> bytes:
    """A picture for a bundle without one: a pile of ``size`` (1 to 6) gems of the product's
    colour."""
    hue = hue_of(product_name)
    gems = []
    for x, y in _PILES[max(1, min(size, 6))]:
        gems.append(
            f'<g transform="translate({x},{y})"><path d="M-14,-6l7,-9h14l7,9-14,17z" '
            f'fill="hsl({hue},70%,50%)"/><path d="M-14,-6h28l-14,17z" '
            f'fill="hsl({hue},70%,38%)"/><path d="M-7,-15l7,9 7,-9z" fill="#fff" '
            'fill-opacity=".45"/></g>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" '
        'height="120" role="img" aria-label="bundle">'
        f'<rect width="120" height="120" fill="hsl({hue},60%,95%)"/>'
        f'<ellipse cx="60" cy="98" rx="40" ry="7" fill="hsl({hue},40%,85%)"/>'
        + "".join(gems) + "</svg>").encode("utf-8")


def pile_sizes(token_counts: list[int]) -> list[int]:
    """How many gems each bundle's picture shows (1 for the smallest, 6 for the largest),
    in the order of ``token_counts``."""
    ranked = sorted(set(token_counts))
    if len(ranked) == 1:
        return [1 for _ in token_counts]
    return [1 + round(5 * ranked.index(count) / (len(ranked) - 1)) for count in token_counts]
