import Dispatch
import Foundation

/// Renders a long run of hosts on every core: hosts are cut into chunks, each wave of chunks (one per core)
/// is rendered in parallel into buffers of their own, and the buffers are handed to `sink` in host order,
/// so the output is the same as rendering the hosts one after another. Memory stays at one wave of chunks.
enum ChunkedRender {
    static func run(
        count: Int, chunk: Int = 2048, _ render: (Range<Int>, inout [UInt8]) -> Void, sink: ([UInt8]) -> Void
    ) {
        let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
        guard lanes > 1 && count > chunk else {
            var buf: [UInt8] = []
            render(0..<count, &buf)
            if !buf.isEmpty { sink(buf) }
            return
        }
        var start = 0
        while start < count {
            let ranges = stride(from: start, to: min(count, start + lanes * chunk), by: chunk).map { $0..<min(count, $0 + chunk) }
            var outs = [[UInt8]](repeating: [], count: ranges.count)
            outs.withUnsafeMutableBufferPointer { slots in
                // Each iteration writes its own slot; `render` only reads what it renders from.
                nonisolated(unsafe) let slots = slots
                withoutActuallyEscaping(render) { render in
                    nonisolated(unsafe) let render = render
                    DispatchQueue.concurrentPerform(iterations: ranges.count) { i in
                        var buf: [UInt8] = []
                        render(ranges[i], &buf)
                        slots[i] = buf
                    }
                }
            }
            for o in outs where !o.isEmpty { sink(o) }
            start = ranges.last!.upperBound
        }
    }
}
