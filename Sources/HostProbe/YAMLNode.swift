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
    /// The text went past a bound of this reader (nesting depth, node count), not of YAML or of the
    /// collector's parser (go-yaml takes 10,000 levels): the document is not judged, not refused.
    public var isReaderLimit = false
    /// Line 0: the file itself is the problem (not a regular file), not a place in it.
    public var description: String { line == 0 ? problem : "YAML error at line \(line), column \(column): \(problem)" }

    /// A config that is no regular file (a FIFO, a device): the collector's loader would block on it or
    /// read nothing a config can be, whatever bytes a non-blocking read happens to get.
    public static func notRegular(_ kind: String) -> YAMLError {
        YAMLError(
            problem: "is a \(kind), not a regular file (the collector cannot load a config from it)", line: 0, column: 0,
            isUnloadableFile: true)
    }

    /// The path holds no file a config can be loaded from (`notRegular`, `symlinkLoop`, `refusedPermissions`): not a
    /// text that is not YAML.
    public var isUnloadableFile = false
    /// The collector refuses the file for its owner or mode before reading it (`refusedPermissions`).
    public var isPermissionRefusal = false

    /// Keys of one mapping that the collector's config loader cannot both set (`UcfgDottedKeys`, `why`).
    public static func keyClash(_ why: String) -> YAMLError {
        YAMLError(problem: why, line: 0, column: 0, isKeyClash: true)
    }
    /// Made by `keyClash`.
    public var isKeyClash = false

    /// A config the collector refuses for its owner or mode (libbeat's strict permission check, `why`), whatever
    /// it holds.
    public static func refusedPermissions(_ why: String) -> YAMLError {
        YAMLError(problem: why, line: 0, column: 0, isUnloadableFile: true, isPermissionRefusal: true)
    }

    /// A config whose path is a symlink loop (ELOOP: a link to itself, links to each other): no process can
    /// open it, the collector neither; a broken config, not one bkdiag was kept from reading.
    public static let symlinkLoop = YAMLError(
        problem: "is a symlink loop (Too many levels of symbolic links): the collector cannot load a config from it", line: 0, column: 0,
        isUnloadableFile: true)
}

extension YAMLNode {
    /// Parses the first document of `text` (see `parse(bytes:)`).
    public static func parse(
        _ text: String, maxDepth: Int = 64, maxNodes: Int = 1_000_000, textKeysOnly: Bool = false
    ) throws(YAMLError) -> YAMLNode {
        try parse(bytes: PathBytes.bytes(of: text), maxDepth: maxDepth, maxNodes: maxNodes, textKeysOnly: textKeysOnly)
    }

    /// Parses the first document of a file's bytes and refuses what the collector's parser (go-yaml v2)
    /// refuses: bytes that are not UTF-8 anywhere the reader reaches (a GBK comment), control
    /// characters, syntax errors, a merge (`<<`) of anything but maps, and excessive aliasing (see
    /// `GoYAMLAliasBudget`). Binary junk, tabs for indentation, unclosed quotes and the like are errors
    /// with a position. Aliases resolve to their anchors; nesting is bounded.
    ///
    /// With `textKeysOnly` (the collector's configs), a mapping key that go-yaml v2 reads as anything but
    /// text — a plain `on`, `yes`, `n`, `null`, `~`, `10086`, `1.5`, an empty key — is refused too: the
    /// collector's config loader (go-ucfg) takes only text keys and skips the whole file.
    public static func parse(
        bytes input: [UInt8], maxDepth: Int = 64, maxNodes: Int = 1_000_000, textKeysOnly: Bool = false
    ) throws(YAMLError) -> YAMLNode {
        var bytes = input
        if bytes.contains(0) { throw YAMLError(problem: "NUL byte in text (binary file?)", line: 1, column: 1) }
        // Inside double quotes go-yaml v2 reads `\'` as a `'`, where libyaml stops with "found unknown escape
        // character": each one libyaml stops at is written `\x27`, the same character, and the text read again.
        // At most 32 times: each is a whole parse again (a 4 MiB config full of them would take minutes); past
        // that, a bound of this reader, so the document is not judged.
        var requoted = 0
        while true {
            do {
                return try parseOnce(bytes, maxDepth: maxDepth, maxNodes: maxNodes, textKeysOnly: textKeysOnly)
            } catch {
                guard error.problem == unknownEscape,
                    let at = TextPositions(bytes).offset(line: error.line, column: error.column),
                    at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "'")
                else { throw error }
                guard requoted < 32 else {
                    var bound = error
                    bound.problem = "more than 32 \\' escapes in double quotes (go-yaml reads each as a quote; bkdiag reads at most 32)"
                    bound.isReaderLimit = true
                    throw bound
                }
                bytes.replaceSubrange(at...(at + 1), with: Array(#"\x27"#.utf8))
                requoted += 1
            }
        }
    }

    /// libyaml's and go-yaml's words for an escape neither takes.
    static let unknownEscape = "found unknown escape character"

    private static func parseOnce(
        _ input: [UInt8], maxDepth: Int, maxNodes: Int, textKeysOnly: Bool
    ) throws(YAMLError) -> YAMLNode {
        var bytes = input
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError(problem: "parser init failed", line: 0, column: 0) }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeMutableBufferPointer { buf throws(YAMLError) -> YAMLNode in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            // Positions are counted only for a text with a `\/` somewhere.
            let slash = zip(input, input.dropFirst()).contains { $0 == UInt8(ascii: "\\") && $1 == UInt8(ascii: "/") }
            var builder = Builder(
                maxDepth: maxDepth, maxNodes: maxNodes, textKeysOnly: textKeysOnly, text: input,
                positions: slash ? TextPositions(input) : nil)
            let root = try builder.run(&parser)
            if let at = GoYAMLAliasBudget.exceeded(builder.shapes, root: builder.rootID) {
                throw YAMLError(problem: "document contains excessive aliasing (go-yaml v2 refuses it)", line: at.line, column: at.column)
            }
            return root
        }
    }

