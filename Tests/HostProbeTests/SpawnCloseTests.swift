import CSpawn
import Glibc
import Testing

/// CSpawn's close-everything action for the bounded probe child, with glibc's addclosefrom_np (2.34+) and
/// with the /proc/self/fd fallback used where glibc is older: a descriptor without O_CLOEXEC stays open in
/// a child spawned without it and is closed in a child spawned with either.
@Suite struct SpawnCloseTests {
    typealias AddClose = (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Spawns `/bin/sh` that reports whether descriptor `fd` is open in it, with `addClose` (if any) after
    /// the dup2 of the report pipe to stdout.
    func childSeesOpen(_ fd: Int32, addClose: AddClose?) throws -> Bool {
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(pipeFDs[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        if let addClose { #expect(addClose(&actions, 3) == 0) }
        let script = "if [ -e /proc/self/fd/\(fd) ]; then echo open; else echo closed; fi"
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(script), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, nil)
        close(pipeFDs[1])
        try #require(rc == 0)
        var buffer = [UInt8](repeating: 0, count: 64)
        var text = ""
        while true {
            let n = read(pipeFDs[0], &buffer, buffer.count)
            if n <= 0 { break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return text.hasPrefix("open")
    }

    @Test func inheritedDescriptorIsClosedWithEitherRoute() throws {
        // A descriptor a library might open without O_CLOEXEC, above a few others.
        let leaky = open("/proc/self/stat", O_RDONLY)
        try #require(leaky >= 3)
        defer { close(leaky) }
        #expect(try childSeesOpen(leaky, addClose: nil), "the control child does not see the descriptor")
        #expect(!(try childSeesOpen(leaky, addClose: { bkdiag_spawn_addclose_open($0, $1) })), "fallback left it open")
        #expect(!(try childSeesOpen(leaky, addClose: { bkdiag_spawn_addclosefrom($0, $1) })), "addclosefrom left it open")
    }
}
