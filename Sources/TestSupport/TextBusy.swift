import Foundation

/// Runs `launch` again while it fails with ETXTBSY ("Text file busy").
///
/// Tests copy `fake-bluek` into fake GSE trees and write scripts, then exec them. While one test
/// thread has such a file open for writing, another thread may fork; the child holds that write
/// descriptor until its own exec closes it, and an exec of the file in that window fails with
/// ETXTBSY. The window is a few microseconds, so a short retry always gets through. `launch` must
/// build a fresh `Process` (and pipes) each time: a `Process` whose `run()` threw is not run again.
public func retryingTextBusy<T>(within seconds: Double = 5, _ launch: () throws -> T) throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        do {
            return try launch()
        } catch where isTextBusy(error) && Date() < deadline {
            usleep(10_000)
        }
    }
}

/// Whether `error` is ETXTBSY, directly or as Foundation's underlying POSIX error.
public func isTextBusy(_ error: Error) -> Bool {
    if let posix = error as? POSIXError { return posix.code == .ETXTBSY }
    let ns = error as NSError
    if ns.domain == NSPOSIXErrorDomain { return ns.code == Int(ETXTBSY) }
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return isTextBusy(underlying) }
    return false
}
