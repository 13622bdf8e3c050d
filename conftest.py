"""The tests' shared server fixtures, registered before any test module imports them
(a module importing ``tests.server_fixtures`` first would keep pytest from rewriting its
asserts)."""

pytest_plugins = ["tests.server_fixtures"]
