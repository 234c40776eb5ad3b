"""Airbyte's standard connector tests (the CDK's ``SourceTestSuiteBase``) from acceptance-test-config.yml,
in-process against the acceptance emulator.

They run, per config listed in the file: spec (+ lint, secrets marked) and config-matches-spec (``spec``),
check with the declared status and no secret in the output (``connection``), the catalog checks
(``discovery``), a full-refresh read of every discovered stream where each stream returns records that
match its schema, and a read with a bad catalog that must fail (``basic_read``, ``full_refresh``).

Wiring, instead of the CDK's pytest plugin:
* ``pytest_generate_tests`` below parametrizes ``scenario`` from the file, indirectly, and the
  ``scenario`` fixture points the scenario's config at the running emulator (``config_dict``), so
  every command gets the rendered config both as the source's constructor argument and as its file;
* ``create_connector`` builds ``SourceMarketo`` with that config and the acceptance clock;
* the suite is handed the file without the keys only our runner reads (``test_acceptance_runner.py``),
  which it would otherwise reject;
* the Docker image tests are skipped: they build and run the image, which ``integration_tests/docker``
  covers; here everything runs in-process.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest
from boltons.typeutils import classproperty

from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from integration_tests.acceptance.environment import ROOT, AnchoredClock, load_acceptance_test_config, render
from integration_tests.acceptance.runner import CDK_KEYS, OUR_KEYS
from source_marketo.source import SourceMarketo

DOCKER_SKIP = pytest.mark.skip(reason="Docker image tests are not run from acceptance-test-config.yml: integration_tests/docker tests the image")


def for_cdk(config: Dict[str, Any]) -> Dict[str, Any]:
    """acceptance-test-config.yml without the keys our runner reads and the CDK's suites reject."""
    stripped = {**config, "acceptance_tests": {}}
    for section, declared in (config.get("acceptance_tests") or {}).items():
        ours_only = OUR_KEYS.get(section, set()) - CDK_KEYS.get(section, set())
        if isinstance(declared, dict) and isinstance(declared.get("tests"), list):
            declared = {**declared, "tests": [
                {key: value for key, value in entry.items() if key not in ours_only} if isinstance(entry, dict) else entry
                for entry in declared["tests"]]}
        stripped["acceptance_tests"][section] = declared
    return stripped


class TestSourceMarketo(SourceTestSuiteBase):
    connector = SourceMarketo

    @classmethod
    def get_connector_root_dir(cls):
        return ROOT

    @classproperty
    def connector_name(cls) -> str:
        return "source-marketo"

    @classproperty
    def acceptance_test_config(cls) -> Dict[str, Any]:
        return for_cdk(load_acceptance_test_config())

    @classmethod
    def create_connector(cls, scenario: ConnectorTestScenario | None) -> SourceMarketo:
        config = scenario.get_config_dict(connector_root=ROOT, empty_if_missing=True) if scenario else {}
        return SourceMarketo(config=config or None, clock=AnchoredClock())

    @DOCKER_SKIP
    def test_docker_image_build_and_spec(self) -> None: ...

    @DOCKER_SKIP
    def test_docker_image_spec_backward_compatibility(self) -> None: ...

    @DOCKER_SKIP
    def test_docker_image_build_and_check(self) -> None: ...

    @DOCKER_SKIP
    def test_docker_image_build_and_config_matches_spec(self) -> None: ...

    @DOCKER_SKIP
    def test_docker_image_build_and_discover(self) -> None: ...

    @DOCKER_SKIP
    def test_docker_image_build_and_read(self) -> None: ...


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.cls is not None and issubclass(metafunc.cls, SourceTestSuiteBase) and "scenario" in metafunc.fixturenames:
        scenarios = metafunc.cls.get_scenarios()
        metafunc.parametrize("scenario", scenarios, ids=[scenario.id for scenario in scenarios], indirect=True)


@pytest.fixture
def scenario(request: pytest.FixtureRequest, acceptance_emulator) -> ConnectorTestScenario:
    """The scenario of acceptance-test-config.yml, its config pointed at the running emulator."""
    declared: ConnectorTestScenario = request.param
    config = declared.get_config_dict(connector_root=ROOT, empty_if_missing=True)
    return declared.model_copy(update={"config_dict": render(config, acceptance_emulator.base_url)})
