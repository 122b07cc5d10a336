/// An error of the daemon: a code for programs and a sentence for people that names the path and the fix.
public struct DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for programs and tests.
    public enum Code: String, Sendable {
        case configFile = "config_file"
        case configValue = "config_value"
        case socket
        case stateDirectory = "state_directory"
        case history
        case noDaemon = "no_daemon"
        /// The daemon's socket exists but this user may not connect to it.
        case permission
        case protocolError = "protocol"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
