import HostProbe
