import ArgumentParser

/// `bkdiag status`: ask the daemon for its latest report (owned by the daemon work, issue 3).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print the daemon's latest report.")
    func run() async throws { try await execute() }
    func execute() async throws {
        throw ValidationError("status is not built yet")
    }
}
