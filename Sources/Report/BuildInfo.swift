/// Version stamp of this build. `Scripts/build-release.sh` rewrites the commit line for release builds.
public enum BuildInfo {
    public static let version = "0.1.0"
    public static let commit = "dev"
}
