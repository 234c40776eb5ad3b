"""Tests of the Marketo emulator itself."""
