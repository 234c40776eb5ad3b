"""Packaging for source-marketo: the connector package, its console scripts and its extras."""

from setuptools import find_packages, setup

MAIN_REQUIREMENTS = [
    "airbyte-cdk==7.39.1",
    "orjson==3.13.0",
    "requests==2.34.2",
    "tzdata==2026.6",
    "urllib3==2.8.0",  # >= 2.3: HTTPResponse.shutdown, which ends a download's reading thread at once (download.py)
]

TEST_REQUIREMENTS = [
    "pytest==9.2.0",
    "marketorestpython==0.5.25",
    "airbyte-connector-models==0.1.12",
]

# Optional: PyAirbyte (examples/pyairbyte_marketo.py and its test). Large (~430 MB), never a main requirement.
PYAIRBYTE_REQUIREMENTS = [
    "airbyte==0.71.3",
    "duckdb==1.4.3",
]

setup(
    name="source-marketo",
    version="0.1.0",
    description="Airbyte source connector for Adobe Marketo Engage: leads, activities and assets, via Bulk Extract.",
    author="source-marketo contributors",
    license="MIT",
    python_requires=">=3.11,<3.14",
    packages=find_packages(include=["source_marketo", "source_marketo.*"]),
    package_data={"source_marketo": ["manifest.yaml", "schemas/*.json"]},
    install_requires=MAIN_REQUIREMENTS,
    extras_require={"tests": TEST_REQUIREMENTS, "dev": TEST_REQUIREMENTS, "pyairbyte": PYAIRBYTE_REQUIREMENTS},
    entry_points={"console_scripts": ["source-marketo=source_marketo.run:run", "source-marketo-catalog=source_marketo.catalog:run"]},
)
