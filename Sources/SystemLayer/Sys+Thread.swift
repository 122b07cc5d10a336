#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension Sys {
    /// Runs `body` on a detached thread started for it. Fails with the errno of `pthread_create` (EAGAIN
    /// at the process's or the user's thread limit), in which case `body` is not run.
    public static func startThread(_ body: @escaping @Sendable () -> Void) throws(ProbeError) {
        final class Box: @unchecked Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        let r = pthread_create(
            &thread, &attributes,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box.toOpaque())
        if r != 0 {
            box.release()
            throw ProbeError("pthread_create", errno: r)
        }
    }
}
