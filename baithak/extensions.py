"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for every Baithak model."""


# Committed objects keep their values: a stored message is turned into its
# payload right after the commit, without reloading it row by row.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
socketio = SocketIO()
csrf = CSRFProtect()
# One limiter per process, like `socketio`: the routes' limits are declared on
# it at import; init_app() gives it the app's storage (baithak.formlimits).
limiter = Limiter(key_func=get_remote_address)
