/// How the collector's config loader reads keys holding dots. libbeat loads every config through go-ucfg with
/// `PathSep(".")`: a key `app.kubernetes.io/name` is the path `app` → `kubernetes` → `io/name`, and each key
/// of a mapping is set by its path into what the mapping's other keys built (`normalizeSetField`): a path
/// through a plain value fails ("required 'object', but found 'string' in field 'app'"), and so does a plain
/// value set where something already is ("duplicate key"); two mappings merge. Go hands the keys over in a
/// random order, so a clash that one order meets makes the loads fail at random — the document's order most
/// of the time, as measured against go-ucfg v0.7.0. `app: web` beside `app.kubernetes.io/name: web` (as
/// Kubernetes labels often are) fails in every order; `a.b` beside `a.c`, or beside a mapping `a` without
/// `b`, is fine. The whole file is then not loaded.
public enum UcfgDottedKeys {
    /// The first clash in `node`, with where it is (`local[0].ext_meta`), worded for a message; nil when there
    /// is none.
    public static func conflict(_ node: YAMLNode) -> String? {
        var found: String?
        visit(node, at: "", found: &found)
        return found
    }

    /// What the loader builds of a value: a mapping, a list, a plain value, or null.
    indirect enum Built {
        case dict([String: Built])
        case list
        case plain
        case null

        var isSub: Bool {
            switch self {
            case .dict, .list: true
            case .plain, .null: false
            }
        }
    }

    /// A key that cannot be set, and the key set before it that is in its way.
    struct Clash: Error {
        var key: String
    }

    private static func visit(_ node: YAMLNode, at place: String, found: inout String?) {
        guard found == nil else { return }
        switch node {
        case .mapping(let members):
            if members.contains(where: { $0.0.contains(".") }) {
                // The keys set in the document's order, and in the reverse order (another order Go may take).
                for order in [members, members.reversed()] {
                    var into: [String: Built] = [:]
                    var setBefore: [String] = []
                    for (key, value) in order {
                        do throws(Clash) {
                            try set(key, built(value), into: &into, others: setBefore)
                        } catch {
                            // The two keys named in the document's order.
                            let index = { (k: String) in members.firstIndex { $0.0 == k } ?? 0 }
                            let (first, second) = index(error.key) <= index(key) ? (error.key, key) : (key, error.key)
                            found =
                                "the keys `\(first)` and `\(second)`\(place.isEmpty ? "" : " of \(place)") clash: the collector's config loader (go-ucfg) reads a key's dots as nesting, and one of them sets a value where the other needs a mapping (or both set the same key), so loading the whole file fails, in every order or in the orders Go's random map order often takes (required 'object', but found 'string', or duplicate key)"
                            return
                        }
                        setBefore.append(key)
                    }
                }
            }
            for (key, value) in members { visit(value, at: place.isEmpty ? key : place + "." + key, found: &found) }
        case .sequence(let items):
            for (i, item) in items.enumerated() { visit(item, at: "\(place)[\(i)]", found: &found) }
        case .scalar, .null:
            return
        }
    }

    /// Sets `key`'s path to `value` in `dict` as `normalizeSetField` does; throws, naming the key of `others`
    /// (set before) in its way, on a clash.
    private static func set(_ key: String, _ value: Built, into dict: inout [String: Built], others: [String]) throws(Clash) {
        let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // Which key set before lies on this path: the latest whose path begins this one or is begun by it.
        func inTheWay() -> Clash {
            let other = others.last { k in
                let p = k.split(separator: ".", omittingEmptySubsequences: false)
                let n = min(p.count, path.count)
                return zip(p.prefix(n), path.prefix(n)).allSatisfy { $0 == $1 }
            }
            return Clash(key: other ?? key)
        }
        func walk(_ d: inout [String: Built], _ k: Int) throws(Clash) {
            let segment = path[k]
            if k == path.count - 1 {
                switch (d[segment], value) {
                case (nil, _), (.null?, _): d[segment] = value
                case (_, .null): return
                case (.dict(var old)?, .dict(let new)):
                    merge(new, into: &old)
                    d[segment] = .dict(old)
                case (let old?, _) where old.isSub && value.isSub: return
                default: throw inTheWay()
                }
                return
            }
            switch d[segment] {
            case nil, .null?:
                var fresh: [String: Built] = [:]
                try walk(&fresh, k + 1)
                d[segment] = .dict(fresh)
            case .dict(var inner)?:
                try walk(&inner, k + 1)
                d[segment] = .dict(inner)
            case .list?:
                // Reached by index, or left as it is: never a clash found here.
                return
            case .plain?:
                throw inTheWay()
            }
        }
        try walk(&dict, 0)
    }

    /// Two mappings merged as `mergeConfigDict` merges them: the new value wins, mappings merge.
    private static func merge(_ new: [String: Built], into old: inout [String: Built]) {
        for (k, v) in new {
            if case .dict(var o)? = old[k], case .dict(let n) = v {
                merge(n, into: &o)
                old[k] = .dict(o)
            } else {
                old[k] = v
            }
        }
    }

    /// What the loader builds of a YAML value (its own dotted keys set as paths; a clash there is found when
    /// that mapping is visited).
    static func built(_ node: YAMLNode) -> Built {
        switch node {
        case .scalar: return .plain
        case .null: return .null
        case .sequence: return .list
        case .mapping(let members):
            var d: [String: Built] = [:]
            for (key, value) in members { try? set(key, built(value), into: &d, others: []) }
            return .dict(d)
        }
    }
}
