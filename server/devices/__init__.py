"""Head office enrols and revokes devices: ``/api/v1/devices``."""

from .controllers import DeviceController

__all__ = ["DeviceController"]
