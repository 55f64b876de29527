"""Rules and state changes: tokens, partners, payments, fulfilment, the catalogue.

Nothing here knows about HTTP requests; errors are raised as ``Pay1stError`` and rendered by the
web layer.
"""
