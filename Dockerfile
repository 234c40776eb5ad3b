# Airbyte source connector for Adobe Marketo Engage.
#
# Production builds pass nothing and get Airbyte's Python connector base image, pinned by tag and
# digest; it must stay equal to metadata.yaml's data.connectorBuildOptions.baseImage
# (unit_tests/test_metadata.py checks it). Builds on machines without a registry pass a local
# stand-in: tools/docker/build-image.sh does `--build-arg BASE_IMAGE=<local tag>`.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
FROM ${BASE_IMAGE}

LABEL io.airbyte.name=airbyte/source-marketo
LABEL io.airbyte.version=0.1.0

WORKDIR /airbyte/integration_code

# The dependencies first, in a layer of their own (a stand-in package with setup.py's
# requirements): a change to the connector's code alone rebuilds from the COPY below in seconds.
COPY setup.py ./
RUN mkdir source_marketo \
    && touch source_marketo/__init__.py \
    && pip install --no-cache-dir . \
    && pip uninstall --yes source-marketo \
    && rm -rf source_marketo build ./*.egg-info

# Then the connector itself, from the build context (.dockerignore keeps that to the package).
COPY main.py ./
COPY source_marketo ./source_marketo
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info \
    && source-marketo spec > /dev/null

ENV AIRBYTE_ENTRYPOINT="source-marketo"
ENTRYPOINT ["source-marketo"]

# The base's user airbyte, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
