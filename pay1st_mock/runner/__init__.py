"""The scenario runner: load scenario files, run their steps against a partner, emit events.

Layers: ``model`` (files → scenarios) and ``templates`` are pure; ``actions`` do the HTTP of one
step; ``engine`` runs scenarios and yields ``events``; ``reporters`` render events. Nothing here
prints: the CLI and the pytest plugin choose the reporters.
"""
