import Foundation
import Report
import Testing

@testable import Fleet

/// Input robustness: garbage, truncated, wrong types, empty → a clear error with a code, never a crash.
@Suite struct AnswerReaderTests {
    @Test(arguments: [
        ("", "input.empty"),
        ("   \n", "input.empty"),
        ("not json at all", "input.not-json"),
        ("{\"result\": true, \"data\": {\"finished\": true, \"step_instance_list\": [", "input.not-json"),
        ("[1, 2, 3]", "input.shape"),
        ("{\"foo\": 1}", "input.shape"),
        ("{\"result\": true, \"code\": 0, \"data\": {\"finished\": true, \"step_instance_list\": 5}}", "input.type"),
        ("{\"data\": {\"finished\": true, \"step_instance_list\": [7]}, \"code\": 0}", "input.type"),
        ("{\"data\": {\"script_task_logs\": {\"a\": 1}}, \"code\": 0}", "input.type"),
        ("{\"finished\": true, \"step_instance_list\": [{\"step_ip_result_list\": \"x\"}]}", "input.type"),
    ])
    func badInputs(text: String, code: String) {
        do {
            _ = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f.json", parallel: false)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains("f.json"))
        }
    }

    /// Sparse files whose sizes add up past Int64.max (tmpfs allows a size of Int64.max): the evidence
    /// policy's total must not overflow before the size check names the file.
    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm")))
    func filesWhoseSizesOverflowInt64AreTooLarge() throws {
        let path = "/dev/shm/bkdiag-answer-\(UUID().uuidString).json"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(truncate(path, off_t.max) == 0)
        do {
            _ = try AnswerReader.read(paths: [path, path], evidence: .auto)
            Issue.record("a file of \(off_t.max) bytes was read")
        } catch {
            #expect(error.code == "input.too-large")
            #expect(error.message.contains(path))
        }
    }

    @Test func resultFalseIsAnIssueNotAnError() throws {
        let text = "{\"result\": false, \"code\": 1244013, \"message\": \"Job instance not exist\", \"data\": null}"
        let answers = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f", parallel: false)
        guard case .answer(.failure(let code, let message)) = try #require(answers.first) else {
            Issue.record("not a failure")
            return
        }
        #expect(code == 1_244_013 && message == "Job instance not exist")
        var asm = FleetAssembler()
        asm.add(.failure(code: code, message: message), source: "f")
        #expect(asm.finish(source: "parse").issues.contains { $0.level == .error && $0.message.contains("Job instance not exist") })
    }

    @Test func severalDocumentsOnePerLine() throws {
        let text = Fixtures.wrap(Fixtures.mixedStatus).serialized() + "\n" + Fixtures.mixedLogsPage1.serialized() + "\n\n"
        let answers = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f", parallel: false)
        #expect(answers.count == 2)
        // Concatenated without a newline (cat a.json b.json), and pretty-printed.
        let glued = Fixtures.mixedLogsPage1.serialized() + Fixtures.mixedLogsPage2.serialized() + "\n{\n  \"finished\": true\n}\n"
        #expect(try AnswerReader.recognise(bytes: Array(glued.utf8), source: "f", parallel: false).count == 3)
    }

    @Test func quotedNumbersAndMissingMembersAreTolerated() throws {
        let text = """
            {"finished": true, "step_instance_list": [{"step_instance_id": "5", "step_ip_result_list": [
              {"ip": "10.0.0.1", "bk_cloud_id": "0", "status": "9"}, {"ip": "10.0.0.2"}, {}]}]}
            """
        let answers = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f", parallel: false)
        guard case .answer(.status(let s)) = try #require(answers.first) else {
            Issue.record("not a status")
            return
        }
        #expect(s.steps[0].hosts.map(\.status) == [9, 0, 0])
        #expect(s.steps[0].hosts.map(\.key) == ["0:10.0.0.1", "0:10.0.0.2", "0:?"])
        #expect(s.steps[0].stepInstanceID == 5)
    }

    @Test func filesAreReadInParallelInArgumentOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-reader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let docs = [Fixtures.wrap(Fixtures.mixedStatus), Fixtures.mixedLogsPage1, Fixtures.wrap(Fixtures.mixedLogsPage2)]
        var paths: [String] = []
        for (i, d) in docs.enumerated() {
            let p = "\(dir)/\(i).json"
            FileManager.default.createFile(atPath: p, contents: Data(d.serialized().utf8))
            paths.append(p)
        }
        let answers = try AnswerReader.read(paths: paths)
        #expect(answers.count == 3)
        if case .answer(.status) = answers[0] {} else { Issue.record("first is not the status") }
        do {
            _ = try AnswerReader.read(paths: paths + ["\(dir)/missing.json"])
            Issue.record("missing file accepted")
        } catch {
            #expect(error.code == "input.missing")
        }
        do {
            _ = try AnswerReader.read(paths: [dir])
            Issue.record("directory accepted")
        } catch {
            #expect(error.code == "input.directory")
        }
    }
}
