"""Flask extensions, created here and bound to the app in ``create_app``."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from flask_babel import Babel
from flask_caching import Cache
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf import CSRFProtect
from sqlalchemy.engine import Engine

from college.db import Base, request_reads_only

_autocommit_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def autocommit_engine(engine: Engine) -> Engine:
    """The same engine and pool, each statement committed by itself: no BEGIN, no COMMIT.

    SQLAlchemy's ``isolation_level="AUTOCOMMIT"`` execution option; SQLite runs in the
    process, where a BEGIN costs no round trip, so its reads keep their transaction.
    """
    if engine.dialect.name == "sqlite":
        return engine
    found = _autocommit_engines.get(engine)
    if found is None:
        found = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


class BindableSession(Session):
    """A session that honours an explicit ``bind`` (used by tests to join a transaction),
    and reads in ``AUTOCOMMIT`` while its request only reads."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        if bind is None and self.bind is not None:
            return self.bind
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)
        if request_reads_only() and isinstance(engine, Engine):
            return autocommit_engine(engine)
        return engine


db = SQLAlchemy(model_class=Base, session_options={"class_": BindableSession})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
cache = Cache()
