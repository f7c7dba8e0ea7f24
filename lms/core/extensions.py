"""Extensions are created here and initialised in lms.app.create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from lms.core.after_commit import HookedSession
from lms.core.db import Base

db = SQLAlchemy(model_class=Base, session_options={"class_": HookedSession})
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
