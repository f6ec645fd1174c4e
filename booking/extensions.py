"""Every Flask extension singleton, created once and bound in the app factory."""

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

from models import db

babel = Babel()
bootstrap = Bootstrap5()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
login_manager = LoginManager()
migrate = Migrate()
talisman = Talisman()

__all__ = ["babel", "bootstrap", "csrf", "db", "limiter", "login_manager", "migrate", "talisman"]
