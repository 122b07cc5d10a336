// `Sys`, `ProbeError`, `FileStat`, `FileReader`, `PathBytes` and `MonotonicClock` live in SystemLayer;
// every user of HostProbe sees them as before.
@_exported import SystemLayer
