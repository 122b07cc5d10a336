import Foundation
import TestSupport

/// Where the repository and the built debug binaries are, found without building anything.
enum Paths {
    /// The repository top: the first directory above this file that holds `Package.swift`.
    static let repoTop: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir.deleteLastPathComponent()
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    /// The build products directory: the test bundle sits beside `bkdiag` (`.build/<triple>/debug`).
    static let binDir: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    static func script(_ name: String) -> String { repoTop.appendingPathComponent("Scripts/\(name)").path }

    /// True when the debug `bkdiag` was built beside the tests.
    static var hasDebugBinary: Bool { FileManager.default.isExecutableFile(atPath: binDir.appendingPathComponent("bkdiag").path) }
}

/// True when `name` is an executable on PATH (tests that need dpkg-deb or systemd-analyze check first).
func toolExists(_ name: String) -> Bool { ExecutableFiles.onPath([name]) != nil }

/// A Python interpreter of this major version that really runs (a pyenv shim without that version does
/// not) and, when asked, imports `module`: the system's first, then PATH, then pyenv's installed versions
/// (Debian 12 has no python2 package).
func pythonInterpreter(major: Int, importing module: String? = nil) -> String? {
    let env = ProcessInfo.processInfo.environment
    var candidates = ["/usr/bin/python\(major)"]
    let names = major == 2 ? ["python2.7", "python2"] : ["python3"]
    for dir in (env["PATH"] ?? "").split(separator: ":") { candidates += names.map { "\(dir)/\($0)" } }
    let pyenv = (env["PYENV_ROOT"] ?? (env["HOME"] ?? "/root") + "/.pyenv") + "/versions"
    for version in ((try? FileManager.default.contentsOfDirectory(atPath: pyenv)) ?? []).sorted() where version.hasPrefix("\(major).") {
        candidates += names.map { "\(pyenv)/\(version)/bin/\($0)" }
    }
    let probe = "import sys\n" + (module.map { "import \($0)\n" } ?? "") + "sys.exit(0 if sys.version_info[0] == \(major) else 1)"
    return candidates.first { path in
        FileManager.default.isExecutableFile(atPath: path) && (try? run(path, ["-c", probe]).status) == 0
    }
}

/// The outcome of one command.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

/// Runs `executable` with `arguments`, the current environment plus `environment`, and waits for it
/// (at most 5 minutes: a package build or install that hangs fails its test). Output goes through
/// files, so a child that keeps running (a daemon) cannot hold a pipe open.
func run(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:], in directory: URL? = nil) throws
    -> RunResult
{
    let r = try ProgramRun.run(executable, arguments, environment: environment, directory: directory?.path, timeout: 300)
    return RunResult(status: r.status, stdout: r.stdout, stderr: r.stderr + (r.timedOut ? "\n(killed after 300 s)" : ""))
}

/// A temporary directory, removed when the value goes away.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("bkdiag-pkg-\(UUID().uuidString)").resolvingSymlinksInPath()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }
}

/// Writes `text` to `path`, creating directories, and makes it executable when asked.
func write(_ text: String, to path: String, executable: Bool = false) throws {
    try FileManager.default.createDirectory(
        atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
    if executable {
        try ExecutableFiles.write(Data(text.utf8), to: path)
    } else {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

func readText(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

func isSymlink(_ path: String) -> Bool { (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil }

/// Parses one line as a JSON object.
func jsonObject(_ line: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
}

/// Polls `condition` for up to `seconds`.
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// True when a process with this pid exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: close)...].split(separator: " ").first
    return state != "Z" && state != "X"
}

/// A stand-in for bkdiag: `--version` and `--help` answer at once; `daemon ...` records its arguments in
/// $FAKE_ARGS, appends "hup" to $FAKE_HUP on SIGHUP and exits on SIGTERM; anything else prints one
/// JSON line naming its arguments, like a report.
let fakeBkdiag = #"""
    #!/bin/sh
    case "$1" in
        --version) echo "0.1.0 (fake)"; exit 0 ;;
        --help) printf 'OVERVIEW: fake bkdiag\n\nSUBCOMMANDS:\n  check  Run the checks\n  daemon  Run periodically\n'; exit 0 ;;
    esac
    if [ "$1" = daemon ]; then
        [ "$2" = --help ] && { echo "daemon help"; exit 0; }
        echo "$@" > "${FAKE_ARGS:-/dev/null}"
        trap 'echo hup >> "${FAKE_HUP:-/dev/null}"' HUP
        trap 'exit 0' TERM
        while :; do sleep 1 & wait $!; done
    fi
    [ "$2" = --help ] && { echo "sub help"; exit 0; }
    printf '{"status": true, "data": [], "argc": %d, "args": [' "$#"
    sep=""
    for a in "$@"; do printf '%s"%s"' "$sep" "$a"; sep=", "; done
    printf ']}\n'
    """#
