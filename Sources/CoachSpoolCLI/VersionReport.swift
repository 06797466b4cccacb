import BuildInfo
import Pipeline
import Stages

/// What `coachspool --version` prints: the release, the commit it was built from, the newest
/// migration it ships, and the versions a worker with the default settings stamps on what it
/// stores (verdicts, redacted texts, examples), so that a dataset's `pipeline_version` can be
/// traced to a build.
enum VersionReport {
    static var text: String {
        """
        coachspool \(BuildInfo.version)
        commit \(BuildInfo.commit)
        schema \(BuildInfo.schemaVersion.map(String.init) ?? "unknown")
        pipeline versions (coachspool work's defaults):
          quality   \(QualityFilter().pipelineVersion)
          text      \(TextPreparation.version())
          examples  \(WorkerConfiguration.examples().version)
        """
    }
}
