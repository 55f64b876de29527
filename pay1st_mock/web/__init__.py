"""HTTP surfaces: blueprints parse requests, call the domain, and serialise the answer."""
