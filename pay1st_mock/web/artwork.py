"""Small pictures drawn here, in SVG, so the pages need nothing from elsewhere: country flags,
payment-method marks and card-brand marks.

They are inline ``<svg>`` elements (the Content-Security-Policy loads no image from another
site and no ``data:`` URL; inline SVG is part of the page). Every shape below is a constant of
this module; the only outside text that reaches them, a name in ``aria-label``, is escaped.
Marks are stylised stand-ins drawn for the emulator, not the brands' artwork.
"""

from __future__ import annotations

from markupsafe import Markup

from pay1st_mock.frozen import frozen

# Flags, in a 30 × 20 box. A country without one (added by config) shows its code instead.
FLAGS: dict[str, str] = {
    "NG": '<rect width="30" height="20" fill="#fff"/><rect width="10" height="20" '
          'fill="#008751"/><rect x="20" width="10" height="20" fill="#008751"/>',
    "ZA": '<rect width="30" height="10" fill="#e03c31"/><rect y="10" width="30" height="10" '
          'fill="#001489"/><path d="M0,0L14,10H30M0,20L14,10" stroke="#fff" '
          'stroke-width="6.5" fill="none"/><path d="M0,0L14,10H30M0,20L14,10" '
          'stroke="#007749" stroke-width="4" fill="none"/><path d="M0,3.6L9.4,10L0,16.4Z" '
          'fill="#000" stroke="#ffb81c" stroke-width="1.3"/>',
    "KE": '<rect width="30" height="20" fill="#fff"/><rect width="30" height="6" fill="#000"/>'
          '<rect y="7" width="30" height="6" fill="#b00"/><rect y="14" width="30" height="6" '
          'fill="#006600"/><ellipse cx="15" cy="10" rx="3.2" ry="6.6" fill="#000"/>'
          '<ellipse cx="15" cy="10" rx="1.8" ry="6.6" fill="#b00"/>',
    "EG": '<rect width="30" height="20" fill="#fff"/><rect width="30" height="6.67" '
          'fill="#ce1126"/><rect y="13.33" width="30" height="6.67" fill="#000"/>'
          '<path d="M15,7.2l1.5,2.4-1.5,3.2-1.5-3.2z" fill="#c09300"/>',
    "MA": '<rect width="30" height="20" fill="#c1272d"/><path d="M15,5L17.94,14.05L10.24,8.45'
          'H19.76L12.06,14.05Z" fill="none" stroke="#006233" stroke-width="0.9"/>',
    "GH": '<rect width="30" height="6.67" fill="#ce1126"/><rect y="6.67" width="30" '
          'height="6.67" fill="#fcd116"/><rect y="13.33" width="30" height="6.67" '
          'fill="#006b3f"/><path d="M15,7L16.76,12.43L12.15,9.07H17.85L13.24,12.43Z" '
          'fill="#000"/>',
}


@frozen
class Mark:
    """A 48 × 32 tile: a background, and a word (or shapes) on it."""

    background: str
    shapes: str
    border: str = "#d8dce6"


def _word(text: str, color: str, size: float = 11, *, italic: bool = False,
          weight: int = 800) -> str:
    style = ' font-style="italic"' if italic else ""
    return (f'<text x="24" y="16" dy="0.35em" text-anchor="middle" font-family="system-ui,'
            f'Segoe UI,Roboto,Helvetica,Arial,sans-serif" font-size="{size}" '
            f'font-weight="{weight}" letter-spacing="-0.2" fill="{color}"{style}>{text}</text>')


_CARD = ('<rect x="9" y="7" width="30" height="19" rx="3" fill="none" stroke="#5d6475" '
         'stroke-width="2"/><rect x="9" y="11" width="30" height="4" fill="#5d6475"/>')
_PHONE = ('<rect x="17" y="4" width="14" height="24" rx="3" fill="none" stroke="#5d6475" '
          'stroke-width="2"/><circle cx="24" cy="24" r="1.4" fill="#5d6475"/>')
_VOUCHER = ('<path d="M9,9h30v5a2.5,2.5 0 0 0 0,5v5H9v-5a2.5,2.5 0 0 0 0-5z" fill="none" '
            'stroke="#5d6475" stroke-width="2"/><path d="M28,10v13" stroke="#5d6475" '
            'stroke-dasharray="2 2"/>')
_BANK = ('<path d="M10,13L24,6L38,13Z" fill="#5d6475"/><path d="M13,15v8M19,15v8M24,15v8'
         'M29,15v8M35,15v8" stroke="#5d6475" stroke-width="2.4"/><rect x="10" y="24" '
         'width="28" height="2.5" fill="#5d6475"/>')

