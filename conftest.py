"""Repository-wide pytest set-up: makes the Marketo emulator's fixtures available to every test."""

pytest_plugins = ["integration_tests.marketo_emulator.pytest_plugin"]
