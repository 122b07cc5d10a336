/// A JSON value with stable key order, used for evidence and for reading JSON whose shape is not fixed.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer literal beyond 64 bits, kept as its decimal text (`-?[1-9][0-9]*`), as Python's
    /// `json.loads` keeps it exact (at most 4,300 digits, CPython's limit).
    case bigInt(String)
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// Keys keep their insertion order.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.bigInt(a), .bigInt(b)): return a == b
        case let (.bigInt(a), .double(b)), let (.double(b), .bigInt(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .bigInt(let t): hasher.combine(Double(t) ?? 0)
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o):
            for (k, v) in o { hasher.combine(k); hasher.combine(v) }
        }
    }

    /// Member lookup on an object; nil otherwise. Parsed objects hold each name once (`lastValueWins`).
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self {
            return members.first(where: { $0.0 == key })?.1
        }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Integer value; accepts integral doubles and decimal strings (JOB sometimes quotes numbers).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e18: return Int64(d)
        case .string(let s): return Int64(s.trimmingASCIIWhitespace())
        default: return nil
        }
    }

    /// A finite number's value; nil for anything else (NaN and ±Infinity parse, as Python reads them,
    /// but are not usable quantities).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .bigInt(let t): return Double(t).flatMap { $0.isFinite ? $0 : nil }
        case .double(let d) where d.isFinite: return d
        default: return nil
        }
    }

    /// An object's members with each repeated name kept once, as Python's `json` builds a dict: at the
    /// place of its first occurrence, with the value of its last. Returns `members` itself when no name
    /// repeats (the common case: small objects are checked pairwise, large ones with a set).
    public static func lastValueWins(_ members: [(String, JSONValue)]) -> [(String, JSONValue)] {
        guard members.count > 1 else { return members }
        var repeated = false
        if members.count <= 16 {
            outer: for a in 1..<members.count {
                for c in 0..<a where members[c].0 == members[a].0 {
                    repeated = true
                    break outer
                }
            }
        } else {
            var seen = Set<String>(minimumCapacity: members.count)
            for m in members where !seen.insert(m.0).inserted {
                repeated = true
                break
            }
        }
        guard repeated else { return members }
        var place: [String: Int] = [:]
        var out: [(String, JSONValue)] = []
        out.reserveCapacity(members.count)
        for m in members {
            if let at = place[m.0] {
                out[at].1 = m.1
            } else {
                place[m.0] = out.count
                out.append(m)
            }
        }
        return out
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    public init(_ s: String) { self = .string(s) }
    public init(_ i: Int) { self = .int(Int64(i)) }
    public init(_ strings: [String]) { self = .array(strings.map(JSONValue.string)) }
}

extension String {
    /// Without leading and trailing spaces, tabs, CR and LF (no Foundation needed).
    public func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
