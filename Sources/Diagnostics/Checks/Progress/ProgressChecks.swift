import Report

// The log_progress items: each judges the run's progress samples (`HostFacts.progress`) with its rule
// in `Progress/ProgressRules.swift`; docs/progress.md says what each reads and why.

/// log_progress/logpath_progress: per file, written / read / acknowledged, lag in bytes and seconds per data id.
struct LogPathProgressCheck: Check {
    let id = CheckID.progressLogpath
    func run(_ facts: any HostFacts) -> Finding { ProgressRules.logpathProgress(facts.progress) }
}

/// log_progress/pipeline_stall: the hop where data stops, with every hop's numbers.
struct PipelineStallCheck: Check {
    let id = CheckID.progressPipelineStall
    func run(_ facts: any HostFacts) -> Finding { ProgressRules.pipelineStall(facts.progress) }
}

/// log_progress/loss_risk: bytes at risk, each with its reason.
struct LossRiskCheck: Check {
    let id = CheckID.progressLossRisk
    func run(_ facts: any HostFacts) -> Finding { ProgressRules.lossRisk(facts.progress) }
}

/// log_progress/collector_resources: resource_limit configured vs applied, throttling, OOM kills, fds.
struct CollectorResourcesCheck: Check {
    let id = CheckID.progressCollectorResources
    func run(_ facts: any HostFacts) -> Finding { ProgressRules.collectorResources(facts.progress) }
}
