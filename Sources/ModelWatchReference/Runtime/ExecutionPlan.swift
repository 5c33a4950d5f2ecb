/// The order a model's nodes run in and, per node, the value slots it reads and writes and those
/// freed after it, planned once at load.
///
/// The per-node lists live in one table of slot numbers and the nodes' labels in one string, so a
/// plan costs a few arrays per model rather than several per node: on the benchmark's 15-node
/// MLP, per-node arrays and label strings were 3 KB of the 21.5 KB a loaded model held (14 KB of
/// it weights), with a file of 15 KB.
struct ExecutionPlan: Sendable {
    /// One node in execution order: its kernel and where its runs of slots lie in ``slots``.
    struct Step: Sendable {
        let kernel: any Kernel
        fileprivate let inputStart: Int32
        fileprivate let outputStart: Int32
        fileprivate let releaseStart: Int32
        fileprivate let recycleStart: Int32
        fileprivate let end: Int32
        fileprivate let labelEnd: Int32
        /// How many outputs the node names (omitted optional ones are not counted).
        let producedCount: Int32

        /// Positions in ``ExecutionPlan/slots`` of the node's inputs.
        var inputs: Range<Int> { Int(self.inputStart)..<Int(self.outputStart) }
        /// Positions of the node's outputs.
        var outputs: Range<Int> { Int(self.outputStart)..<Int(self.releaseStart) }
        /// Positions of the graph inputs whose last reader is this node; they are cleared after it.
        var releases: Range<Int> { Int(self.releaseStart)..<Int(self.recycleStart) }
        /// Positions of earlier nodes' values whose last reader is this node: their storage goes
        /// back to the session's pool for the nodes after it, so memory follows the live set.
        var recycles: Range<Int> { Int(self.recycleStart)..<Int(self.end) }
    }

    let steps: [Step]
    /// Slot numbers of every step's runs, one after the other; -1 for an omitted optional value.
    let slots: [Int32]
    /// Every step's label, one after the other.
    private let labels: String

    /// Plans nodes already in topological order.
    /// - Parameters:
    ///   - nodes: each node's kernel, label and input and output slots (nil where omitted).
    ///   - kept: slots never freed (constants, graph outputs).
    init(_ nodes: [(kernel: any Kernel, label: String, inputs: [Int?], outputs: [Int?])], kept: Set<Int>) {
        // The step after which each slot is no longer read.
        var lastUse: [Int: Int] = [:]
        var produced = Set<Int>()
        for (position, node) in nodes.enumerated() {
            for case let input? in node.inputs { lastUse[input] = position }
        }
        for (position, node) in nodes.enumerated() {
            for case let output? in node.outputs {
                produced.insert(output)
                if lastUse[output] == nil { lastUse[output] = position }
            }
        }
        var releases = [[Int]](repeating: [], count: nodes.count)
        var recycles = [[Int]](repeating: [], count: nodes.count)
        for (slot, position) in lastUse.sorted(by: { $0.key < $1.key }) where !kept.contains(slot) {
            if produced.contains(slot) { recycles[position].append(slot) } else { releases[position].append(slot) }
        }
        var slots: [Int32] = []
        var labels = ""
        var steps: [Step] = []
        steps.reserveCapacity(nodes.count)
        for (position, node) in nodes.enumerated() {
            func append(_ run: [Int?]) -> Int32 {
                defer { slots.append(contentsOf: run.map { Int32($0 ?? -1) }) }
                return Int32(slots.count)
            }
            let inputStart = append(node.inputs)
            let outputStart = append(node.outputs)
            let releaseStart = append(releases[position])
            let recycleStart = append(recycles[position])
            labels += node.label
            steps.append(
                Step(
                    kernel: node.kernel, inputStart: inputStart, outputStart: outputStart, releaseStart: releaseStart,
                    recycleStart: recycleStart, end: Int32(slots.count), labelEnd: Int32(labels.utf8.count),
                    producedCount: Int32(node.outputs.count { $0 != nil })))
        }
        // Copied to arrays of their exact size: grown ones keep up to twice that for the model's life.
        self.steps = steps
        self.slots = slots.withUnsafeBufferPointer { Array($0) }
        self.labels = String(decoding: Array(labels.utf8), as: UTF8.self)
    }

    /// The slot at a position of ``slots``, nil for an omitted optional value.
    func slot(_ position: Int) -> Int? {
        let slot = self.slots[position]
        return slot < 0 ? nil : Int(slot)
    }

    /// How errors name the step at `index`: its node's name and operator.
    func label(_ index: Int) -> String {
        let start = index == 0 ? 0 : Int(self.steps[index - 1].labelEnd)
        let utf8 = Array(self.labels.utf8)
        return String(decoding: utf8[start..<Int(self.steps[index].labelEnd)], as: UTF8.self)
    }
}
