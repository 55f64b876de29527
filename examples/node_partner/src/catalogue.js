// What the partner sells and to whom: the emulator's demo product (Sandbox Quest) mirrored as
// data, and three players. A real partner reads these from its own database.

// The currency each country pays in (Pay1st refuses any other).
export const CURRENCIES = Object.freeze({
  NG: 'NGN', ZA: 'ZAR', KE: 'KES', GH: 'GHS', EG: 'EGP', MA: 'MAD',
});

// Prices are kept in MINOR units (cents, kobo) so sums stay exact integers: 0.1 + 0.2 is not 0.3
// in floating point. Pay1st v4 wants MAJOR units on the wire; `majorUnits` converts when sending.
export const ITEMS = Object.freeze({
  'CRE-11': {
    sku: 'CRE-11', title: '11 Credits', tokens: 11,
    prices: { NG: 1000_00, ZA: 10_00, KE: 150_00, GH: 15_00, EG: 50_00, MA: 10_00 },
  },
  'CRE-60': {
    sku: 'CRE-60', title: '60 Credits', tokens: 60,
    prices: { NG: 5000_00, ZA: 50_00, KE: 700_00, GH: 70_00, EG: 250_00, MA: 50_00 },
  },
});

/** A minor-unit integer as the major-unit number Pay1st expects: 149_97 → 149.97. */
export function majorUnits(minor) {
  // Dividing an integer by 100 gives the double nearest the decimal, which JSON.stringify
  // writes back as that decimal (14997 / 100 → 149.97), so no rounding noise reaches the wire.
  return minor / 100;
}

// Two active players and a suspended one (User Info refuses it; no new orders for it).
export const PLAYERS = Object.freeze({
  'player-1': { name: 'Ada', active: true },
  'player-2': { name: 'Kwame', active: true },
  'banned-1': { name: 'Mallory', active: false },
});
