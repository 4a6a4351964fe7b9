"""The project's services and the real servers they need (PostgreSQL, Redis, nginx), started
locally on free ports: used by the system tests and by the benchmarks, which never import
``tests``. Standard library and httpx only, so that both runtimes can import it."""
