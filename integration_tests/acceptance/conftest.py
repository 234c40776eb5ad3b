"""The acceptance tests' emulator: started once for the session (its data never changes: no ticks)."""

import pytest

from integration_tests.acceptance.environment import start_emulator


@pytest.fixture(scope="session")
def acceptance_emulator():
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


def pytest_configure(config):
    # The CDK's standard suite marks its Docker tests so; its pytest plugin, which registers the mark, is
    # not used here (test_standard_suite.py says why).
    config.addinivalue_line("markers", "image_tests: the CDK's Docker image tests (skipped here)")
