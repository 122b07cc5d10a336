import ArgumentParser
import Report

/// The root command: a bare `bkdiag` runs the checks once.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
struct BKDiag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bkdiag",
        abstract: "Tells why BlueKing log collection is broken on this host.",
        version: "\(BuildInfo.version) (\(BuildInfo.commit))",
        subcommands: [CheckCommand.self, DaemonCommand.self, StatusCommand.self],
        defaultSubcommand: CheckCommand.self
    )
}
