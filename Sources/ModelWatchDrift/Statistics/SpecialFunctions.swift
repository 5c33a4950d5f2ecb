import Foundation

/// The two distribution tails drift's p-values need, written out so the target needs no
/// numerics library.
enum SpecialFunctions {
    /// The Kolmogorov distribution's survival function `P(K > λ)`: the asymptotic p-value of a
    /// KS statistic `D` is `kolmogorovSurvival(√(nm/(n+m)) · D)`.
    static func kolmogorovSurvival(_ lambda: Double) -> Double {
        guard lambda > 0 else { return 1 }
        if lambda < 1.18 {
            // The Jacobi-theta form converges fast for small λ, where the alternating series does not.
            let factor = (2 * Double.pi).squareRoot() / lambda
            var sum = 0.0
            for k in 1...6 {
                let odd = Double(2 * k - 1)
                sum += exp(-odd * odd * Double.pi * Double.pi / (8 * lambda * lambda))
            }
            return min(max(1 - factor * sum, 0), 1)
        }
        var sum = 0.0
        var sign = 1.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += sign * term
            if term < 1e-300 { break }
            sign = -sign
        }
        return min(max(2 * sum, 0), 1)
    }

    /// The chi-square distribution's survival function: the p-value of `statistic` with
    /// `degreesOfFreedom`.
    static func chiSquareSurvival(_ statistic: Double, degreesOfFreedom: Int) -> Double {
        guard degreesOfFreedom > 0 else { return 1 }
        guard statistic.isFinite else { return statistic > 0 ? 0 : 1 }
        return self.regularizedUpperGamma(Double(degreesOfFreedom) / 2, statistic / 2)
    }

    /// `Q(a, x) = Γ(a, x) / Γ(a)`: a series below `a + 1`, a continued fraction above (Lentz).
    static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a
            var sum = term
            var denominator = a
            for _ in 0..<10_000 {
                denominator += 1
                term *= x / denominator
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return min(max(1 - sum * exp(logPrefix), 0), 1)
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for index in 1..<10_000 {
            let an = -Double(index) * (Double(index) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return min(max(exp(logPrefix) * h, 0), 1)
    }
}
