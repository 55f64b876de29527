"""Short reliability checks over real sockets: a soak under load and a SIGKILL mid-load (the long
versions, with memory and growth, are ``python bench/run.py --only reliability``)."""
