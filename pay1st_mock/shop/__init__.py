"""The Carry1st Shop: products and bundles, the User Info Webhook, purchases and the Summary
Webhook (pay1st-api.md §7), and the legacy payment link (§8)."""
