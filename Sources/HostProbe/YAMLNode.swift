import CYAML

/// A YAML document as a tree, read with libyaml (the C parser Yams wraps) without Foundation.
public indirect enum YAMLNode: Sendable, Equatable {
    case scalar(String, quoted: Bool)
    case sequence([YAMLNode])
    /// Keys keep document order; keys are scalars as text.
    case mapping([(String, YAMLNode)])
    case null

    public static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case let (.scalar(a, qa), .scalar(b, qb)): return a == b && qa == qb
        case let (.sequence(a), .sequence(b)): return a == b
        case let (.mapping(a), .mapping(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.null, .null): return true
        default: return false
        }
    }

    /// Member of a mapping (last one wins, as in libbeat's config loader).
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let m) = self else { return nil }
        return m.last(where: { $0.0 == key })?.1
    }

    /// Looks a dotted path up the way libbeat does: `a.b.c` may be nested maps, a flat key
    /// `a.b.c`, or any mix (`a.b: {c: ...}`).
    public func lookup(_ dotted: String) -> YAMLNode? {
        let parts = dotted.split(separator: ".").map(String.init)
        return lookup(parts[...])
    }

    private func lookup(_ parts: ArraySlice<String>) -> YAMLNode? {
        guard let first = parts.first else { return self }
        guard case .mapping(let m) = self else { return nil }
        // Longest flat key first.
        for n in stride(from: parts.count, through: 1, by: -1) {
            let key = parts.prefix(n).joined(separator: ".")
            if let v = m.last(where: { $0.0 == key })?.1 {
                if n == parts.count { return v }
                if let found = v.lookup(parts.dropFirst(n)) { return found }
            }
        }
        _ = first
        return nil
    }

    public var string: String? {
        if case .scalar(let s, _) = self { return s }
        return nil
    }

    public var array: [YAMLNode]? {
        if case .sequence(let a) = self { return a }
        return nil
    }

    /// Integer value of a plain scalar (decimal, or 0x hex).
    public var int: Int64? {
        guard case .scalar(let s, let quoted) = self, !quoted else { return nil }
        if s.hasPrefix("0x"), let v = Int64(s.dropFirst(2), radix: 16) { return v }
        return Int64(s.replacingUnderscores())
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

/// A YAML syntax error with its position (1-based line and column).
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String
    public var line: Int
    public var column: Int
    public var description: String { "YAML error at line \(line), column \(column): \(problem)" }
}

extension YAMLNode {
    /// Parses the first document of `text`. Binary junk, tabs for indentation, unclosed quotes and
    /// the like are errors with a position. Aliases resolve to their anchors; nesting is bounded.
    public static func parse(_ text: String, maxDepth: Int = 64, maxNodes: Int = 1_000_000) throws(YAMLError) -> YAMLNode {
        var bytes = Array(text.utf8)
        if bytes.contains(0) { throw YAMLError(problem: "NUL byte in text (binary file?)", line: 1, column: 1) }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError(problem: "parser init failed", line: 0, column: 0) }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeMutableBufferPointer { buf throws(YAMLError) -> YAMLNode in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var builder = Builder(maxDepth: maxDepth, maxNodes: maxNodes)
            return try builder.run(&parser)
        }
    }

    private struct Builder {
        let maxDepth: Int
        let maxNodes: Int
        var nodes = 0
        var anchors: [String: YAMLNode] = [:]

        enum Frame {
            case seq([YAMLNode], anchor: String?)
            case map([(String, YAMLNode)], pendingKey: String?, anchor: String?)
        }

        mutating func run(_ parser: inout yaml_parser_t) throws(YAMLError) -> YAMLNode {
            var stack: [Frame] = []
            var root: YAMLNode?
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
                    throw YAMLError(
                        problem: problem, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
                }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                func err(_ p: String) -> YAMLError { YAMLError(problem: p, line: Int(mark.line) + 1, column: Int(mark.column) + 1) }
                var produced: YAMLNode?
                var producedAnchor: String?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return root ?? .null
                case YAML_DOCUMENT_END_EVENT:
                    return root ?? .null
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    let value = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                    let quoted = s.style == YAML_SINGLE_QUOTED_SCALAR_STYLE || s.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                    if !quoted && s.plain_implicit == 1 && (value.isEmpty || value == "~" || value == "null" || value == "Null" || value == "NULL") {
                        produced = .null
                    } else {
                        produced = .scalar(value, quoted: quoted || s.style == YAML_LITERAL_SCALAR_STYLE || s.style == YAML_FOLDED_SCALAR_STYLE)
                    }
                    producedAnchor = s.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) } ?? ""
                    guard let v = anchors[name] else { throw err("unknown alias *\(name)") }
                    produced = v
                case YAML_SEQUENCE_START_EVENT:
                    guard stack.count < maxDepth else { throw err("nesting deeper than \(maxDepth)") }
                    let a = event.data.sequence_start.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                    stack.append(.seq([], anchor: a))
                case YAML_MAPPING_START_EVENT:
                    guard stack.count < maxDepth else { throw err("nesting deeper than \(maxDepth)") }
                    let a = event.data.mapping_start.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                    stack.append(.map([], pendingKey: nil, anchor: a))
                case YAML_SEQUENCE_END_EVENT:
                    guard case .seq(let items, let a)? = stack.popLast() else { throw err("unbalanced sequence") }
                    produced = .sequence(items)
                    producedAnchor = a
                case YAML_MAPPING_END_EVENT:
                    guard case .map(let members, _, let a)? = stack.popLast() else { throw err("unbalanced mapping") }
                    produced = .mapping(members)
                    producedAnchor = a
                default:
                    break
                }
                guard let node = produced else { continue }
                nodes += 1
                if nodes > maxNodes { throw err("more than \(maxNodes) nodes") }
                if let producedAnchor { anchors[producedAnchor] = node }
                switch stack.popLast() {
                case nil:
                    root = node
                case .seq(var items, let a):
                    items.append(node)
                    stack.append(.seq(items, anchor: a))
                case .map(var members, let key, let a):
                    if let key {
                        // `<<: *base` merges the base mapping's members.
                        if key == "<<", case .mapping(let base) = node {
                            // Merged members count as nodes: aliases merged twice per level double a mapping per line.
                            nodes += base.count
                            if nodes > maxNodes { throw err("more than \(maxNodes) nodes") }
                            members.append(contentsOf: base)
                        } else {
                            members.append((key, node))
                        }
                        stack.append(.map(members, pendingKey: nil, anchor: a))
                    } else {
                        let k: String
                        switch node {
                        case .scalar(let s, _): k = s
                        case .null: k = ""
                        default: throw err("a mapping key must be a scalar")
                        }
                        stack.append(.map(members, pendingKey: k, anchor: a))
                    }
                }
            }
        }
    }
}
