import Foundation
import Testing

/// `Scripts/build-deb.sh` with the debug binaries: the .deb installs into a throw-away root with dpkg, its
/// maintainer scripts enable the units there (never on this host), and systemd accepts the units.
@Suite(.enabled(if: Paths.hasDebugBinary && toolExists("dpkg-deb") && toolExists("dpkg")))
struct DebPackageTests {
    /// `$BKDIAG_SYSTEMD_DIR` or the repository's `systemd/` when it holds units, else throw-away ones.
    static func unitDirectory(in tmp: TempDir) throws -> String {
        let repoUnits =
            ProcessInfo.processInfo.environment["BKDIAG_SYSTEMD_DIR"]
            ?? Paths.repoTop.appendingPathComponent("systemd").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: repoUnits)) ?? []
        if names.contains(where: { $0.hasSuffix(".service") }) { return repoUnits }
        let dir = tmp.path("units")
        try write(
            """
            [Unit]
            Description=bkdiag daemon (test unit)
            Requires=bkdiag.socket

            [Service]
            ExecStart=/usr/bin/bkdiag daemon --config /etc/bkdiag/bkdiag.yaml
            ExecReload=/bin/kill -HUP $MAINPID

            [Install]
            WantedBy=multi-user.target

            """, to: dir + "/bkdiag.service")
        try write(
            """
            [Unit]
            Description=bkdiag report socket (test unit)

            [Socket]
            ListenStream=/run/bkdiag/bkdiag.sock

            [Install]
            WantedBy=sockets.target

            """, to: dir + "/bkdiag.socket")
        try write(
            """
            [Unit]
            Description=bkdiag self-check (test unit)

            [Service]
            Type=oneshot
            ExecStart=/usr/bin/bkdiag check --once

            """, to: dir + "/bkdiag-selfcheck.service")
        try write(
            """
            [Unit]
            Description=bkdiag self-check timer (test unit)

            [Timer]
            OnCalendar=hourly

            [Install]
            WantedBy=timers.target

            """, to: dir + "/bkdiag-selfcheck.timer")
        return dir
    }

    /// Builds the .debs from the debug binaries into `tmp/out`; returns the node package's path, the unit
    /// directory and the fleet package's path (the debug build has bkdiag-fleet too).
    static func buildDeb(in tmp: TempDir) throws -> (deb: String, units: String, fleet: String) {
        let units = try unitDirectory(in: tmp)
        let result = try run(
            Paths.script("build-deb.sh"), ["--bin-dir", Paths.binDir.path, "--out", tmp.path("out")],
            environment: ["BKDIAG_SYSTEMD_DIR": units, "BKDIAG_DEB_COMPRESS": "none"])
        try #require(result.status == 0, "build-deb.sh failed: \(result.stderr)")
        let debs = result.lines.filter { $0.hasSuffix(".deb") }
        #expect(debs.count == 2, "expected two packages: \(debs)")
        let deb = try #require(debs.first { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix("bkdiag_") })
        let fleet = try #require(debs.first { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix("bkdiag-fleet_") })
        #expect(exists(deb) && exists(fleet))
        return (deb, units, fleet)
    }

    /// The paths a package holds (`dpkg-deb -c`), without the leading `.`.
    static func contents(_ deb: String) throws -> [String] {
        try run("/usr/bin/env", ["dpkg-deb", "-c", deb]).lines.compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map { String($0.dropFirst()) }
        }
    }

    /// The node package holds nothing of the fleet tool; the fleet tool is its own package with its man page.
    @Test func fleetToolIsItsOwnPackage() throws {
        let tmp = try TempDir()
        let (deb, _, fleet) = try Self.buildDeb(in: tmp)
        let node = try Self.contents(deb)
        #expect(
            node.contains("/usr/bin/bkdiag") && node.contains("/usr/share/bkdiag/check.py")
                && node.contains("/usr/share/bkdiag/job-check.sh"))
        #expect(
            !node.contains { $0.contains("fleet") && !$0.hasSuffix(".md") },
            "fleet files in the node package: \(node.filter { $0.contains("fleet") })")
        let central = try Self.contents(fleet)
        for path in ["/usr/bin/bkdiag-fleet", "/usr/share/man/man1/bkdiag-fleet.1.gz", "/usr/share/doc/bkdiag-fleet/copyright"] {
            #expect(central.contains(path), "\(path) missing from bkdiag-fleet")
        }
        #expect(!central.contains("/usr/bin/bkdiag"))
        let control = try run("/usr/bin/env", ["dpkg-deb", "-f", fleet, "Package", "Version", "Depends"]).stdout
        #expect(control.contains("Package: bkdiag-fleet\n") && control.contains("Depends: libc6"))
        let version = try run("/usr/bin/env", ["dpkg-deb", "-f", deb, "Version"]).stdout
        #expect(control.contains(version.trimmingCharacters(in: .newlines)))
        // The node package's libc6 floor is its binary's newest GLIBC_ symbol version.
        let floor = try run(Paths.script("elf-info.sh"), ["glibc", Paths.binDir.appendingPathComponent("bkdiag").path]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let nodeDepends = try run("/usr/bin/env", ["dpkg-deb", "-f", deb, "Depends"]).stdout
        #expect(nodeDepends.contains("libc6 (>= \(floor))"), "Depends \(nodeDepends) does not state glibc \(floor)")
    }

    /// `WantedBy=` targets of a unit file.
    static func wantedBy(_ unitPath: String) -> [String] {
        var targets: [String] = []
        for line in readText(unitPath).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("WantedBy=") else { continue }
            targets += trimmed.dropFirst("WantedBy=".count).split(separator: " ").map(String.init)
        }
        return targets
    }

    @Test func installsIntoAThrowAwayRootAndPurgesCleanly() throws {
        let tmp = try TempDir()
        let (deb, units, _) = try Self.buildDeb(in: tmp)
        let root = tmp.path("root")
        for dir in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
            try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        for file in ["var/lib/dpkg/status", "var/lib/dpkg/available"] { try write("", to: root + "/" + file) }
        let dpkg = ["--root=\(root)", "--force-not-root", "--force-script-chrootless", "--force-depends", "--log=/dev/null"]

        let install = try run("/usr/bin/env", ["dpkg"] + dpkg + ["-i", deb])
        try #require(install.status == 0, "dpkg -i failed: \(install.stderr)")

        for file in [
            "usr/bin/bkdiag", "etc/bkdiag/bkdiag.yaml", "usr/share/bkdiag/job-check.sh", "usr/share/bkdiag/check.py",
            "usr/share/man/man1/bkdiag.1.gz", "usr/share/doc/bkdiag/copyright", "usr/share/doc/bkdiag/changelog.gz",
        ] {
            #expect(exists(root + "/" + file), "\(file) is not installed")
        }
        #expect(FileManager.default.isExecutableFile(atPath: root + "/usr/bin/bkdiag"))
        let version = try run(root + "/usr/bin/bkdiag", ["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("0."))

        // The default config: every key commented out but `interval: 60`.
        let active = readText(root + "/etc/bkdiag/bkdiag.yaml").split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(active == ["interval: 60"])

        let unitNames = try FileManager.default.contentsOfDirectory(atPath: units)
            .filter { $0.hasSuffix(".service") || $0.hasSuffix(".socket") || $0.hasSuffix(".timer") }
        for name in unitNames { #expect(exists(root + "/lib/systemd/system/" + name), "\(name) is not installed") }

        let status = try run(
            "/usr/bin/env",
            [
                "dpkg-query", "--admindir=\(root)/var/lib/dpkg", "-W",
                "-f", "${Status}|${Conffiles}", "bkdiag",
            ])
        #expect(status.stdout.hasPrefix("install ok installed|"))
        #expect(status.stdout.contains("/etc/bkdiag/bkdiag.yaml"))

        // postinst enabled the daemon and its socket inside the root, offline; the timer (the opt-in
        // alternative to the daemon) stays disabled.
        var links: [String] = []
        if toolExists("deb-systemd-helper") {
            for name in unitNames {
                let enabled = name == "bkdiag.service" || name == "bkdiag.socket"
                for target in Self.wantedBy(units + "/" + name) {
                    let link = "\(root)/etc/systemd/system/\(target).wants/\(name)"
                    #expect(isSymlink(link) == enabled, "\(name) enabled: \(isSymlink(link)), expected \(enabled)")
                    links.append(link)
                }
            }
            #expect(!links.isEmpty)
        }

        let purge = try run("/usr/bin/env", ["dpkg"] + dpkg + ["-P", "bkdiag"])
        try #require(purge.status == 0, "dpkg -P failed: \(purge.stderr)")
        for file in ["usr/bin/bkdiag", "etc/bkdiag/bkdiag.yaml", "usr/share/bkdiag/job-check.sh"] {
            #expect(!exists(root + "/" + file), "\(file) survived the purge")
        }
        for link in links { #expect(!isSymlink(link), "\(link) survived the purge") }
    }

    @Test func manPageComesFromHelp() throws {
        let tmp = try TempDir()
        let (deb, _, _) = try Self.buildDeb(in: tmp)
        let tree = tmp.path("tree")
        #expect(try run("/usr/bin/env", ["dpkg-deb", "-x", deb, tree]).status == 0)
        let page = try run("/bin/sh", ["-c", "gzip -dc \"$1\"", "sh", tree + "/usr/share/man/man1/bkdiag.1.gz"])
        #expect(page.stdout.hasPrefix(".TH BKDIAG 1 "))
        #expect(page.stdout.contains("\n.SH NAME\nbkdiag \\- "))
        // The page carries bkdiag's own --help text.
        let help = try run(Paths.binDir.appendingPathComponent("bkdiag").path, ["--help"])
        let firstLine = try #require(help.lines.first)
        #expect(page.stdout.contains(firstLine.replacingOccurrences(of: "\\", with: "\\e")))
        let control = try run("/usr/bin/env", ["dpkg-deb", "-f", deb, "Package", "Depends"])
        #expect(control.stdout.contains("Package: bkdiag"))
        #expect(control.stdout.contains("Depends: libc6"))
    }

    @Test(.enabled(if: toolExists("systemd-analyze")))
    func systemdAcceptsTheUnits() throws {
        let tmp = try TempDir()
        let (deb, units, _) = try Self.buildDeb(in: tmp)
        let tree = tmp.path("tree")
        #expect(try run("/usr/bin/env", ["dpkg-deb", "-x", deb, tree]).status == 0)
        // Verify copies of the installed units whose /usr/bin/bkdiag* point into the unpacked tree, so systemd
        // checks the commands the package really installs; the rest (targets, /bin/kill) comes from this host.
        let copies = tmp.path("verify")
        try FileManager.default.createDirectory(atPath: copies, withIntermediateDirectories: true)
        var paths: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: units)
        where name.hasSuffix(".service") || name.hasSuffix(".socket") || name.hasSuffix(".timer") {
            let installed = readText(tree + "/lib/systemd/system/" + name)
            #expect(!installed.isEmpty, "\(name) is not in the package")
            try write(installed.replacingOccurrences(of: "/usr/bin/bkdiag", with: tree + "/usr/bin/bkdiag"), to: copies + "/" + name)
            paths.append(copies + "/" + name)
        }
        let verify = try run("/usr/bin/env", ["systemd-analyze", "verify", "--man=no"] + paths.sorted())
        #expect(verify.status == 0)
        #expect(verify.stderr.isEmpty, "systemd-analyze verify complained:\n\(verify.stderr)")
    }
}
