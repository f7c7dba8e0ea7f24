"""Users, roles, login and logout, passwords and the access decorators."""
