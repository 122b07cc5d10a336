/// One line of the log platform's check record: `[info|warning|error] [agent checker] <text>`.
public struct AgentInfo: Sendable, Equatable {
    public enum Level: String, Sendable { case info, warning, error }

    public var level: Level
    public var text: String

    public init(_ level: Level, _ text: String) {
        self.level = level
        self.text = text
    }

    /// The line as the platform's UI shows it.
    public var line: String { "[\(level.rawValue)] [agent checker] \(text)" }

    /// Appends `line` and a newline as UTF-8.
    public func write(to out: inout [UInt8]) {
        switch level {
        case .info: out.append(contentsOf: "[info] [agent checker] ".utf8)
        case .warning: out.append(contentsOf: "[warning] [agent checker] ".utf8)
        case .error: out.append(contentsOf: "[error] [agent checker] ".utf8)
        }
        out.append(contentsOf: text.utf8)
        out.append(0x0A)
    }
}
