import Diagnostics
import Testing

@Suite("check.py arguments")
struct CheckPyArgumentsTests {
    @Test(
        "normalize recovers every form JOB sends",
        arguments: [
            (["--subscription_id=123", "--gse_path=/usr/local/gse/"], ["--subscription_id=123", "--gse_path=/usr/local/gse/"]),
            (["--gse_path", "/usr/local/gse/"], ["--gse_path", "/usr/local/gse/"]),
            (["--gse_path=/usr/local/gse/--collector_config_id=45"], ["--gse_path=/usr/local/gse/", "--collector_config_id=45"]),
            (["--gse_path", "/usr/local/gse/--collector_config_id=45"], ["--gse_path", "/usr/local/gse/", "--collector_config_id=45"]),
            (["-p/usr/local/gse", "-s", "7"], ["-p", "/usr/local/gse", "-s", "7"]),
            (["--subscription_id=1 --gse_path=/x"], ["--subscription_id=1", "--gse_path=/x"]),
            (["--log_paths=/var/log/my app/*.log,/b"], ["--log_paths=/var/log/my app/*.log,/b"]),
            (["--gse_path=/a/--log_paths=/x,/y--z"], ["--gse_path=/a/", "--log_paths=/x,/y--z"]),
            (
                ["--gse_path=/a/--collector_config_id=4--subscription_id=9"],
                ["--gse_path=/a/", "--collector_config_id=4", "--subscription_id=9"]
            ),
            (["--once"], ["--once"]),
            ([], []),
            (["--unknown=1"], ["--unknown=1"]),
            (["-"], ["-"]),
        ])
    func normalize(input: [String], expected: [String]) {
        #expect(CheckPyArguments.normalize(input) == expected)
    }

    @Test("log paths split on commas, trimmed, empties dropped")
    func splitLogPaths() {
        #expect(CheckPyArguments.splitLogPaths("/a/*.log, /b/c.log,,") == ["/a/*.log", "/b/c.log"])
        #expect(CheckPyArguments.splitLogPaths("") == [])
        #expect(CheckPyArguments.splitLogPaths(" , ") == [])
    }
}
