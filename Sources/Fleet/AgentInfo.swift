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
}
