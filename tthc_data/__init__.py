"""The project's data layer: every table but Rasa's conversations, in both runtimes.

- :mod:`tthc_data.engine`: one way to open the database (pool, SQLite pragmas), sessions;
- :mod:`tthc_data.tables`: every table, on one ``MetaData``;
- :mod:`tthc_data.migrate` and ``migrations/``: Alembic, run by ``tthc db upgrade``;
- :mod:`tthc_data.channels`: the channels' inbox, outbox, button choices and tokens;
- :mod:`tthc_data.staff`: what the bot records for staff (ratings, handoff tickets).

Written for SQLAlchemy 1.4 (Rasa's pin, ``.venv-rasa``) and 2.x (``.venv``) alike; the
migrations run in ``.venv`` only.
"""