    /// The shape of a parsed node for go-yaml's alias accounting: aliases kept as references.
    struct Shape {
        enum Kind { case scalar, sequence, mapping, alias }
        var kind: Kind
        /// Children in document order (a mapping's keys and values alternate); the alias's target.
        var children: [Int32]
        /// A plain `<<` key.
        var isMergeKey = false
        /// What go-yaml v2 reads a plain scalar as when that is not text ("a boolean", "a number", "null").
        var goKind: String? = nil
        var line: Int
        var column: Int
    }

    private struct Builder {
        let maxDepth: Int
        let maxNodes: Int
        let textKeysOnly: Bool
        /// The text parsed, for what go-yaml refuses in a double-quoted scalar that libyaml takes.
        let text: [UInt8]
        let positions: TextPositions?
        var nodes = 0
        var anchors: [String: (node: YAMLNode, id: Int32)] = [:]
        var shapes: [Shape] = []
        var rootID: Int32 = -1

        enum Frame {
            case seq([YAMLNode], anchor: String?)
            case map([(String, YAMLNode)], pendingKey: String?, anchor: String?)
        }

        /// Where a double-quoted scalar between two marks holds `\/`: libyaml reads it as `/` (YAML 1.2), go-yaml v2
        /// refuses it (an unknown escape). Nil when it holds none, or the marks do not land on the scalar's quotes.
        func slashEscape(from start: yaml_mark_t, to end: yaml_mark_t) -> (line: Int, column: Int)? {
            guard let positions, let a = positions.offset(line: Int(start.line) + 1, column: Int(start.column) + 1),
                let b = positions.offset(line: Int(end.line) + 1, column: Int(end.column) + 1),
                a < b, b <= text.count, text[a] == UInt8(ascii: "\""), text[b - 1] == UInt8(ascii: "\"")
            else { return nil }
            var i = a + 1
            while i < b - 1 {
                guard text[i] == UInt8(ascii: "\\") else {
                    i += 1
                    continue
                }
                if text[i + 1] == UInt8(ascii: "/") { return positions.place(of: i) }
                i += 2
            }
            return nil
        }

