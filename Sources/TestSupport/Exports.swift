// The bolt writer is part of what the tests build hosts with.
@_exported import BoltWriter
