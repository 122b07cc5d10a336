#!/usr/bin/env python3
"""The log platform's AgentChecker parsing loop, re-stated in plain Python for comparison and timing.

Usage: agentchecker.py [--step ID] [--record] FILE...   (saved JOB answers, as `bkdiag-fleet parse` reads them)

With --record, every line is also kept as bk-log's CheckCollectorRecord keeps it: appended to the record's
`infos`, after which the whole record is saved (`dataclasses.asdict`, then `cache.set`, which pickles it). The
cache server is left out; the pickling is timed. That saving is quadratic in the lines (each one copies all
before it), so use it on a few hundred or thousand hosts, not 100,000.

It follows what bk-monitor's AgentChecker does once JOB has answered (see docs/fleet.md): the status
answer's step gives the host list, each host's `log_content` is split on newlines, every non-empty line
goes through `json.loads`, and one record line is printed per host and per `data` entry, with Python's
own str() of the values and Python's own exception texts. It is written for this project, not taken
from the platform; `Scripts/bench-fleet.sh` times it beside `bkdiag-fleet parse`, and
`Tests/FleetTests/record-python.py` uses `host_lines` to record what CPython prints.
"""
import json
import pickle
import sys
from dataclasses import asdict, dataclass

# The platform's own item labels (CHECK_AGENT_STEP, bklog/apps/log_databus/constants.py, on bk-monitor's
# feat/collector_check branch, whose check.py reports the log_path items; master lists only the first nine and
# its check.py reports no log_path item). Other items (bkdiag's log_progress ones) print "gse agent检查".
LABELS = {
    "bin_file": "检查二进制文件是否存在",
    "process": "检查进程是否存在",
    "main_config": "检查主配置是否存在及正确",
    "config": "检查配置是否正确",
    "hosted": "检查采集插件是否被gse_agent托管",
    "socket": "检查socket文件是否存在",
    "healthz": "执行healthz自检查查看结果",
    "socket_queue_status": "检查socket队列状态",
    "dataserver_port": "检查data server端口是否存在",
    "logpath_match": "检查日志采集路径是否存在",
    "logpath_held": "检查日志采集路径是否持有句柄",
}
HOST_STATES = {9: "成功", 310: "Agent异常"}
POLL_SECONDS = 5 * 20


def host_lines(host, text, out):
    """Appends (level, text) for every non-empty line of one host's output."""
    for line in text.split("\n"):
        if not line:
            continue
        try:
            report = json.loads(line)
            if not report["status"]:
                out.append(("error", "[%s] 失败, 查看详情" % host))
            else:
                out.append(("info", "[%s] 成功" % host))
            for entry in report["data"]:
                module = entry["module"]
                label = LABELS.get(entry["item"], "gse agent检查")
                message = entry["message"]
                verdict = "成功" if entry["status"] else "失败"
                out.append(("info" if verdict == "成功" else "error", "[{}] [{}] [{}] {}".format(module, label, verdict, message)))
        except Exception as e:  # the platform catches everything here
            out.append(("error", "[获取作业执行结果] [{}] 获取脚本执行结果失败, 报错为: {}".format(host, str(e))))


def unwrap(doc):
    if isinstance(doc, dict) and ("result" in doc or ("data" in doc and "code" in doc)):
        return doc.get("data"), doc
    return doc, None


def int_value(v):
    """The integer a JSON value reads as where an integer is expected (digits in a string too)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() and abs(v) < 9e18 else None
    if isinstance(v, str):
        t = v.strip(" \t\r\n")
        return int(t) if t.lstrip("+-").isdigit() and t.lstrip("+-").isascii() and len(t) - len(t.lstrip("+-")) <= 1 else None
    return None


def refused(wrapper):
    """Whether an answer refuses: its `result` false to Python. bk-log's DataAPI takes an answer without
    `result` as a success (it sets `result` to True); only an API gateway's own refusal, a non-zero code with a
    message and no result (which reaches the platform as an HTTP error), is a refusal there."""
    if "result" in wrapper:
        return not wrapper["result"]
    code = int_value(wrapper.get("code"))
    return code is not None and code != 0 and "message" in wrapper


@dataclass
class Record:
    """The shape bk-log saves a check's lines in (status, infos)."""
    status: str
    infos: list


