import CoachSpoolCLI

/// The `coachspool` binary: everything lives in CoachSpoolCLI, so that tests run the same code.
@main
enum CoachSpoolMain {
    static func main() async {
        await CoachSpoolCommand.runMain()
    }
}
