"""steadydb's Django database engine: django.db.backends.mysql plus two guards.

Named in the rendered settings (ENGINE "<project>.steadydb_app.backend") unless the
role's ``engine: django`` says otherwise. See base.py.
"""
