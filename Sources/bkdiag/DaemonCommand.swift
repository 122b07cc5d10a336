import ArgumentParser

/// `bkdiag daemon`: the long-running form (owned by the daemon work, issue 3).
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Run the checks periodically and serve the latest report.")
    func run() async throws { try await execute() }
    func execute() async throws {
        throw ValidationError("daemon is not built yet")
    }
}