def main(argv):
    step_id = None
    record = False
    files = []
    args = iter(argv)
    for a in args:
        if a == "--step":
            step_id = int(next(args))
        elif a == "--record":
            record = True
        else:
            files.append(a)
    status = None
    failure = None
    logs = []
    job_id = 0
    for path in files:
        with open(path, "rb") as f:
            raw = f.read().decode("utf-8", "replace")
        dec = json.JSONDecoder()
        pos = 0
        while True:
            while pos < len(raw) and raw[pos] in " \t\r\n":
                pos += 1
            if pos >= len(raw):
                break
            doc, pos = dec.raw_decode(raw, pos)
            data, wrapper = unwrap(doc)
            # A gateway's own refusal may come without `data` (`{"code": 9900403, "message": ...}`): not read as
            # a wrapper, it is still a refusal, as `refused` says.
            if isinstance(doc, dict) and refused(doc):
                failure = doc
                continue
            if not isinstance(data, dict):
                continue
            if "step_instance_list" in data or "finished" in data:
                status = data
                job_id = (data.get("job_instance") or {}).get("job_instance_id", job_id)
            elif "script_task_logs" in data:
                logs.extend(data.get("script_task_logs") or [])
                job_id = data.get("job_instance_id", job_id) or job_id
                if step_id is None:
                    step_id = data.get("step_instance_id")
    out = []
    ip_status = []
    # The platform writes one line per status poll before asking, up to 5 polls: a finished answer
    # ends them at the first; an unfinished one or an API error is asked all 5 times.
    if status is not None or failure is not None:
        polls = 1 if status is not None and status.get("finished") else 5
        for i in range(polls):
            out.append(("info", "[获取作业执行状态] 作业: {}, 执行次数: {}".format(job_id, i + 1)))
    if status is None:
        if failure is not None:
            code = failure.get("code") or "3600002"
            out.append(("error", "[获取作业执行状态] 作业: {}] 报错为: [{}] [JOB作业平台-API]{} path => {}".format(
                job_id, code, failure.get("message"), "/api/c/compapi/v2/jobv3/get_job_instance_status/")))
    elif not status.get("finished"):
        out.append(("error", "[获取作业执行状态] 作业: {}, 超时: {}s".format(job_id, POLL_SECONDS)))
    else:
        steps = status.get("step_instance_list", [])
        if not steps:
            out.append(("error", "[获取作业执行状态] 作业: {}, 执行状态为空".format(job_id)))
        for step in steps:
            if step_id is None or step["step_instance_id"] == step_id:
                ip_status = step.get("step_ip_result_list", [])
                if step_id is None and ip_status:
                    break
        if steps and not ip_status:
            out.append(("error", "[获取作业执行状态] 作业: {}, 超时: {}s".format(job_id, POLL_SECONDS)))
    if ip_status:
        if len(ip_status) != len(logs):
            out.append(("warning", "[获取作业执行结果] 作业: {}, 数据不完整".format(job_id)))
        if not logs:
            out.append(("error", "[获取作业执行结果] 作业: {}, 数据为空".format(job_id)))
    states = {}
    for h in ip_status:
        states["{}:{}".format(h["bk_cloud_id"], h["ip"])] = h["status"]
    contents = {}
    for h in logs:
        contents["{}:{}".format(h["bk_cloud_id"], h["ip"])] = h["log_content"]
    for host, state in states.items():
        if state == 9:
            if contents.get(host, ""):
                host_lines(host, contents[host], out)
        else:
            out.append(("error", "[获取作业执行结果] [{}] 脚本执行结果, 执行状态为: {}".format(host, HOST_STATES.get(state, state))))
    if record:
        saved = Record("running", [])
        for level, text in out:
            saved.infos.append("[%s][agent checker]%s" % (level, text))
            pickle.dumps(asdict(saved))
    w = sys.stdout.write
    for level, text in out:
        w("[%s] [agent checker] %s\n" % (level, text))


if __name__ == "__main__":
    main(sys.argv[1:])
