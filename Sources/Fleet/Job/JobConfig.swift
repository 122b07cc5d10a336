import Foundation
import Report

/// Where and as whom to call JOB. The secret is never printed: `description` masks it.
public struct JobConfig: Sendable, CustomStringConvertible {
    /// e.g. `http://bkapi.example/api/bk-job/prod/api/v3/` (a missing trailing slash is added).
    public var baseURL: String
    public var appCode: String
    public var appSecret: String
    public var username: String
    public var bizID: Int64
    /// `biz` (business) or `biz_set`.
    public var scopeType: String

    public init(baseURL: String, appCode: String, appSecret: String, username: String, bizID: Int64, scopeType: String = "biz") {
        self.baseURL = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        self.appCode = appCode
        self.appSecret = appSecret
        self.username = username
        self.bizID = bizID
        self.scopeType = scopeType
    }

    public var description: String {
        "JobConfig(base_url: \(baseURL), app_code: \(appCode), app_secret: \(appSecret.isEmpty ? "(unset)" : "***"), username: \(username), bk_biz_id: \(bizID))"
    }

    /// The API gateway's `X-Bkapi-Authorization` value.
    var authorization: String {
        JSONValue.object([
            ("bk_app_code", .string(appCode)), ("bk_app_secret", .string(appSecret)), ("bk_username", .string(username)),
        ]).serialized()
    }

    /// Environment variables read by `load`.
    public static let environmentKeys = [
        "BKDIAG_JOB_BASE_URL", "BKDIAG_JOB_APP_CODE", "BKDIAG_JOB_APP_SECRET", "BKDIAG_JOB_USERNAME", "BKDIAG_JOB_BIZ_ID",
    ]

    /// Reads a JSON config file (`base_url`, `app_code`, `app_secret`, `username`, `bk_biz_id`, `scope_type`),
    /// then the environment (`BKDIAG_JOB_*`, which wins), then explicit overrides (which win over both).
    public static func load(
        path: String?, environment: [String: String], overrides: [String: String] = [:]
    ) throws(FleetError) -> JobConfig {
        var values: [String: String] = [:]
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FleetError("config.unreadable", "cannot read the config file \(path); check the path and its permissions")
            }
            let json: JSONValue
            do {
                json = try JSONValue.parse(bytes: [UInt8](data))
            } catch {
                throw FleetError(
                    "config.not-json",
                    "\(path) is not JSON (\(error.description)); write {\"base_url\": ..., \"app_code\": ..., \"app_secret\": ..., \"username\": ..., \"bk_biz_id\": ...}"
                )
            }
            for (k, v) in json.objectValue ?? [] {
                switch v {
                case .string(let s): values[k] = s
                case .int(let i): values[k] = String(i)
                case .bigInt(let t): values[k] = t
                default: break
                }
            }
        }
        let envMap = [
            "BKDIAG_JOB_BASE_URL": "base_url", "BKDIAG_JOB_APP_CODE": "app_code", "BKDIAG_JOB_APP_SECRET": "app_secret",
            "BKDIAG_JOB_USERNAME": "username", "BKDIAG_JOB_BIZ_ID": "bk_biz_id",
        ]
        for (env, key) in envMap { if let v = environment[env], !v.isEmpty { values[key] = v } }
        for (k, v) in overrides where !v.isEmpty { values[k] = v }

        var missing: [String] = []
        for (key, env) in [
            ("base_url", "BKDIAG_JOB_BASE_URL"), ("app_code", "BKDIAG_JOB_APP_CODE"), ("app_secret", "BKDIAG_JOB_APP_SECRET"),
            ("bk_biz_id", "BKDIAG_JOB_BIZ_ID"),
        ]
        where (values[key] ?? "").isEmpty {
            missing.append("\(key) (\(env))")
        }
        if !missing.isEmpty {
            throw FleetError(
                "config.missing",
                "JOB settings missing: \(missing.joined(separator: ", ")); set them in the environment or in a --config JSON file")
        }
        guard let biz = Int64(values["bk_biz_id"]!) else {
            throw FleetError("config.biz", "bk_biz_id must be a number; fix BKDIAG_JOB_BIZ_ID or the config file")
        }
        let base = values["base_url"]!
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw FleetError("config.url", "base_url must start with http:// or https://; fix BKDIAG_JOB_BASE_URL or the config file")
        }
        return JobConfig(
            baseURL: base, appCode: values["app_code"]!, appSecret: values["app_secret"]!,
            username: values["username"] ?? "admin", bizID: biz, scopeType: values["scope_type"] ?? "biz")
    }
}
