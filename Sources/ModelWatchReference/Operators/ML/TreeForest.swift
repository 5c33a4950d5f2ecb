/// The trees of a `TreeEnsembleClassifier`/`Regressor`, flattened for traversal: node arrays indexed
/// by position, children resolved to positions, leaf weights attached to their leaves.
struct TreeForest: Sendable {
    enum Mode: UInt8, Sendable {
        case lessOrEqual, less, greaterOrEqual, greater, equal, notEqual, leaf
    }

    struct Weight: Sendable {
        let target: Int
        let value: Double
    }

    var modes: [Mode] = []
    var features: [Int] = []
    var thresholds: [Double] = []
    var trueChildren: [Int] = []
    var falseChildren: [Int] = []
    var missingTracksTrue: [Bool] = []
    var weights: [[Weight]] = []
    var roots: [Int] = []
    /// The nodes packed for traversal, built once at load from the arrays above.
    var packed: [PackedNode] = []
    /// Every leaf's weights, one after the other; a packed leaf names its range.
    var packedWeights: [Weight] = []

    /// One node in a single contiguous array, so a traversal touches one cache line per node.
    struct PackedNode: Sendable {
        var threshold: Double
        var feature: Int32
        var trueChild: Int32
        var falseChild: Int32
        var weightStart: Int32
        var weightCount: Int32
        var mode: Mode
        var missingTracksTrue: Bool
    }
    /// Thresholds and weights were given as doubles (`*_as_tensor`): sums are kept in double.
    var isDouble = false
    var maximumFeature = -1

