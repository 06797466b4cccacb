import Foundation

/// A count on stderr while exporting, when stderr is a terminal.
struct ExportProgress {
    private let enabled = isatty(2) == 1
    private var rows = 0
    private var lastPrint = Date()

    mutating func tick() {
        rows += 1
        guard enabled, rows % 1000 == 0, Date().timeIntervalSince(lastPrint) > 0.5 else { return }
        lastPrint = Date()
        FileHandle.standardError.write(Data("\rread \(rows) records".utf8))
    }

    func finish() {
        if enabled, rows >= 1000 { FileHandle.standardError.write(Data("\rread \(rows) records\n".utf8)) }
    }
}
