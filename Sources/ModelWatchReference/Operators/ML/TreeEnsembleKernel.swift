/// `ai.onnx.ml.TreeEnsemble` (opset 5): the newer encoding of tree ensembles, interior nodes and
/// leaves in separate lists, set-membership splits, output in the input's type.
struct TreeEnsembleKernel: Kernel {
    /// One interior node; a child is a node position or, when its flag says so, a leaf position.
    struct Branch: Sendable {
        var feature: Int
        var split: Double
        var mode: UInt8
        var missingTracksTrue: Bool
        var trueChild: Int
        var trueIsLeaf: Bool
        var falseChild: Int
        var falseIsLeaf: Bool
        var members: [Double]
    }

    let branches: [Branch]
    let roots: [Int]
    let leafTargets: [Int]
    let leafWeights: [Double]
    let targets: Int
    let aggregate: Int64
    let transform: PostTransform
    let maximumFeature: Int

    init(_ context: KernelContext) throws(ReferenceError) {
        func tensorValues(_ name: String) throws(ReferenceError) -> [Double]? {
            guard let tensor = try context.tensor(name) else { return nil }
            guard let values = tensor.doubleValues else { throw ReferenceError(.invalidGraph, "attribute '\(name)' must be numeric") }
            return values
        }
        func ints(_ name: String) throws(ReferenceError) -> [Int] { (try context.ints(name) ?? []).map { Int(truncatingIfNeeded: $0) } }
        let features = try ints("nodes_featureids")
        let splits = try tensorValues("nodes_splits") ?? []
        let modes = try context.tensor("nodes_modes")?.integers() ?? []
        let trueIDs = try ints("nodes_truenodeids")
        let falseIDs = try ints("nodes_falsenodeids")
        let trueLeafs = try ints("nodes_trueleafs")
        let falseLeafs = try ints("nodes_falseleafs")
        let tracks = try ints("nodes_missing_value_tracks_true")
        let membership = try tensorValues("membership_values") ?? []
        let count = features.count
        guard splits.count == count, modes.count == count, trueIDs.count == count, falseIDs.count == count,
            trueLeafs.count == count, falseLeafs.count == count, tracks.isEmpty || tracks.count == count
        else { throw ReferenceError(.invalidGraph, "the nodes_* attributes differ in length") }
        self.leafTargets = try ints("leaf_targetids")
        self.leafWeights = try tensorValues("leaf_weights") ?? []
        guard self.leafTargets.count == self.leafWeights.count else {
            throw ReferenceError(.invalidGraph, "leaf_targetids and leaf_weights differ in length")
        }
        let targets = Int(try context.int("n_targets", default: 1))
        self.targets = targets
        guard targets > 0, targets < 1 << 20, self.leafTargets.allSatisfy({ $0 >= 0 && $0 < targets }) else {
            throw ReferenceError(.invalidGraph, "leaf target ids must be in 0..<n_targets")
        }
        self.aggregate = try context.int("aggregate_function", default: 1)
        guard (0...3).contains(self.aggregate) else { throw ReferenceError(.invalidGraph, "aggregate_function \(self.aggregate)") }
        let transforms: [PostTransform] = [.none, .softmax, .logistic, .softmaxZero, .probit]
        let transform = try context.int("post_transform", default: 0)
        guard transform >= 0, transform < 5 else { throw ReferenceError(.invalidGraph, "post_transform \(transform)") }
        self.transform = transforms[Int(transform)]
        // Membership sets, in the order the BRANCH_MEMBER nodes appear, NaN-delimited.
        var sets: [[Double]] = [[]]
        for value in membership {
            if value.isNaN { sets.append([]) } else { sets[sets.count - 1].append(value) }
        }
        var nextSet = 0
        var branches: [Branch] = []
        for index in 0..<count {
            guard (0...6).contains(modes[index]), features[index] >= 0 else {
                throw ReferenceError(.invalidGraph, "node \(index) has mode \(modes[index]) or feature \(features[index])")
            }
            var members: [Double] = []
            if modes[index] == 6 {
                members = nextSet < sets.count ? sets[nextSet] : []
                nextSet += 1
            }
            for (child, isLeaf) in [(trueIDs[index], trueLeafs[index] != 0), (falseIDs[index], falseLeafs[index] != 0)] {
                guard child >= 0, child < (isLeaf ? self.leafWeights.count : count) else {
                    throw ReferenceError(.invalidGraph, "node \(index) has a child \(child) that does not exist")
                }
            }
            branches.append(
                Branch(
                    feature: features[index], split: splits[index], mode: UInt8(modes[index]),
                    missingTracksTrue: !tracks.isEmpty && tracks[index] != 0,
                    trueChild: trueIDs[index], trueIsLeaf: trueLeafs[index] != 0, falseChild: falseIDs[index],
                    falseIsLeaf: falseLeafs[index] != 0,
                    members: members))
        }
        self.branches = branches
        self.roots = try ints("tree_roots")
        guard !self.roots.isEmpty, self.roots.allSatisfy({ $0 >= 0 && $0 < count }) else {
            throw ReferenceError(.invalidGraph, "tree_roots out of range")
        }
        self.maximumFeature = features.max() ?? -1
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        guard input.elementType == .float || input.elementType == .double, let values = input.doubleValues else {
            throw ReferenceError(.unsupportedType, "TreeEnsemble of \(input.elementType) is not supported")
        }
        let (rows, features) = input.matrixShape
        guard features > self.maximumFeature else {
            throw ReferenceError(.invalidInput, "the trees read feature \(self.maximumFeature), the input has \(features)")
        }
        var output = [Double](repeating: 0, count: rows * self.targets)
        for row in 0..<rows {
            var scores = [Double](repeating: 0, count: self.targets)
            var has = [Bool](repeating: false, count: self.targets)
            for root in self.roots {
                let leaf = try self.leaf(from: root, values, row * features)
                let target = self.leafTargets[leaf]
                let weight = self.leafWeights[leaf]
                switch self.aggregate {
                case 2: scores[target] = has[target] ? Swift.min(scores[target], weight) : weight
                case 3: scores[target] = has[target] ? Swift.max(scores[target], weight) : weight
                default: scores[target] += weight
                }
                has[target] = true
            }
            if self.aggregate == 0 { scores = scores.map { $0 / Double(self.roots.count) } }
            var slice = ArraySlice(scores.map { Float($0) })
            if self.transform != .none {
                self.transform.apply(&slice)
                scores = slice.map(Double.init)
            }
            for target in 0..<self.targets { output[row * self.targets + target] = scores[target] }
        }
        let storage: Tensor.Storage = input.elementType == .double ? .double(output) : .float(output.map { Float($0) })
        return [.tensor(Tensor(checkedShape: [rows, self.targets], storage))]
    }

    /// The leaf a row reaches from a root; bounded by the node count, so a cyclic tree fails instead of hanging.
    private func leaf(from root: Int, _ values: [Double], _ base: Int) throws(ReferenceError) -> Int {
        var index = root
        for _ in 0...self.branches.count {
            let node = self.branches[index]
            let x = values[base + node.feature]
            let goesTrue: Bool
            if x.isNaN {
                goesTrue = node.missingTracksTrue
            } else {
                switch node.mode {
                case 0: goesTrue = x <= node.split
                case 1: goesTrue = x < node.split
                case 2: goesTrue = x >= node.split
                case 3: goesTrue = x > node.split
                case 4: goesTrue = x == node.split
                case 5: goesTrue = x != node.split
                default: goesTrue = node.members.contains(x)
                }
            }
            if goesTrue {
                if node.trueIsLeaf { return node.trueChild }
                index = node.trueChild
            } else {
                if node.falseIsLeaf { return node.falseChild }
                index = node.falseChild
            }
        }
        throw ReferenceError(.executionFailed, "tree nodes form a cycle")
    }
}
