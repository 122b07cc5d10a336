import Dispatch
import Foundation

/// Renders a long run of hosts on every core: hosts are cut into chunks, each wave of chunks (one per core)
/// is rendered in parallel, each chunk into its lane's buffer, and the lanes are handed on in host order,
/// so the output is the same as rendering the hosts one after another. The caller owns one buffer per lane
/// and keeps it from wave to wave (each chunk had been written into a buffer of its own and then copied into
/// another before it was written out): memory stays at one wave of chunks.
enum ChunkedRender {
    /// The lanes `run` renders on: one per core.
    static var lanes: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// An empty buffer for a lane, with room for `capacity` bytes asked to be backed by huge pages (a chunk of
    /// 2,048 hosts' lines is a few MiB, faulted in 4 KiB at a time as the first wave wrote it).
    static func laneBuffer(capacity: Int) -> [UInt8] { HugePages.bytes(capacity: capacity) }

    /// Renders hosts `0..<count`: `render(range, lane)` writes the chunk `range` into lane `lane`'s buffer
    /// (emptied by `emit` beforehand), and `emit(lane)` hands that buffer on and empties it. Each wave's
    /// lanes run in parallel; `emit` is called on the calling thread, lane by lane in host order.
    static func run(
        count: Int, chunk: Int = 2048, lanes: Int = Self.lanes, _ render: (Range<Int>, Int) -> Void, emit: (Int) -> Void
    ) {
        let lanes = max(1, lanes)
        guard lanes > 1 && count > chunk else {
            render(0..<count, 0)
            emit(0)
            return
        }
        var start = 0
        while start < count {
            let ranges = stride(from: start, to: min(count, start + lanes * chunk), by: chunk).map { $0..<min(count, $0 + chunk) }
            withoutActuallyEscaping(render) { render in
                // Each iteration writes its own lane; `render` only reads what it renders from.
                nonisolated(unsafe) let render = render
                DispatchQueue.concurrentPerform(iterations: ranges.count) { i in render(ranges[i], i) }
            }
            for i in ranges.indices { emit(i) }
            start = ranges.last!.upperBound
        }
    }
}
