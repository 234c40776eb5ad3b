"""Tests of the PyAirbyte example (the optional ``pyairbyte`` extra); skipped when PyAirbyte is not installed."""