BRAND_MARKS: dict[str, Mark] = {
    "visa": Mark("#fff", _word("VISA", "#1a1f71", 14, italic=True, weight=900)),
    "mastercard": Mark("#fff", '<circle cx="19" cy="16" r="9" fill="#eb001b"/>'
                               '<circle cx="29" cy="16" r="9" fill="#f79e1b"/>'
                               '<path d="M24,8.52A9,9 0 0 1 24,23.48A9,9 0 0 1 24,8.52Z" '
                               'fill="#ff5f00"/>'),
    "verve": Mark("#fff", '<circle cx="12" cy="16" r="6" fill="#e4002b"/>'
                          + _word("verve", "#00425f", 10).replace('x="24"', 'x="30"')),
    "amex": Mark("#2e77bc", _word("AMEX", "#fff", 12, weight=900), "#2e77bc"),
    "card": Mark("#fff", _CARD),
}

# Method marks by the catalogue's channel code; a channel without one gets its flow's glyph.
METHOD_MARKS: dict[str, tuple[str, ...] | Mark] = {
    "VISA_MASTERCARD": ("visa", "mastercard"),
    "VERVE": ("verve",),
    "KUDA": Mark("#40196d", _word("kuda", "#fff", 13), "#40196d"),
    "PAGA": Mark("#f26522", _word("paga", "#fff", 13), "#f26522"),
    "PALMPAY": Mark("#6a2bd9", _word("PalmPay", "#fff", 9.5), "#6a2bd9"),
    "OPAY_QR": Mark("#1dcf9f", _word("OPay", "#fff", 12), "#1dcf9f"),
    "MPESA": Mark("#fff", _word("M-PESA", "#43b02a", 10.5, weight=900)),
    "VODAFONE_WALLET": Mark("#e60000", '<circle cx="24" cy="16" r="9" fill="#fff"/>'
                                       '<path d="M25.6,10.6c-3.2,0.3-5.4,2.9-5.4,5.9c0,3.2,2.3,'
                                       '5.4,5,5.4c2.6,0,4.4-1.9,4.4-4.3c0-2.9-2.3-3.7-3.6-5.3'
                                       'c-0.4-0.6-0.5-1.2-0.4-1.7z" fill="#e60000"/>', "#e60000"),
    "FAWRY": Mark("#ffd200", _word("fawry", "#004b87", 12), "#ffd200"),
    "MTN_MOMO": Mark("#ffcb05", '<ellipse cx="24" cy="16" rx="16" ry="9" fill="none" '
                                'stroke="#000" stroke-width="1.6"/>'
                                + _word("MTN", "#000", 10, weight=900), "#ffcb05"),
    "ONE_FOR_YOU": Mark("#0072ce", _word("1ForYou", "#fff", 10), "#0072ce"),
    "INSTANT_EFT": Mark("#0b8f7f", _word("EFT", "#fff", 12, weight=900), "#0b8f7f"),
}
_FLOW_GLYPHS = {"card": "card", "phone_otp": _PHONE, "phone_pin": _PHONE, "voucher": _VOUCHER,
                "redirect": _BANK}


def _tile(mark: Mark, label: str, css: str = "mark") -> Markup:
    return Markup('<svg class="{css}" viewBox="0 0 48 32" width="48" height="32" role="img" '
                  'aria-label="{label}"><rect x="0.5" y="0.5" width="47" height="31" rx="5" '
                  'fill="{bg}" stroke="{border}"/>').format(
        css=css, label=label, bg=mark.background, border=mark.border) + Markup(
        mark.shapes + "</svg>")


def flag(code: str, name: str | None = None) -> Markup:
    """The country's flag (its code in a badge when none is drawn), labelled with its name."""
    shapes = FLAGS.get(code)
    label = name or code
    if shapes is None:
        return Markup('<span class="flag flag-code" role="img" aria-label="{}">{}</span>').format(
            label, code)
    return Markup('<svg class="flag" viewBox="0 0 30 20" width="30" height="20" role="img" '
                  'aria-label="{}">').format(label) + Markup(shapes + "</svg>")


def brand_mark(brand: str, name: str | None = None, css: str = "mark") -> Markup:
    """A card brand's mark (``visa``, ``mastercard``, ``verve``, ``amex``; ``card``: none)."""
    return _tile(BRAND_MARKS.get(brand, BRAND_MARKS["card"]), name or brand.title(), css)


def method_marks(code: str, flow: str, name: str) -> Markup:
    """The marks of a payment method: its own, its card brands, or its flow's glyph."""
    found = METHOD_MARKS.get(code)
    if isinstance(found, tuple):
        return Markup("").join(brand_mark(brand) for brand in found)
    if isinstance(found, Mark):
        return _tile(found, name)
    glyph = _FLOW_GLYPHS.get(flow, _CARD)
    if glyph == "card":
        return brand_mark("card", name)
    return _tile(Mark("#fff", glyph), name)


def register_globals(globals_: dict[str, object]) -> None:
    """Offer the pictures to templates."""
    globals_.update(flag=flag, brand_mark=brand_mark, method_marks=method_marks)
