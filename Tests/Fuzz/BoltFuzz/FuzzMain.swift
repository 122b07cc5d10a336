// libFuzzer entry for the bolt registry reader. Scripts/fuzz-bolt.sh compiles it with the reader's
// sources (and Report's JSON parser) into one module with -sanitize=fuzzer,address.

/// One input: read as a bolt file (bucket `kv`, then the registry decoded from it), and fed raw to the
/// value decoders. Any trap, overflow or out-of-bounds access is a crash libFuzzer reports.
@_cdecl("LLVMFuzzerTestOneInput")
public func boltFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    var limits = BoltLimits()
    limits.maxBytesRead = 16 << 20
    limits.maxPageSpan = 4 << 20
    let source = BoltMemorySource(bytes)
    for path in [["kv"], ["kv", "sub"], ["kv", "inline-sub"]] {
        if let snap = try? BoltFile.readBucket(from: source, path: "fuzz", bucketPath: path.map { Array($0.utf8) }, limits: limits) {
            let r = CollectorRegistry.decode(snap, path: "fuzz")
            precondition(
                r.states.count + r.gseIndexes.count + r.otherKeys.count + r.problems.filter { !$0.hasPrefix("registrar states: ") }.count
                    + (r.localtime == nil ? 0 : 1) + (r.legacyRegistrar == nil ? 0 : 1) == snap.entries.count)
        }
    }
    _ = GobString.decode(bytes)
    _ = try? CollectorFileState.parse(bytes)
    _ = RFC3339.parse(String(decoding: bytes, as: UTF8.self))
    return 0
}
