import Foundation

/// Real Go executables for tests that read what a Go binary records of its build: a program built by
/// the Go toolchain on this machine (Scripts/deps.sh test installs it), with the linker flags a test
/// chooses. Test code only.
public enum GoPrograms {
    /// `go` on the PATH, or where Debian puts it; nil when not installed.
    public static var go: String? { ExecutableFiles.onPath(["go"], extraDirectories: ["/usr/lib/go/bin"]) }

    /// The Go release `go` builds with (`go1.19.8`).
    public static func goVersion() throws -> String {
        guard let go else { throw FakeHostError("go is not installed") }
        let r = try ProgramRun.run(go, ["env", "GOVERSION"], environment: environment(home: NSTemporaryDirectory()))
        guard r.status == 0 else { throw FakeHostError("go env: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A program that says "ready" (as the fake processes do) and sleeps until killed, with a
    /// `main.version` variable for `-ldflags -X` to set.
    public static let sleeper = """
        package main

        import (
        \t"fmt"
        \t"time"
        )

        var version = "0.0.0"

        func main() {
        \tfmt.Println("version " + version)
        \tfmt.Println("ready")
        \tfor {
        \t\ttime.Sleep(time.Hour)
        \t}
        }

        """

    /// Builds `source` into `output` with `ldflags` (e.g. `-X main.version=7.7.1148c4a`, `-s -w`): as a named
    /// file (its main package path `command-line-arguments`), or as the main package of a module named
    /// `module` (its path the module's, as the collector's Makefile builds it).
    public static func build(_ source: String, into output: String, ldflags: String, module: String? = nil) async throws {
        guard let go else { throw FakeHostError("go is not installed") }
        let dir = NSTemporaryDirectory() + "bkdiag-gobuild-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try source.write(toFile: dir + "/main.go", atomically: true, encoding: .utf8)
        var env = environment(home: dir)
        var target = dir + "/main.go"
        if let module {
            try "module \(module)\n\ngo 1.18\n".write(toFile: dir + "/go.mod", atomically: true, encoding: .utf8)
            env["GO111MODULE"] = "on"
            env["GOPROXY"] = "off"
            env["GOFLAGS"] = "-buildvcs=false"
            target = "."
        }
        let r = try await ProgramRun.run(
            go, ["build", "-ldflags", ldflags, "-o", output, target], environment: env, directory: dir, timeout: 300)
        guard r.status == 0 else { throw FakeHostError("go build: \(r.stdout)\(r.stderr)") }
    }

    private static func environment(home: String) -> [String: String] {
        ["GO111MODULE": "off", "GOCACHE": BuildProducts.directory + "/go-programs-cache", "HOME": home, "GOFLAGS": ""]
    }
}
