/// What a run of the catalogue looks at: check.py's five arguments plus bkdiag's own knobs.
public struct CheckOptions: Sendable, Equatable {
    /// `--gse_path`; nil means auto-detect the root.
    public var gsePath: String?
    /// `--subscription_id`; the bkunifylogbeat checks run only when it is non-zero.
    public var subscriptionID: Int64
    /// `--ipc_socket_file`; nil means "main config endpoint, else the layout's default".
    public var ipcSocketFile: String?
    /// `--collector_config_id`; recorded in the report's context.
    public var collectorConfigID: Int64?
    /// `--log_paths`, split on commas.
    public var logPaths: [String]
    /// Whether `--log_paths` was given a value that is not blank; the log_path checks run only then (a
    /// value naming no path, such as `,,`, gives check.py's "日志采集路径为空").
    public var logPathsGiven: Bool
    /// Where the host's file system is: `/` in production, a temp dir in tests. `/proc` is always the live one.
    public var hostRoot: String
    /// NodeMan's restart log, relative to nothing: an absolute path on the host.
    public var restartLog: String
    /// Global deadline for the whole run, in seconds.
    public var deadlineSeconds: Double
    /// Allow the bounded GSE 2 `gse_agent --healthz 1` child process.
    public var runAgentHealthz: Bool
    /// Restart entries a day above which the process check fails (check.py: 10).
    public var restartThreshold: Int
    /// The dataserver port; nil means the layout's (58625 GSE 1, 28625 GSE 2).
    public var dataPort: UInt16?
    /// Sampling of the IPC queues: how many samples and how far apart (milliseconds).
    public var queueSamples: Int
    public var queueSampleIntervalMs: Int
    /// Seconds between the two progress samples of a run without a baseline (`--once`); 0 takes one sample.
    /// Capped at half the deadline. The daemon compares with its previous cycle instead.
    public var sampleGapSeconds: Double

    public init(
        gsePath: String? = nil, subscriptionID: Int64 = 0, ipcSocketFile: String? = nil,
        collectorConfigID: Int64? = nil, logPaths: [String] = [], logPathsGiven: Bool? = nil, hostRoot: String = "/",
        restartLog: String = "/tmp/bkc.log", deadlineSeconds: Double = 5, runAgentHealthz: Bool = true,
        restartThreshold: Int = 10, queueSamples: Int = 3, queueSampleIntervalMs: Int = 50, dataPort: UInt16? = nil,
        sampleGapSeconds: Double = 1
    ) {
        self.sampleGapSeconds = sampleGapSeconds
        self.dataPort = dataPort
        self.gsePath = gsePath
        self.subscriptionID = subscriptionID
        self.ipcSocketFile = ipcSocketFile
        self.collectorConfigID = collectorConfigID
        self.logPaths = logPaths
        self.logPathsGiven = logPathsGiven ?? !logPaths.isEmpty
        self.hostRoot = hostRoot
        self.restartLog = restartLog
        self.deadlineSeconds = deadlineSeconds
        self.runAgentHealthz = runAgentHealthz
        self.restartThreshold = restartThreshold
        self.queueSamples = queueSamples
        self.queueSampleIntervalMs = queueSampleIntervalMs
    }
}
