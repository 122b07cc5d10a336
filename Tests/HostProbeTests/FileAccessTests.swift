import Foundation
import SystemLayer
import Testing

@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct FileAccessTests {
    @Test func credentialsAreTheFileSystemIDsGroupsAndEffectiveCapabilities() throws {
        let status = """
            Name:\tbkunifylogbeat
            Uid:\t1000\t1001\t1002\t1003
            Gid:\t2000\t2001\t2002\t2003
            Groups:\t4 24 27 
            CapEff:\t0000000000000002
            """
        let c = try #require(ProcessCredentials.parse(status: status))
        #expect(c == ProcessCredentials(uid: 1003, gid: 2003, groups: [4, 24, 27], capabilities: 2))
        #expect(c.readsAnything)
        // A field missing or malformed: not judged.
        #expect(ProcessCredentials.parse(status: status.replacingOccurrences(of: "CapEff", with: "CapPrm")) == nil)
        #expect(ProcessCredentials.parse(status: status.replacingOccurrences(of: "1003", with: "x")) == nil)
        #expect(ProcessCredentials.parse(status: status.replacingOccurrences(of: "Groups:\t4 24 27 ", with: "Groups:")) != nil)
        // This process, as the kernel says.
        let me = try #require(ProcessCredentials.of(pid: getpid()))
        #expect(me.uid == geteuid() && me.gid == getegid())
    }

    @Test func modeBitsAreJudgedByClassOwnerFirst() {
        let nobody = ProcessCredentials(uid: 65534, gid: 65534, groups: [4])
        func st(_ mode: UInt32, _ uid: UInt32, _ gid: UInt32) -> FileStat { FileStat(mode: 0o100000 | mode, uid: uid, gid: gid) }
        #expect(!nobody.permits(4, st(0o600, 0, 0)))
        #expect(nobody.permits(4, st(0o604, 0, 0)))
        #expect(nobody.permits(4, st(0o640, 0, 4)))
        #expect(nobody.permits(4, st(0o640, 0, 65534)))
        // The owner's bits decide for the owner, however open the others' are.
        #expect(!nobody.permits(4, st(0o077, 65534, 0)))
        #expect(!nobody.permits(1, st(0o766, 0, 0)))
        #expect(nobody.permits(1, st(0o711, 0, 0)))
        // CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE: anything.
        #expect(ProcessCredentials(uid: 65534, gid: 65534, capabilities: 1 << 2).permits(4, st(0o000, 0, 0)))
        #expect(ProcessCredentials(uid: 0, gid: 0, capabilities: 1 << 1).permits(1, st(0o000, 1, 1)))
    }

    @Test func theDirectoriesAGlobListsAreThoseFromItsFirstWildcardDown() {
        // Go's Glob lists the first wildcard's directory and every one below it, a literal element's too.
        #expect(FileAccess.listedDirectories(pattern: "/a/*/c/*.log", match: "/a/b/c/d.log") == ["/a", "/a/b", "/a/b/c"])
        #expect(FileAccess.listedDirectories(pattern: "/a/b/c.log", match: "/a/b/c.log") == [])
        #expect(FileAccess.listedDirectories(pattern: "/a/b/[cd].log", match: "/a/b/c.log") == ["/a/b"])
        // `**` is as many `*` levels as the match has there (none, too); the elements after it line up at the end.
        #expect(FileAccess.listedDirectories(pattern: "/a/**/x.log", match: "/a/b/c/x.log") == ["/a", "/a/b", "/a/b/c"])
        #expect(FileAccess.listedDirectories(pattern: "/a/**/x.log", match: "/a/x.log") == [])
        #expect(FileAccess.listedDirectories(pattern: "/a/**/*.log", match: "/a/x.log") == ["/a"])
        #expect(FileAccess.listedDirectories(pattern: "/*/**/*.log", match: "/a/b/x.log") == ["/", "/a", "/a/b"])
        // Relative, or not lining up: nothing claimed.
        #expect(FileAccess.listedDirectories(pattern: "logs/*.log", match: "logs/a.log") == [])
        #expect(FileAccess.listedDirectories(pattern: "/a/*.log", match: "/a/b/c.log") == [])
    }

    @Test(.enabled(if: geteuid() == 0)) func filesAndDirectoriesOnTheRealPathAreWalked() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base + "/open/closed", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        chmod(base, 0o755)
        chmod(base + "/open", 0o755)
        for (name, mode) in [("public.log", 0o644), ("private.log", 0o600)] as [(String, mode_t)] {
            #expect(FileManager.default.createFile(atPath: base + "/open/" + name, contents: Data("x\n".utf8)))
            chmod(base + "/open/" + name, mode)
        }
        #expect(FileManager.default.createFile(atPath: base + "/open/closed/app.log", contents: Data("x\n".utf8)))
        chmod(base + "/open/closed/app.log", 0o644)
        chmod(base + "/open/closed", 0o700)
        // A link to the private file, in the open directory: the target is judged.
        try FileManager.default.createSymbolicLink(atPath: base + "/open/link.log", withDestinationPath: base + "/open/private.log")
        let nobody = ProcessCredentials(uid: 65534, gid: 65534)
        var dirs: [String: FileAccess.Verdict] = [:]
        #expect(FileAccess.check(base + "/open/public.log", as: nobody, directories: &dirs) == .readable)
        guard case .denied(let file) = FileAccess.check(base + "/open/private.log", as: nobody, directories: &dirs) else {
            Issue.record("private.log not denied")
            return
        }
        #expect(file == "uid 65534 may not read file \(base)/open/private.log (mode 0600, owner 0:0)", "\(file)")
        #expect(FileAccess.check(base + "/open/link.log", as: nobody, directories: &dirs) == .denied(file))
        guard case .denied(let dir) = FileAccess.check(base + "/open/closed/app.log", as: nobody, directories: &dirs) else {
            Issue.record("closed/ not denied")
            return
        }
        #expect(dir == "uid 65534 may not search directory \(base)/open/closed (mode 0700, owner 0:0)", "\(dir)")
        #expect(dirs[base + "/open/closed"] == .denied(dir) && dirs[base + "/open"] == .readable)
        // A link whose own directory may not be searched (0700), to a file in an open one: the way in is shut.
        try FileManager.default.createDirectory(atPath: base + "/shut", withIntermediateDirectories: true)
        chmod(base + "/shut", 0o700)
        try FileManager.default.createSymbolicLink(atPath: base + "/shut/link", withDestinationPath: base + "/open")
        #expect(
            FileAccess.check(base + "/shut/link/public.log", as: nobody, directories: &dirs)
                == .denied("uid 65534 may not search directory \(base)/shut (mode 0700, owner 0:0)"))
        // Connecting to a socket needs write permission on its file.
        #expect(
            FileAccess.checkConnect(base + "/open/public.log", as: nobody)
                == .denied("uid 65534 may not write socket \(base)/open/public.log (mode 0644, owner 0:0)"))
        #expect(FileAccess.checkConnect(base + "/open/public.log", as: ProcessCredentials(uid: 0, gid: 0)) == .readable)
        // Its owner (a cache of directories serves one set of credentials), or a file that is not there.
        var fresh: [String: FileAccess.Verdict] = [:]
        #expect(FileAccess.check(base + "/open/closed/app.log", as: ProcessCredentials(uid: 0, gid: 0), directories: &fresh) == .readable)
        #expect(FileAccess.check(base + "/open/none.log", as: nobody, directories: &fresh) == .unknown)
        // A directory that may be entered but not read (0711): the file opens, but a glob cannot list it.
        chmod(base + "/open", 0o711)
        var again: [String: FileAccess.Verdict] = [:]
        #expect(FileAccess.check(base + "/open/public.log", as: nobody, directories: &again) == .readable)
        let listed = FileAccess.listedDirectories(pattern: base + "/open/*.log", match: base + "/open/public.log")
        #expect(
            FileAccess.check(base + "/open/public.log", as: nobody, listed: listed, directories: &again)
                == .denied("uid 65534 may not list directory \(base)/open (mode 0711, owner 0:0)"))
        // Modes print with four digits.
        chmod(base + "/open", 0o755)
        chmod(base + "/open/public.log", 0o044)
        #expect(
            FileAccess.check(base + "/open/public.log", as: ProcessCredentials(uid: 0, gid: 1), directories: &fresh)
                == .denied("uid 0 may not read file \(base)/open/public.log (mode 0044, owner 0:0)"))
    }
}