        mutating func run(_ parser: inout yaml_parser_t) throws(YAMLError) -> YAMLNode {
            var stack: [Frame] = []
            // The shape ids of each open container's children, and where it started.
            var childIDs: [[Int32]] = []
            var starts: [(Int, Int)] = []
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
                let line = Int(mark.line) + 1, column = Int(mark.column) + 1
                func err(_ p: String) -> YAMLError { YAMLError(problem: p, line: line, column: column) }
                func limit(_ p: String) -> YAMLError {
                    var e = err(p)
                    e.isReaderLimit = true
                    return e
                }
                var produced: YAMLNode?
                var producedAnchor: String?
                var shape: Shape?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return root ?? .null
                case YAML_DOCUMENT_END_EVENT:
                    return root ?? .null
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    if s.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE, let slash = slashEscape(from: event.start_mark, to: event.end_mark) {
                        throw YAMLError(problem: YAMLNode.unknownEscape, line: slash.line, column: slash.column)
                    }
                    let value = PathBytes.string(UnsafeBufferPointer(start: s.value, count: Int(s.length)))
                    let quoted = s.style == YAML_SINGLE_QUOTED_SCALAR_STYLE || s.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                    if !quoted && s.plain_implicit == 1
                        && (value.isEmpty || value == "~" || value == "null" || value == "Null" || value == "NULL")
                    {
                        produced = .null
                    } else {
                        produced = .scalar(
                            value, quoted: quoted || s.style == YAML_LITERAL_SCALAR_STYLE || s.style == YAML_FOLDED_SCALAR_STYLE)
                    }
                    producedAnchor = s.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                    let plain = s.style == YAML_PLAIN_SCALAR_STYLE && s.plain_implicit == 1
                    shape = Shape(
                        kind: .scalar, children: [], isMergeKey: value == "<<" && s.plain_implicit == 1,
                        goKind: plain ? GoYAMLPlainScalar.nonTextKind(value) : nil, line: line, column: column)
                case YAML_ALIAS_EVENT:
                    let name =
                        event.data.alias.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) } ?? ""
                    guard let v = anchors[name] else { throw err("unknown alias *\(name)") }
                    produced = v.node
                    shape = Shape(kind: .alias, children: [v.id], line: line, column: column)
                case YAML_SEQUENCE_START_EVENT:
                    guard stack.count < maxDepth else { throw limit("nesting deeper than \(maxDepth)") }
                    let a = event.data.sequence_start.anchor.map {
                        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                    }
                    stack.append(.seq([], anchor: a))
                    childIDs.append([])
                    starts.append((line, column))
                case YAML_MAPPING_START_EVENT:
                    guard stack.count < maxDepth else { throw limit("nesting deeper than \(maxDepth)") }
                    let a = event.data.mapping_start.anchor.map {
                        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                    }
                    stack.append(.map([], pendingKey: nil, anchor: a))
                    childIDs.append([])
                    starts.append((line, column))
                case YAML_SEQUENCE_END_EVENT:
                    guard case .seq(let items, let a)? = stack.popLast() else { throw err("unbalanced sequence") }
                    produced = .sequence(items)
                    producedAnchor = a
                    let at = starts.removeLast()
                    shape = Shape(kind: .sequence, children: childIDs.removeLast(), line: at.0, column: at.1)
                case YAML_MAPPING_END_EVENT:
                    guard case .map(let members, _, let a)? = stack.popLast() else { throw err("unbalanced mapping") }
                    produced = .mapping(members)
                    producedAnchor = a
                    let at = starts.removeLast()
                    shape = Shape(kind: .mapping, children: childIDs.removeLast(), line: at.0, column: at.1)
                default:
                    break
                }
                guard let node = produced, let shape else { continue }
                nodes += 1
                if nodes > maxNodes { throw limit("more than \(maxNodes) nodes") }
                let id = Int32(shapes.count)
                shapes.append(shape)
                if let producedAnchor { anchors[producedAnchor] = (node, id) }
                if childIDs.isEmpty { rootID = id } else { childIDs[childIDs.count - 1].append(id) }
                switch stack.popLast() {
                case nil:
                    root = node
                case .seq(var items, let a):
                    items.append(node)
                    stack.append(.seq(items, anchor: a))
                case .map(var members, let key, let a):
                    if let key {
                        if key == "<<" && childIDs.last.map({ shapes[Int($0[$0.count - 2])].isMergeKey }) == true {
                            // `<<: *base` (or a list of maps) merges the members; go-yaml v2 refuses anything else.
                            let bases: [[(String, YAMLNode)]]
                            if shape.kind == .alias, shapes[Int(shape.children[0])].kind != .mapping {
                                throw err("map merge requires map or sequence of maps as the value")
                            }
                            switch node {
                            case .mapping(let m): bases = [m]
                            case .sequence(let list):
                                var maps: [[(String, YAMLNode)]] = []
                                for item in list.reversed() {
                                    guard case .mapping(let m) = item else {
                                        throw err("map merge requires map or sequence of maps as the value")
                                    }
                                    maps.append(m)
                                }
                                bases = maps
                            default: throw err("map merge requires map or sequence of maps as the value")
                            }
                            for base in bases {
                                // Merged members count as nodes: aliases merged twice per level double a mapping per line.
                                nodes += base.count
                                if nodes > maxNodes { throw limit("more than \(maxNodes) nodes") }
                                members.append(contentsOf: base)
                            }
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
                        let keyShape = shape.kind == .alias ? shapes[Int(shape.children[0])] : shape
                        if textKeysOnly, let kind = keyShape.goKind {
                            throw err(
                                "the key `\(k)` reads as \(kind) to the collector's YAML parser (go-yaml v2), and its config loader (go-ucfg) takes only text keys, so the collector skips this file: quote the key ('\(k)')"
                            )
                        }
                        stack.append(.map(members, pendingKey: k, anchor: a))
                    }
                }
            }
        }
    }
}

