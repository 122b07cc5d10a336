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

    /// The exit status of a daemon that cannot start for this error: 78 (`EX_CONFIG`, sysexits.h) for a
    /// config file or value it refuses, which no restart can mend (the unit says
    /// `RestartPreventExitStatus=78`, so systemd does not restart it every few seconds for ever); 1 for the
    /// rest (a socket in use, another daemon on the state directory), which a later restart may find gone.
    public var exitStatus: Int32 {
        switch code {
        case .configFile, .configValue: 78
        default: 1
        }
    }
}
