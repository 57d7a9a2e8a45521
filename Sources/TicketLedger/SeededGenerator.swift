import Foundation

/// A small, fast, seeded random number generator (SplitMix64), so that a seed
/// gives the same simulation on every machine and every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `true` with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// An index drawn with the given (unnormalised) weights.
    public mutating func pick(weights: [Double], total: Double) -> Int {
        var target = unit() * total
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.count - 1
    }

    /// A duration in seconds, log-normally spread around `median` (clamped to [low, high]).
    public mutating func duration(median: Double, spread: Double = 0.8, low: Double = 30, high: Double = 30 * 86_400) -> Int64 {
        // Box–Muller for a standard normal.
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        return Int64(min(high, max(low, median * exp(spread * normal))))
    }
}

