"""Benchmarks: the college under gunicorn next to a hello-world ceiling, driven by wrk."""