/// go-yaml v2's guard against alias bombs (decode.go, v2.3.0 and later), which the collector's config
/// loader runs into: decoding counts every node it visits (`decodeCount`) and those it visits through
/// an alias (`aliasCount`), and refuses the document as soon as more than 100 alias visits make up more
/// than the allowed share of over 1,000 visits: 99% up to 400,000 visits, then falling linearly to 10% at
/// 4,000,000. So even a bounded "billion laughs" (a few levels of ten aliases) is refused.
enum GoYAMLAliasBudget {
    static let rangeLow = 400_000
    static let rangeHigh = 4_000_000

    /// The allowed share of alias visits after `decodeCount` visits.
    static func allowedRatio(_ decodeCount: Int) -> Double {
        if decodeCount <= rangeLow { return 0.99 }
        if decodeCount >= rangeHigh { return 0.10 }
        return 0.99 - 0.89 * (Double(decodeCount - rangeLow) / Double(rangeHigh - rangeLow))
    }

    /// Replays go-yaml's decode walk over the document's shape (depth first, a mapping's key before its
    /// value, a merge key not visited, a merged list last map first) and returns where the walk was
    /// when the budget ran out, or nil. The walk stops there, so it is bounded by the document's size.
    static func exceeded(_ shapes: [YAMLNode.Shape], root: Int32) -> (line: Int, column: Int)? {
        guard root >= 0 else { return nil }
        var decodeCount = 1  // the document node
        var aliasCount = 0
        var stack: [(id: Int32, depth: Int32)] = [(root, 0)]
        while let (id, depth) = stack.popLast() {
            decodeCount += 1
            if depth > 0 { aliasCount += 1 }
            if aliasCount > 100 && decodeCount > 1000 && Double(aliasCount) / Double(decodeCount) > allowedRatio(decodeCount) {
                let s = shapes[Int(id)]
                return (s.line, s.column)
            }
            let node = shapes[Int(id)]
            switch node.kind {
            case .scalar: break
            case .alias: stack.append((node.children[0], depth + 1))
            case .sequence:
                for c in node.children.reversed() { stack.append((c, depth)) }
            case .mapping:
                var visits: [Int32] = []
                var i = 0
                while i + 1 < node.children.count {
                    let key = node.children[i], value = node.children[i + 1]
                    i += 2
                    if shapes[Int(key)].isMergeKey, shapes[Int(value)].kind == .sequence {
                        visits += shapes[Int(value)].children.reversed()
                    } else if shapes[Int(key)].isMergeKey {
                        visits.append(value)
                    } else {
                        visits += [key, value]
                    }
                }
                for c in visits.reversed() { stack.append((c, depth)) }
            }
        }
        return nil
    }
}

/// Byte offsets of a text's 1-based lines and columns as libyaml counts them (a column per character; a BOM
/// before the first line not counted). Lines break at `\n` (a `\r` before it is the line's last character).
struct TextPositions {
    private let starts: [Int]
    private let text: [UInt8]
    private let bom: Int

    init(_ text: [UInt8]) {
        self.text = text
        var starts = [0]
        for (i, b) in text.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.starts = starts
        bom = text.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    private static func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }

    /// The offset of the character at `line`, `column`; nil past the text.
    func offset(line: Int, column: Int) -> Int? {
        guard line >= 1, line <= starts.count, column >= 1 else { return nil }
        var i = starts[line - 1] + (line == 1 ? bom : 0)
        var left = column - 1
        while left > 0 {
            guard i < text.count, text[i] != UInt8(ascii: "\n") else { return nil }
            i += 1
            while i < text.count, Self.isContinuation(text[i]) { i += 1 }
            left -= 1
        }
        return i <= text.count ? i : nil
    }

    /// The 1-based line and column of the character at `offset`.
    func place(of offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        var i = starts[lo] + (lo == 0 ? bom : 0)
        var column = 1
        while i < offset {
            i += 1
            while i < offset, Self.isContinuation(text[i]) { i += 1 }
            column += 1
        }
        return (lo + 1, column)
    }
}
