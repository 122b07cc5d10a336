// Writes the bolt fuzz seed corpus (BoltTestWriter.seedCorpus) into the directory given as the only
// argument. Scripts/fuzz-bolt.sh compiles it with Sources/BoltWriter/BoltTestWriter.swift alone.
#if canImport(Glibc)
    import Glibc
#endif

@main
struct BoltSeeds {
    static func main() {
        let dir = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "."
        for seed in BoltTestWriter.seedCorpus() {
            let path = dir + "/" + seed.name
            guard let f = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            _ = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
        }
    }
}
