"""The PMO learning and CPD platform: the application shell and cross-cutting domains."""
