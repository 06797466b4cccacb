internal import COpenBLAS

/// The matrix products of the encoder, on OpenBLAS (row-major, single precision).
enum BLAS {
    /// OpenBLAS's thread pool is global to the process: the last setting wins.
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// `C[m×n] = alpha · A[m×k] · op(B) + beta · C`, where `op(B)` is `B[k×n]`, or the transpose
    /// of `B[n×k]` when `transposeB` (PyTorch's `Linear` weights are `[out, in]`).
    @inline(__always)
    static func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, inner k: Int, strideA: Int,
        _ b: UnsafePointer<Float>, columns n: Int, strideB: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>, strideC: Int, alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(strideA), b, Int32(strideB), beta, c, Int32(strideC))
    }
}
