"""A local, stateful emulator of the Adobe Marketo Engage REST, Asset and Bulk Extract APIs.

Standard library only. See README.md beside this file.
"""
from .clock import FakeClock, RealClock
from .emulator import MarketoEmulator
from .faults import FaultRule
from .options import EmulatorOptions

__all__ = ["MarketoEmulator", "EmulatorOptions", "FakeClock", "RealClock", "FaultRule"]
