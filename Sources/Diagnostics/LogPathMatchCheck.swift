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
        var matches: [String] = []
        var perPattern: [(String, JSONValue)] = []
        var unreadable: [String] = []
        var truncated = false
        for (pattern, result) in zip(patterns, facts.logExpansions) {
            switch result {
            case .success(let e):
                if e.matches.isEmpty { unmatched.append(pattern) }
                matches += e.matches
                truncated = truncated || e.truncated
                unreadable += e.unreadable
                perPattern.append((pattern, .int(Int64(e.matches.count))))
            case .failure(let err):
                bad.append(pattern)
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
        if !bad.isEmpty {
            return .fail(
                "路径通配符无效: \(Fmt.list(bad))", hint: "修正采集路径中的通配符（未闭合的 [ 或结尾的 \\）", evidence: evidence)
        }
        if !unmatched.isEmpty {
            if !unreadable.isEmpty {
                return .unknown(
                    "以下路径无匹配文件: \(Fmt.list(unmatched))（部分目录无权限读取: \(Fmt.list(Array(Set(unreadable)).sorted(), max: 3))）",
                    hint: "以 root 运行 bkdiag，或检查目录权限", evidence: evidence)
            }
            return .fail(
                "以下路径无匹配文件: \(Fmt.list(unmatched))",
                hint: "确认日志文件确实存在于该路径下；路径区分大小写，通配符只匹配单层目录", evidence: evidence)
        }
        return .pass("所有路径检查通过: \(Fmt.list(matches))", evidence: evidence)
    }
}
