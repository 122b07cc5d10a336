import HostProbe
import Report

/// log_path/logpath_match: every comma-separated pattern matches at least one file (no shell).
struct LogPathMatchCheck: Check {
    let module = CheckModule.logPath
    let item = "logpath_match"

    func run(_ facts: HostFacts) -> Finding {
        let patterns = facts.options.logPaths
        if patterns.isEmpty {
            return .fail("日志采集路径为空", hint: "采集项未配置日志路径：在日志平台的采集配置中填写至少一个路径")
        }
        var unmatched: [String] = []
        var bad: [String] = []
        var multipleDoubleStar = false
        var matches: [String] = []
        var perPattern: [(String, JSONValue)] = []
        var unreadable: [String] = []
        var noFiles: [String] = []
        var truncated = false
        for (pattern, result) in zip(patterns, facts.logExpansions) {
            switch result {
            case .success(let e):
                // The collector follows a symlink and skips what is not a file: directories (it does not
                // recurse) and dangling links (rotated away). A match that cannot be stat'ed for another
                // reason (permission) is kept: it may well be a file.
                let files = e.matches.filter { m in
                    do throws(ProbeError) { return try !Sys.stat(m).isDirectory } catch { return !error.isMissing }
                }
                if files.isEmpty { unmatched.append(pattern) }
                if files.isEmpty && !e.matches.isEmpty { noFiles.append(pattern) }
                matches += files
                truncated = truncated || e.truncated
                unreadable += e.unreadable
                perPattern.append((pattern, .int(Int64(files.count))))
            case .failure(let err):
                bad.append(pattern)
                multipleDoubleStar = multipleDoubleStar || err.reason == .multipleDoubleStar
                perPattern.append((pattern, .string(err.description)))
            }
        }
        var evidence: [(String, JSONValue)] = [
            ("patterns", .object(perPattern)),
            ("matched", .int(Int64(matches.count))),
            ("first_matches", JSONValue(Array(matches.prefix(10)))),
        ]
        if truncated { evidence.append(("truncated", .bool(true))) }
        if !unreadable.isEmpty { evidence.append(("unreadable_dirs", JSONValue(Array(Set(unreadable)).sorted()))) }
        if !noFiles.isEmpty { evidence.append(("matched_no_files", JSONValue(noFiles))) }
        if !bad.isEmpty {
            return .fail(
                "路径通配符无效: \(Fmt.list(bad))",
                hint: multipleDoubleStar
                    ? "采集器只允许路径中出现一个 ** 层级（最多代表 \(Glob.recursiveDepth) 层目录），含多个 ** 的路径会被采集器拒绝：请只保留一个"
                    : "修正采集路径中的通配符（未闭合的 [ 或结尾的 \\）",
                evidence: evidence)
        }
        if !unmatched.isEmpty {
            if !unreadable.isEmpty {
                return .unknown(
                    "以下路径无匹配文件: \(Fmt.list(unmatched))（部分目录无权限读取: \(Fmt.list(Array(Set(unreadable)).sorted(), max: 3))）",
                    hint: "以 root 运行 bkdiag，或检查目录权限", evidence: evidence)
            }
            return .fail(
                "以下路径无匹配文件: \(Fmt.list(unmatched))",
                hint: noFiles.isEmpty
                    ? "确认日志文件确实存在于该路径下；路径区分大小写，* 只匹配单层目录，** 最多匹配 \(Glob.recursiveDepth) 层"
                    : "路径只匹配到目录或失效的软链接（\(Fmt.list(noFiles, max: 3))），采集器不会递归目录：请写到文件，如 <目录>/*.log",
                evidence: evidence)
        }
        return .pass("所有路径检查通过: \(Fmt.list(matches))", evidence: evidence)
    }
}
