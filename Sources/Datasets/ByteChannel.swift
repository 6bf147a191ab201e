import Foundation

/// Hands bytes pushed by one thread to a consumer pulling fixed-size pieces on another, holding
/// at most `capacity` bytes in between (pushers wait for room).
final class ByteChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var head = 0
    private var closed = false
    private var failure: (any Error)?
    /// Most bytes held; must exceed the largest piece pulled.
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    private var available: Int { pending.count - head }

    /// Adds `bytes`, waiting for room; throws the consumer's failure if it has failed.
    func push(_ bytes: [UInt8]) throws {
        condition.lock()
        defer { condition.unlock() }
        var offset = 0
        while offset < bytes.count {
            while available >= capacity && failure == nil { condition.wait() }
            if let failure { throw failure }
            if head >= capacity / 2 {
                pending.removeFirst(head)
                head = 0
            }
            let n = Swift.min(capacity - available, bytes.count - offset)
            pending += bytes[offset..<(offset + n)]
            offset += n
            condition.broadcast()
        }
    }

    /// The next `count` bytes, waiting for them; throws when the producer closed the channel first.
    func pull(_ count: Int) throws -> Data {
        precondition(count < capacity, "piece of \(count) bytes does not fit a channel of \(capacity)")
        condition.lock()
        defer { condition.unlock() }
        while available < count && !closed { condition.wait() }
        guard available >= count else { throw DatasetError("the writer was dropped before all its data was given") }
        let piece = Data(pending[head..<(head + count)])
        head += count
        condition.broadcast()
        return piece
    }

    /// Records the consumer's failure, waking pushers so that they throw it.
    func fail(_ error: any Error) {
        condition.lock()
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// Tells the consumer that no more bytes will come.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
