"""WSGI entry point: ``gunicorn wsgi:app``."""

from college import create_app

app = create_app()
