import Foundation
import Testing

/// The glibc floor of the release node binary, checked on small C programs (a release build takes too
/// long for a test): `Scripts/elf-info.sh floor` — the check Scripts/build-release.sh runs — refuses a
/// binary that needs a newer glibc or has DT_RELR, and the link of `Scripts/glibc-floor.sh` (stub
/// libraries + packaging/glibc/compat.c + the __libc_start_main wrapper) gives a binary that needs only
/// glibc 2.17 and still runs here, constructors, threads, stat, fcntl64, dlopen and getrandom included.
@Suite(.enabled(if: toolExists("clang") && toolExists("objdump") && toolExists("readelf") && pythonInterpreter(major: 3) != nil))
struct GlibcFloorTests {
    /// Exercises what compat.c and the stubs stand in for; prints one line of results.
    static let program = #"""
        #include <dlfcn.h>
        #include <fcntl.h>
        #include <pthread.h>
        #include <stdio.h>
        #include <sys/random.h>
        #include <sys/stat.h>
        #include <unistd.h>
        static int constructed;
        __attribute__((constructor)) static void construct(void) { constructed = 1; }
        static void *thread_main(void *arg) { return arg; }
        int main(void) {
            pthread_t t;
            void *joined = 0;
            pthread_create(&t, 0, thread_main, (void *)42);
            pthread_join(t, &joined);
            struct stat st;
            int statted = stat("/proc/self/exe", &st) == 0 && st.st_size > 0;
            int flags = fcntl(1, F_GETFD);
            unsigned char random[16];
            long got = getrandom(random, sizeof random, 0);
            void *z = dlopen("libc.so.6", RTLD_NOW);
            printf("constructed=%d joined=%ld stat=%d fcntl=%d random=%ld dlopen=%d\n",
                   constructed, (long)joined, statted, flags >= 0, got, z != 0);
            return 0;
        }
        """#

    func compile(_ tmp: TempDir, _ extra: [String]) throws -> (binary: String, result: RunResult) {
        try write(Self.program, to: tmp.path("p.c"))
        let binary = tmp.path("p-\(extra.count)")
        let result = try run(
            "/usr/bin/env",
            [
                "clang", "-O1", "-D_FILE_OFFSET_BITS=64", "-fPIE", "-pie", "-fuse-ld=lld",
                "-static-libgcc", "-o", binary, tmp.path("p.c"),
            ] + extra + ["-ldl", "-lpthread"])
        return (binary, result)
    }

    func floorCheck(_ binary: String) throws -> RunResult {
        try run(Paths.script("elf-info.sh"), ["floor", binary, "2.17"])
    }

    @Test func ordinaryLinkIsRefused() throws {
        let tmp = try TempDir()
        let (binary, built) = try compile(tmp, [])
        try #require(built.status == 0, "clang: \(built.stderr)")
        let check = try floorCheck(binary)
        #expect(check.status == 1)
        // This host's glibc (2.36) binds these to versions newer than 2.17.
        #expect(check.stderr.contains("__libc_start_main@GLIBC_2.34"), "\(check.stderr)")
        for symbol in ["stat64@GLIBC_2.33", "fcntl64@GLIBC_2.28", "pthread_create@GLIBC_2.34", "getrandom@GLIBC_2.25"] {
            #expect(check.stderr.contains(symbol), "\(symbol) not named: \(check.stderr)")
        }

        let (relr, builtRelr) = try compile(tmp, ["-Wl,-z,pack-relative-relocs"])
        try #require(builtRelr.status == 0, "clang: \(builtRelr.stderr)")
        let relrCheck = try floorCheck(relr)
        #expect(relrCheck.status == 1)
        #expect(relrCheck.stderr.contains("DT_RELR"))
    }

    @Test func floorLinkNeedsGlibc217AndRuns() throws {
        let tmp = try TempDir()
        let prepared = try run(Paths.script("glibc-floor.sh"), [tmp.path("floor"), "2.17"])
        try #require(prepared.status == 0, "glibc-floor.sh: \(prepared.stderr)")
        let (binary, built) = try compile(tmp, prepared.lines)
        try #require(built.status == 0, "clang: \(built.stderr)")

        let check = try floorCheck(binary)
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("(floor 2.17)"), "\(check.stdout)")
        // The moved pthread and dl symbols come from the libraries that had them before 2.34.
        let needed = try run("/usr/bin/env", ["readelf", "-d", binary]).stdout
        #expect(needed.contains("[libpthread.so.0]") && needed.contains("[libdl.so.2]") && needed.contains("[libc.so.6]"))

        let ran = try run(binary)
        #expect(ran.status == 0)
        #expect(ran.stdout == "constructed=1 joined=42 stat=1 fcntl=1 random=16 dlopen=1\n", "\(ran.stdout) \(ran.stderr)")
    }
}
