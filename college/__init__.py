"""Recovery College: the core package and its application factory."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask.typing import ResponseReturnValue

from college.config import load_config

ROOT = Path(__file__).resolve().parent.parent


class College(Flask):
    """Flask, with each view run as one unit of work (``college.transactions``).

    What a view writes is committed when it returns, or rolled back when it raises; when
    the database is busy, the view runs again.
    """

    def dispatch_request(self) -> ResponseReturnValue:
        from college.transactions import run_view

        return run_view(super().dispatch_request)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Recovery College application."""
    app = College(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # Before any blueprint adds its routes, so every ``<int:...>`` is bounded and no text
    # part of a path carries a control character.
    from college.urls import BoundedIntConverter, PlainTextConverter

    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["default"] = PlainTextConverter
    app.url_map.converters["string"] = PlainTextConverter
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=app.config.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from college import (
        account_mail,
        auth,
        contact,
        i18n,
        page_cache,
        privacy,
        security,
        signals,
        templating,
        transactions,
    )
    from college.errors import register_error_handlers
    from college.extensions import csrf, db, mail, migrate

    signals.init_app(app)  # first: every package registers in it
    db.init_app(app)
    # First the kept answers: they are only ever given to reads, which neither the write
    # lock nor the CSRF check concern, and a calendar client's "unchanged?" should cost no
    # more than it must.
    page_cache.init_app(app)
    transactions.init_app(app)  # before any other hook, so the write lock comes before a read
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    contact.init_app(app)
    privacy.init_app(app)
    account_mail.init_app(app)
    register_error_handlers(app)

    from college import admin, cli, views
    from college.landing import add_landing_page
    from college.models import Role

    app.register_blueprint(views.bp)
    app.register_blueprint(views.auth_bp)
    app.register_blueprint(views.me_bp)
    app.register_blueprint(admin.bp)
    add_landing_page(app, Role.ADMIN, "admin.dashboard", priority=10)
    cli.init_app(app)

    # Domain packages plug themselves in; the core never imports them by name.
    for package in app.config["COLLEGE_PACKAGES"]:
        module = importlib.import_module(package)
        module.init_app(app)
    return app
