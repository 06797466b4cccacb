#if canImport(Glibc)
import Glibc
#endif

/// The element-wise parts of the encoder (softmax, GELU, LayerNorm), on `SIMD16<Float>`: plain
/// Swift float loops do not vectorise, and scalar `expf`/`erff` would cost more than the matrix
/// products they sit between.
enum VectorMath {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
    }

    /// e^x, Cephes' single-precision method: x = n·ln 2 + r with |r| ≤ ln 2 / 2, a degree-5
    /// polynomial for e^r, then 2^n built in the exponent bits. Relative error about 2e-7;
    /// inputs below -87.3 give 0 (softmax relies on that), above 88.3 give +inf.
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let clamped = x.clamped(lowerBound: Vector(repeating: -87.33654), upperBound: Vector(repeating: 88.37626))
        let n = (clamped * 1.442695041).rounded(.toNearestOrEven)
        var r = clamped - n * 0.693359375
        r = r + n * 2.12194440e-4
        var p = Vector(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * r * r + r + 1
        // 2^n for n in [-126, 127]: (n + 127) << 23 is its bit pattern. Adding 1.5·2^23 puts the
        // integer n in the low mantissa bits (a vectorised float → int conversion).
        let whole = n.clamped(lowerBound: Vector(repeating: -126), upperBound: Vector(repeating: 127)) + 12_582_912
        let exponent = (unsafeBitCast(whole, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        let result = er * unsafeBitCast(exponent, to: Vector.self)
        return result.replacing(with: 0, where: x .< -87.33654)
    }

    /// erf(x), Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
    @inline(__always)
    static func erf(_ x: Vector) -> Vector {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.3275911 * a)
        var p = Vector(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let y = 1 - p * t * Self.exp(-a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    /// GELU in its exact form, x · Φ(x) = x/2 · (1 + erf(x/√2)) (not the tanh approximation).
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + width <= count {
            let x = load(values + index)
            store(0.5 * x * (1 + erf(x * 0.70710678118654752)), values + index)
            index += width
        }
        while index < count {
            let x = values[index]
            values[index] = 0.5 * x * (1 + Glibc.erff(x * 0.70710678118654752))
            index += 1
        }
    }

    /// Softmax of one row in place (max subtracted first).
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        var index = 0
        var vectorMax = Vector(repeating: -.infinity)
        while index + width <= count {
            vectorMax = pointwiseMax(vectorMax, load(row + index))
            index += width
        }
        maximum = vectorMax.max()
        for tail in index..<count { maximum = Swift.max(maximum, row[tail]) }
        var vectorSum = Vector()
        index = 0
        while index + width <= count {
            let e = Self.exp(load(row + index) - maximum)
            store(e, row + index)
            vectorSum += e
            index += width
        }
        var sum = vectorSum.sum()
        for tail in index..<count {
            let e = Glibc.expf(row[tail] - maximum)
            row[tail] = e
            sum += e
        }
        let inverse = 1 / sum
        index = 0
        while index + width <= count {
            store(load(row + index) * inverse, row + index)
            index += width
        }
        for tail in index..<count { row[tail] *= inverse }
    }

    /// LayerNorm of one row of `count` values (a multiple of 16) in place: (x − mean) / √(var + ε)
    /// · γ + β, with the biased variance as PyTorch computes it.
    static func layerNorm(
        _ row: UnsafeMutablePointer<Float>, count: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        var sum = Vector()
        var index = 0
        while index < count {
            sum += load(row + index)
            index += width
        }
        let mean = sum.sum() / Float(count)
        var squares = Vector()
        index = 0
        while index < count {
            let d = load(row + index) - mean
            squares += d * d
            index += width
        }
        let inverse = 1 / (squares.sum() / Float(count) + epsilon).squareRoot()
        index = 0
        while index < count {
            let normalised = (load(row + index) - mean) * inverse
            store(normalised * load(gamma + index) + load(beta + index), row + index)
            index += width
        }
    }

    /// row += other (element-wise, `count` a multiple of 16).
    static func add(_ other: UnsafePointer<Float>, to row: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index < count {
            store(load(row + index) + load(other + index), row + index)
            index += width
        }
    }
}
