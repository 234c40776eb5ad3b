"""Tests of the connector's Docker image (need a Docker engine: see tools/docker/)."""
