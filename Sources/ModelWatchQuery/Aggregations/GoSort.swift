/// The unstable sort of Go 1.19+ (`sort.Sort`, pattern-defeating quicksort), step for step, so
/// that `sort`, `sort_desc`, `topk` and `bottomk` leave equal values in the order Prometheus does.
/// Short slices (12 or fewer) get an insertion sort, which is stable.
enum GoSort {
    static func sort<Element>(_ values: inout [Element], by less: (Element, Element) -> Bool) {
        guard values.count > 1 else { return }
        values = withoutActuallyEscaping(less) { less in
            var sorter = Sorter(values: values, less: less)
            sorter.pdqsort(0, sorter.values.count, limit: Int.bitWidth - sorter.values.count.leadingZeroBitCount)
            return sorter.values
        }
    }

    private enum Hint { case unknown, increasing, decreasing }

    private struct Sorter<Element> {
        var values: [Element]
        let less: (Element, Element) -> Bool

        func isLess(_ i: Int, _ j: Int) -> Bool { self.less(self.values[i], self.values[j]) }
        mutating func swap(_ i: Int, _ j: Int) { self.values.swapAt(i, j) }

        mutating func insertionSort(_ a: Int, _ b: Int) {
            var i = a + 1
            while i < b {
                var j = i
                while j > a && self.isLess(j, j - 1) {
                    self.swap(j, j - 1)
                    j -= 1
                }
                i += 1
            }
        }

        mutating func siftDown(_ lo: Int, _ hi: Int, _ first: Int) {
            var root = lo
            while true {
                var child = 2 * root + 1
                if child >= hi { return }
                if child + 1 < hi && self.isLess(first + child, first + child + 1) { child += 1 }
                if !self.isLess(first + root, first + child) { return }
                self.swap(first + root, first + child)
                root = child
            }
        }

        mutating func heapSort(_ a: Int, _ b: Int) {
            let hi = b - a
            var i = (hi - 1) / 2
            while i >= 0 {
                self.siftDown(i, hi, a)
                i -= 1
            }
            i = hi - 1
            while i >= 0 {
                self.swap(a, a + i)
                self.siftDown(0, i, a)
                i -= 1
            }
        }

        mutating func pdqsort(_ start: Int, _ end: Int, limit: Int) {
            var a = start
            var b = end
            var limit = limit
            var wasBalanced = true
            var wasPartitioned = true
            while true {
                let length = b - a
                if length <= 12 {
                    self.insertionSort(a, b)
                    return
                }
                if limit == 0 {
                    self.heapSort(a, b)
                    return
                }
                if !wasBalanced {
                    self.breakPatterns(a, b)
                    limit -= 1
                }
                var (pivot, hint) = self.choosePivot(a, b)
                if hint == .decreasing {
                    self.reverseRange(a, b)
                    pivot = (b - 1) - (pivot - a)
                    hint = .increasing
                }
                if wasBalanced && wasPartitioned && hint == .increasing {
                    if self.partialInsertionSort(a, b) { return }
                }
                if a > 0 && !self.isLess(a - 1, pivot) {
                    a = self.partitionEqual(a, b, pivot)
                    continue
                }
                let (middle, alreadyPartitioned) = self.partition(a, b, pivot)
                wasPartitioned = alreadyPartitioned
                let leftLength = middle - a
                let rightLength = b - middle
                let balanceThreshold = length / 8
                if leftLength < rightLength {
                    wasBalanced = leftLength >= balanceThreshold
                    self.pdqsort(a, middle, limit: limit)
                    a = middle + 1
                } else {
                    wasBalanced = rightLength >= balanceThreshold
                    self.pdqsort(middle + 1, b, limit: limit)
                    b = middle
                }
            }
        }

        mutating func partition(_ a: Int, _ b: Int, _ pivot: Int) -> (Int, Bool) {
            self.swap(a, pivot)
            var i = a + 1
            var j = b - 1
            while i <= j && self.isLess(i, a) { i += 1 }
            while i <= j && !self.isLess(j, a) { j -= 1 }
            if i > j {
                self.swap(j, a)
                return (j, true)
            }
            self.swap(i, j)
            i += 1
            j -= 1
            while true {
                while i <= j && self.isLess(i, a) { i += 1 }
                while i <= j && !self.isLess(j, a) { j -= 1 }
                if i > j { break }
                self.swap(i, j)
                i += 1
                j -= 1
            }
            self.swap(j, a)
            return (j, false)
        }

        mutating func partitionEqual(_ a: Int, _ b: Int, _ pivot: Int) -> Int {
            self.swap(a, pivot)
            var i = a + 1
            var j = b - 1
            while true {
                while i <= j && !self.isLess(a, i) { i += 1 }
                while i <= j && self.isLess(a, j) { j -= 1 }
                if i > j { break }
                self.swap(i, j)
                i += 1
                j -= 1
            }
            return i
        }

        mutating func partialInsertionSort(_ a: Int, _ b: Int) -> Bool {
            var i = a + 1
            for _ in 0..<5 {
                while i < b && !self.isLess(i, i - 1) { i += 1 }
                if i == b { return true }
                if b - a < 50 { return false }
                self.swap(i, i - 1)
                if i - a >= 2 {
                    var j = i - 1
                    while j >= 1 {
                        if !self.isLess(j, j - 1) { break }
                        self.swap(j, j - 1)
                        j -= 1
                    }
                }
                if b - i >= 2 {
                    var j = i + 1
                    while j < b {
                        if !self.isLess(j, j - 1) { break }
                        self.swap(j, j - 1)
                        j += 1
                    }
                }
            }
            return false
        }

        mutating func breakPatterns(_ a: Int, _ b: Int) {
            let length = b - a
            guard length >= 8 else { return }
            var random = UInt64(length)
            let modulus = UInt(1) << UInt(Int.bitWidth - length.leadingZeroBitCount)
            // The three elements around the middle.
            let index = a + (length / 4) * 2 - 1
            for offset in 0..<3 {
                random ^= random << 13
                random ^= random >> 17
                random ^= random << 5
                var other = Int(UInt(truncatingIfNeeded: random) & (modulus - 1))
                if other >= length { other -= length }
                self.swap(index + offset, a + other)
            }
        }

        func choosePivot(_ a: Int, _ b: Int) -> (Int, Hint) {
            let length = b - a
            var swaps = 0
            var i = a + length / 4 * 1
            var j = a + length / 4 * 2
            var k = a + length / 4 * 3
            if length >= 8 {
                if length >= 50 {
                    i = self.median(i - 1, i, i + 1, &swaps)
                    j = self.median(j - 1, j, j + 1, &swaps)
                    k = self.median(k - 1, k, k + 1, &swaps)
                }
                j = self.median(i, j, k, &swaps)
            }
            switch swaps {
            case 0: return (j, .increasing)
            case 12: return (j, .decreasing)
            default: return (j, .unknown)
            }
        }

        func order(_ a: Int, _ b: Int, _ swaps: inout Int) -> (Int, Int) {
            if self.isLess(b, a) {
                swaps += 1
                return (b, a)
            }
            return (a, b)
        }

        func median(_ a: Int, _ b: Int, _ c: Int, _ swaps: inout Int) -> Int {
            var (a, b) = self.order(a, b, &swaps)
            var c = c
            (b, c) = self.order(b, c, &swaps)
            (a, b) = self.order(a, b, &swaps)
            _ = (a, c)
            return b
        }

        mutating func reverseRange(_ a: Int, _ b: Int) {
            var i = a
            var j = b - 1
            while i < j {
                self.swap(i, j)
                i += 1
                j -= 1
            }
        }
    }
}