    /// Reads the `nodes_*` attributes and the leaf weights under `prefix` (`class` or `target`).
    init(_ context: KernelContext, prefix: String) throws(ReferenceError) {
        let treeIDs = try context.ints("nodes_treeids") ?? []
        let nodeIDs = try context.ints("nodes_nodeids") ?? []
        let featureIDs = try context.ints("nodes_featureids") ?? []
        let modeNames = try context.strings("nodes_modes") ?? []
        let trueIDs = try context.ints("nodes_truenodeids") ?? []
        let falseIDs = try context.ints("nodes_falsenodeids") ?? []
        let tracks = try context.ints("nodes_missing_value_tracks_true") ?? []
        let values = try context.doubles("nodes_values")
        let count = nodeIDs.count
        guard count > 0, treeIDs.count == count, featureIDs.count == count, modeNames.count == count,
            trueIDs.count == count, falseIDs.count == count, values?.values.count ?? count == count, tracks.isEmpty || tracks.count == count
        else { throw ReferenceError(.invalidGraph, "the nodes_* attributes differ in length") }
        self.isDouble = values?.isDouble ?? false
        var positions: [TreeKey: Int] = [:]
        for index in 0..<count {
            guard positions.updateValue(index, forKey: TreeKey(tree: treeIDs[index], node: nodeIDs[index])) == nil else {
                throw ReferenceError(.invalidGraph, "node \(nodeIDs[index]) of tree \(treeIDs[index]) is defined twice")
            }
            if index == 0 || treeIDs[index] != treeIDs[index - 1] { self.roots.append(index) }
        }
        for index in 0..<count {
            let mode: Mode
            switch modeNames[index] {
            case "BRANCH_LEQ": mode = .lessOrEqual
            case "BRANCH_LT": mode = .less
            case "BRANCH_GTE": mode = .greaterOrEqual
            case "BRANCH_GT": mode = .greater
            case "BRANCH_EQ": mode = .equal
            case "BRANCH_NEQ": mode = .notEqual
            case "LEAF": mode = .leaf
            default: throw ReferenceError(.invalidGraph, "unknown node mode '\(modeNames[index])'")
            }
            self.modes.append(mode)
            let feature = Int(truncatingIfNeeded: featureIDs[index])
            guard feature >= 0 else { throw ReferenceError(.invalidGraph, "negative feature id") }
            self.features.append(feature)
            if mode != .leaf { self.maximumFeature = Swift.max(self.maximumFeature, feature) }
            self.thresholds.append(values?.values[index] ?? 0)
            self.missingTracksTrue.append(!tracks.isEmpty && tracks[index] != 0)
            if mode == .leaf {
                self.trueChildren.append(index)
                self.falseChildren.append(index)
            } else {
                guard let yes = positions[TreeKey(tree: treeIDs[index], node: trueIDs[index])],
                    let no = positions[TreeKey(tree: treeIDs[index], node: falseIDs[index])]
                else {
                    throw ReferenceError(.invalidGraph, "node \(nodeIDs[index]) of tree \(treeIDs[index]) has a child that does not exist")
                }
                self.trueChildren.append(yes)
                self.falseChildren.append(no)
            }
        }
        self.weights = [[Weight]](repeating: [], count: count)
        let weightTrees = try context.ints("\(prefix)_treeids") ?? []
        let weightNodes = try context.ints("\(prefix)_nodeids") ?? []
        let weightTargets = try context.ints("\(prefix)_ids") ?? []
        let weightValues = try context.doubles("\(prefix)_weights")?.values ?? []
        guard weightTrees.count == weightNodes.count, weightNodes.count == weightTargets.count, weightTargets.count == weightValues.count
        else {
            throw ReferenceError(.invalidGraph, "the \(prefix)_* attributes differ in length")
        }
        for index in weightTrees.indices {
            guard let position = positions[TreeKey(tree: weightTrees[index], node: weightNodes[index])] else {
                throw ReferenceError(
                    .invalidGraph, "a weight names node \(weightNodes[index]) of tree \(weightTrees[index]), which does not exist")
            }
            guard weightTargets[index] >= 0, weightTargets[index] < Int64(Int32.max) else {
                throw ReferenceError(.invalidGraph, "negative \(prefix) id")
            }
            self.weights[position].append(Weight(target: Int(weightTargets[index]), value: weightValues[index]))
        }
        try self.checkAcyclic()
        guard count < Int(Int32.max), weightTrees.count < Int(Int32.max) else { throw ReferenceError(.invalidGraph, "too many tree nodes") }
        // Sized up front: arrays grown by appending keep up to twice their size for the model's life.
        self.packed.reserveCapacity(count)
        self.packedWeights.reserveCapacity(weightTrees.count)
        self.roots = self.roots.withUnsafeBufferPointer { Array($0) }
        for index in 0..<count {
            self.packed.append(
                PackedNode(
                    threshold: self.thresholds[index], feature: Int32(truncatingIfNeeded: self.features[index]),
                    trueChild: Int32(self.trueChildren[index]), falseChild: Int32(self.falseChildren[index]),
                    weightStart: Int32(self.packedWeights.count), weightCount: Int32(self.weights[index].count),
                    mode: self.modes[index], missingTracksTrue: self.missingTracksTrue[index]))
            self.packedWeights.append(contentsOf: self.weights[index])
        }
        // Only the packed form is read from here on; the loose arrays would double the model's memory.
        self.modes = []
        self.features = []
        self.thresholds = []
        self.trueChildren = []
        self.falseChildren = []
        self.missingTracksTrue = []
        self.weights = []
    }

    private struct TreeKey: Hashable {
        let tree: Int64
        let node: Int64
    }

    /// Every root reaches only leaves in a bounded number of steps (no cycles through children).
    private func checkAcyclic() throws(ReferenceError) {
        var state = [UInt8](repeating: 0, count: self.modes.count)  // 0 new, 1 on path, 2 done
        for root in self.roots {
            var stack: [(node: Int, expanded: Bool)] = [(root, false)]
            while let (node, expanded) = stack.popLast() {
                if expanded {
                    state[node] = 2
                    continue
                }
                if state[node] == 2 { continue }
                if state[node] == 1 { throw ReferenceError(.invalidGraph, "tree nodes form a cycle") }
                state[node] = 1
                stack.append((node, true))
                if self.modes[node] != .leaf {
                    for child in [self.trueChildren[node], self.falseChildren[node]] {
                        if state[child] == 1 { throw ReferenceError(.invalidGraph, "tree nodes form a cycle") }
                        if state[child] == 0 { stack.append((child, false)) }
                    }
                }
            }
        }
    }

