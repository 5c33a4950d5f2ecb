/// Go's `container/heap`, with the same sift order, so that `topk`/`bottomk` keep the same samples
/// among equal values as Prometheus does.
enum GoHeap {
    static func push<Element>(_ heap: inout [Element], _ element: Element, less: (Element, Element) -> Bool) {
        heap.append(element)
        Self.up(&heap, heap.count - 1, less: less)
    }

    static func pop<Element>(_ heap: inout [Element], less: (Element, Element) -> Bool) {
        let last = heap.count - 1
        heap.swapAt(0, last)
        Self.down(&heap, 0, last, less: less)
        heap.removeLast()
    }

    static func fix<Element>(_ heap: inout [Element], _ index: Int, less: (Element, Element) -> Bool) {
        if !Self.down(&heap, index, heap.count, less: less) {
            Self.up(&heap, index, less: less)
        }
    }

    private static func up<Element>(_ heap: inout [Element], _ start: Int, less: (Element, Element) -> Bool) {
        var child = start
        while true {
            let parent = (child - 1) / 2
            if parent == child || child <= 0 || !less(heap[child], heap[parent]) { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    @discardableResult
    private static func down<Element>(_ heap: inout [Element], _ start: Int, _ count: Int, less: (Element, Element) -> Bool) -> Bool {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= count || left < 0 { break }
            var child = left
            if left + 1 < count && less(heap[left + 1], heap[left]) { child = left + 1 }
            if !less(heap[child], heap[parent]) { break }
            heap.swapAt(parent, child)
            parent = child
        }
        return parent > start
    }
}
