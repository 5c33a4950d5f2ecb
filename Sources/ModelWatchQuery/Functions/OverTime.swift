#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The functions of a range of samples, one series at a time, as Prometheus 2.42 computes them.
enum OverTime {
    /// rate, increase and delta: the change over the window, extrapolated towards its edges.
    static func extrapolatedDelta(_ points: [Point], window: Evaluator.Window, isCounter: Bool, isRate: Bool) -> Double? {
        self.extrapolatedDelta(points, start: window.start, end: window.end, range: window.range, isCounter: isCounter, isRate: isRate)
    }

    /// The same over any run of points (a slice of a loaded series, in a range query) and a window
    /// given by its bounds, milliseconds.
    static func extrapolatedDelta<Points: BidirectionalCollection<Point>>(
        _ points: Points, start: Int64, end: Int64, range: Int64, isCounter: Bool, isRate: Bool
    ) -> Double? {
        guard points.count >= 2, let first = points.first, let last = points.last else { return nil }
        var result = last.value - first.value
        if isCounter {
            var previous = 0.0
            for point in points {
                if point.value < previous { result += previous }
                previous = point.value
            }
        }
        var durationToStart = Double(first.timestamp - start) / 1000
        let durationToEnd = Double(end - last.timestamp) / 1000
        let sampledInterval = Double(last.timestamp - first.timestamp) / 1000
        let averageInterval = sampledInterval / Double(points.count - 1)
        if isCounter && result > 0 && first.value >= 0 {
            // A counter cannot go below zero: extrapolate no further back than where it would reach zero.
            let durationToZero = sampledInterval * (first.value / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let threshold = averageInterval * 1.1
        var extrapolateTo = sampledInterval
        extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2
        extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2
        result *= extrapolateTo / sampledInterval
        if isRate { result /= Double(range) / 1000 }
        return result
    }

    /// irate and idelta: the last two samples.
    static func instantDelta(_ points: [Point], isRate: Bool) -> Double? {
        guard points.count >= 2 else { return nil }
        let last = points[points.count - 1]
        let previous = points[points.count - 2]
        var result = last.value - previous.value
        if isRate && last.value < previous.value { result = last.value }
        let interval = last.timestamp - previous.timestamp
        guard interval != 0 else { return nil }
        if isRate { result /= Double(interval) / 1000 }
        return result
    }

    static func kahanAdd(_ value: Double, _ sum: inout Double, _ compensation: inout Double) {
        let total = sum + value
        if abs(sum) >= abs(value) {
            compensation += (sum - total) + value
        } else {
            compensation += (value - total) + sum
        }
        sum = total
    }

    /// Least squares slope and intercept, x in seconds relative to `interceptTime`.
    static func linearRegression(_ points: [Point], interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = 0.0
        var cX = 0.0
        var sumY = 0.0
        var cY = 0.0
        var sumXY = 0.0
        var cXY = 0.0
        var sumX2 = 0.0
        var cX2 = 0.0
        let initialY = points[0].value
        var constantY = true
        for (index, point) in points.enumerated() {
            if constantY && index > 0 && point.value != initialY { constantY = false }
            n += 1
            let x = Double(point.timestamp - interceptTime) / 1000
            Self.kahanAdd(x, &sumX, &cX)
            Self.kahanAdd(point.value, &sumY, &cY)
            Self.kahanAdd(x * point.value, &sumXY, &cXY)
            Self.kahanAdd(x * x, &sumX2, &cX2)
        }
        if constantY {
            if initialY.isInfinite { return (.nan, .nan) }
            return (0, initialY)
        }
        sumX += cX
        sumY += cY
        sumXY += cXY
        sumX2 += cX2
        let covariance = sumXY - sumX * sumY / n
        let variance = sumX2 - sumX * sumX / n
        let slope = covariance / variance
        return (slope, sumY / n - slope * sumX / n)
    }

    static func holtWinters(_ points: [Point], smoothing: Double, trend: Double) -> Double? {
        guard points.count >= 2 else { return nil }
        var previousSmoothed = 0.0
        var smoothed = points[0].value
        var slope = points[1].value - points[0].value
        for index in 1..<points.count {
            let scaled = smoothing * points[index].value
            if index - 1 != 0 {
                slope = trend * (smoothed - previousSmoothed) + (1 - trend) * slope
            }
            let carried = (1 - smoothing) * (smoothed + slope)
            previousSmoothed = smoothed
            smoothed = scaled + carried
        }
        return smoothed
    }

    static func average(_ points: [Point]) -> Double {
        var mean = 0.0
        var compensation = 0.0
        var count = 0.0
        for point in points {
            count += 1
            if mean.isInfinite {
                if point.value.isInfinite && (mean > 0) == (point.value > 0) { continue }
                if !point.value.isInfinite && !point.value.isNaN { continue }
            }
            Self.kahanAdd(point.value / count - mean / count, &mean, &compensation)
        }
        return mean.isInfinite ? mean : mean + compensation
    }

    static func variance(_ points: [Point]) -> Double {
        var count = 0.0
        var mean = 0.0
        var meanCompensation = 0.0
        var aux = 0.0
        var auxCompensation = 0.0
        for point in points {
            count += 1
            let delta = point.value - (mean + meanCompensation)
            Self.kahanAdd(delta / count, &mean, &meanCompensation)
            Self.kahanAdd(delta * (point.value - (mean + meanCompensation)), &aux, &auxCompensation)
        }
        return (aux + auxCompensation) / count
    }

    static func resets(_ points: [Point]) -> Double {
        var count = 0.0
        for index in points.indices.dropFirst() where points[index].value < points[index - 1].value { count += 1 }
        return count
    }

    static func changes(_ points: [Point]) -> Double {
        var count = 0.0
        for index in points.indices.dropFirst() {
            let current = points[index].value
            let previous = points[index - 1].value
            if !(current == previous || (current.isNaN && previous.isNaN)) { count += 1 }
        }
        return count
    }

    static func minimum(_ points: [Point]) -> Double {
        var result = points[0].value
        for point in points where point.value < result || result.isNaN { result = point.value }
        return result
    }

    static func maximum(_ points: [Point]) -> Double {
        var result = points[0].value
        for point in points where point.value > result || result.isNaN { result = point.value }
        return result
    }

    static func sum(_ points: [Point]) -> Double {
        var total = 0.0
        var compensation = 0.0
        for point in points { Self.kahanAdd(point.value, &total, &compensation) }
        return total.isInfinite ? total : total + compensation
    }
}