    /// The leaf a row reaches from `root`.
    @inline(__always)
    static func leaf(_ nodes: UnsafeBufferPointer<PackedNode>, from root: Int, row: UnsafeBufferPointer<Double>) -> Int {
        var index = root
        while true {
            let node = nodes[index]
            if node.mode == .leaf { return index }
            let x = row[Int(node.feature)]
            let goesTrue: Bool
            if x.isNaN {
                goesTrue = node.missingTracksTrue || node.mode == .notEqual
            } else {
                switch node.mode {
                case .lessOrEqual: goesTrue = x <= node.threshold
                case .less: goesTrue = x < node.threshold
                case .greaterOrEqual: goesTrue = x >= node.threshold
                case .greater: goesTrue = x > node.threshold
                case .equal: goesTrue = x == node.threshold
                case .notEqual: goesTrue = x != node.threshold
                case .leaf: goesTrue = true
                }
            }
            index = Int(goesTrue ? node.trueChild : node.falseChild)
        }
    }

    /// Calls `body` with every tree's leaf for one row, in tree order.
    @inline(__always)
    func forEachLeaf(row: UnsafeBufferPointer<Double>, _ body: (UnsafeBufferPointer<Weight>) -> Void) {
        self.packed.withUnsafeBufferPointer { nodes in
            self.packedWeights.withUnsafeBufferPointer { weights in
                for root in self.roots {
                    let leaf = nodes[Self.leaf(nodes, from: root, row: row)]
                    body(UnsafeBufferPointer(rebasing: weights[Int(leaf.weightStart)..<Int(leaf.weightStart + leaf.weightCount)]))
                }
            }
        }
    }

    /// The input as doubles row by row, with float thresholds compared at float precision as onnxruntime does.
    func rows(_ input: Tensor) throws(ReferenceError) -> (values: [Double], rows: Int, features: Int) {
        var buffers = BufferPool()
        return try self.rows(input, buffers: &buffers)
    }

    /// ``rows(_:)`` into an array from the pool, which the caller gives back.
    func rows(_ input: Tensor, buffers: inout BufferPool) throws(ReferenceError) -> (values: [Double], rows: Int, features: Int) {
        let (rows, features) = input.matrixShape
        guard features > self.maximumFeature else {
            throw ReferenceError(.invalidInput, "the trees read feature \(self.maximumFeature), the input has \(features)")
        }
        var values = buffers.array(input.count, filledWith: Double(0))
        switch input.storage {
        case .float(let elements): Broadcasting.map(elements, into: &values) { Double($0) }
        case .double(let elements): Broadcasting.map(elements, into: &values) { $0 }
        case .int32(let elements): Broadcasting.map(elements, into: &values) { Double($0) }
        case .int64(let elements): Broadcasting.map(elements, into: &values) { Double($0) }
        case .bool, .string:
            throw ReferenceError(.unsupportedType, "tree ensembles need numeric input, got \(input.elementType)")
        }
        return (values, rows, features)
    }

    /// Sums every tree's leaf weights per target for one row, in tree order; a target no leaf touches has no score.
    func accumulate(row: UnsafeBufferPointer<Double>, into scores: inout [Double], has: inout [Bool]) {
        let isDouble = self.isDouble
        let count = scores.count
        scores.withUnsafeMutableBufferPointer { scores in
            has.withUnsafeMutableBufferPointer { has in
                self.forEachLeaf(row: row) { weights in
                    for weight in weights where weight.target < count {
                        if isDouble {
                            scores[weight.target] += weight.value
                        } else {
                            scores[weight.target] = Double(Float(scores[weight.target]) + Float(weight.value))
                        }
                        has[weight.target] = true
                    }
                }
            }
        }
    }
}
