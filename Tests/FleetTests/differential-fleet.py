#!/usr/bin/env python3
"""Writes a seeded random fleet as saved JOB answers, and what the platform's loop prints for it.

    python3 Tests/FleetTests/differential-fleet.py DIR SEED HOSTS [JOB_VARIANT]

DIR gets status.json, logs-NNNN.json (pages of about 97 hosts) and expected.txt: the lines
Scripts/agentchecker.py prints for those files, which `bkdiag-fleet parse --format agent --strict-agent`
must print byte for byte (AgentCheckerDifferentialTests). The outputs mix bkdiag reports (members
reordered, repeated, missing or of other types, escapes, non-ASCII, durations of every form), check.py
lines, JSON that Python reads and bkdiag's fast readers do not (NaN, big integers, deep values, lone
surrogates), cut lines, junk and blank lines; hosts in other JOB states, hosts without a log and hosts
logged twice. JOB_VARIANT makes the status answer fail as a whole (JOB_VARIANTS). One divergence is written in: a lone surrogate that Python prints as itself has no UTF-8
form (the loop's own print fails on it), and is written as U+FFFD, as bkdiag-fleet prints it.
"""
import codecs
import io
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
import agentchecker  # noqa: E402

ITEMS = [("log_path", "logpath_match"), ("log_path", "logpath_held"), ("bkunifylogbeat", "bin_file"),
         ("bkunifylogbeat", "process"), ("bkunifylogbeat", "main_config"), ("bkunifylogbeat", "config"),
         ("bkunifylogbeat", "hosted"), ("bkunifylogbeat", "healthz"), ("gse_agent", "process"),
         ("gse_agent", "socket"), ("gse_agent", "socket_queue_status"), ("gse_agent", "dataserver_port"),
         ("log_progress", "pipeline_stall")]
TEXTS = ["ok", "", "/data/logs/*.log matched 3 files", "路径 /data/日志/*.log 不存在", "a \"quoted\" back\\slash",
         "tab\there", "two\nlines", "emoji \U0001F600", "a {host} b", "%s %d {}", "café", "y" * 300, "sep\u2028x",
         " lead", "trail ", "ctrl \x01\x1f", "url http://a/b?c=d&e", "<b>html</b> & 'q'", "\u00a0nbsp \u200b"]
# Values written as JSON text into a report line: what Python's json.loads takes and str() prints.
RAW = ["NaN", "Infinity", "-Infinity", "1E400", "-1e400", "-0.0", "1.0", "1e16", "1e15", "12345678901234567890",
       "0.30000000000000004", "5e-324", "2.5E-5", "100", "-0", "1.5e+300", '"a\\ud800b"', '"\\udc00"',
       '"\\ud83d\\ude00"', '"\\u0000x"', "[" * 40 + "]" * 40, '{"a": {"b": [1, {"c": null}]}}', "true", "false",
       "null", '"\\/\\b\\f\\n\\r\\t"', '"\\u00e9\\u4e2d"', '[1.0, -0.0, true, null, "s", "it\'s"]', '{"k": "v\\"q"}']
JUNK = ["bash: bkdiag: command not found", "Traceback (most recent call last):", "  ", "null", "[]", "{}", "1",
        '"s"', '{"status": true}', '{"data": []}', "NaN", "[1,2", "\ufeff{}", "{'a': 1}", '{"status": tru']


class Fleet:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def text(self):
        return self.r.choice(TEXTS[:4]) if self.r.random() < 0.6 else self.r.choice(TEXTS)

    def odd(self):
        return self.r.choice([1, 0, -1, 1.0, -0.0, 2.5, 1e300, 12345678901234567890123, True, False, None, {"a": 1},
                              [1, "x"], "s", [], {}])

    def number(self):
        return self.r.choice([0, 1, 17, 3.25, 0.001, 1.5e3, -2, 40.123, 1e-7, 123456789012, 0.1, 100.0])

    def entry(self, i, odd):
        r = self.r
        module, item = r.choice(ITEMS)
        ok = r.random() < 0.8
        e = {"module": module, "item": item, "status": ok, "message": self.text(),
             "result": "pass" if ok else r.choice(["fail", "warn", "unknown"]), "label": item,
             "hint": "" if ok else self.text(),
             "evidence": {"pid": 1000 + i, "path": "/usr/local/gse/plugins/bin/bkunifylogbeat", "size": 41234567,
                          "list": [1, 2, {"k": "v"}]},
             "duration_ms": self.number()}
        # An odd member (of another type, missing, added) sends the whole report to the usual reader: only the
        # odd reports carry them, so that most reports are read by the fast one.
        x = r.random() if odd else 1
        if x < 0.05:
            e["message"] = self.odd()
        elif x < 0.08:
            e["status"] = r.choice(["true", 1, None, "false", 0, [], "0"])
        elif x < 0.11:
            e["result"] = r.choice(["PASS", "ok", 3, None, "warn"])
        elif x < 0.13:
            e["hint"] = self.odd()
        elif x < 0.15:
            e["duration_ms"] = r.choice(["12", None, -1, 1e308, 10 ** 30, True, 1.5e-9])
        elif x < 0.17:
            del e[r.choice(["module", "item", "status", "message", "result", "hint", "evidence", "duration_ms", "label"])]
        elif x < 0.19:
            e["extra"] = self.odd()
        elif x < 0.21:
            e["module"] = self.odd()
        keys = list(e)
        if odd and r.random() < 0.1:
            r.shuffle(keys)
        return {k: e[k] for k in keys}

    def dumps(self, o):
        x = self.r.random()
        if x < 0.5:
            return json.dumps(o, ensure_ascii=False, separators=(",", ":"))
        if x < 0.8:
            return json.dumps(o, ensure_ascii=True)
        return json.dumps(o, ensure_ascii=False, separators=(", ", ": "))

    def report(self, i):
        r = self.r
        odd = r.random() < 0.3
        data = [self.entry(i, odd) for _ in range(r.randint(0, 12))]
        failing = sum(1 for d in data if d.get("status") is not True)
        rep = {"status": failing == 0, "data": data, "schema": "bkdiag.report/1",
               "result": "pass" if failing == 0 else "fail",
               "summary": {"pass": len(data) - failing, "warn": 0, "fail": failing, "unknown": 0},
               "version": "0.1.0", "host": {"hostname": "host-%d" % i, "machine_id": "%032x" % i, "kernel": "5.10.0"},
               "generated_at": "2026-11-23T10:00:00.000Z", "generated_at_ms": 1795000000000 + i, "duration_ms": 310.5,
               "context": {"gse_root": "/usr/local/gse", "layout": "gse2"}}
        x = r.random() if odd else 1
        if x < 0.1:
            rep["data"] = self.odd()
        elif x < 0.16:
            del rep["data"]
        elif x < 0.23:
            rep["status"] = self.odd()
        elif x < 0.3:
            rep["host"] = self.odd()
        line = self.dumps(rep)
        starts = [k + 1 for k in range(len(line)) if line.startswith('{"module"', k)]
        if starts and r.random() < 0.1:
            # An entry with a member twice, the first before the others: json.loads keeps the last.
            at = r.choice(starts)
            dup = r.choice(['"message": "first"', '"status": false', '"module": "first"', '"item": "socket"',
                            '"hint": "first"', '"result": "fail"', '"evidence": []', '"duration_ms": 1'])
            line = line[:at] + dup + ", " + line[at:]
        if odd and r.random() < 0.1:
            # A repeated member: json.loads keeps the last.
            line = line[:-1] + ', "status": %s}' % r.choice(["true", "false", "1", "null"])
        return line

    def checkpy(self):
        ok = self.r.random() < 0.7
        return self.dumps({"status": ok, "data": [
            {"module": "bkunifylogbeat", "item": "bin_file", "status": True, "message": ""},
            {"module": "bkunifylogbeat", "item": "process", "status": ok,
             "message": "cpu_usage: 0.3%" if ok else "bkunifylogbeat is not running"},
            {"module": "gse_agent", "item": "dataserver_port", "status": True, "message": self.text()}]})

    def raw_line(self):
        r = self.r
        v = r.choice(RAW)
        x = r.random()
        if x < 0.5:
            return '{"status": true, "data": [{"module": "m", "item": "process", "status": true, "message": %s}]}' % v
        if x < 0.6:
            return '{"status": %s, "data": [{"module": %s, "item": "socket", "status": %s, "message": "x"}]}' % (
                r.choice(RAW), v, r.choice(RAW))
        if x < 0.7:
            return '{"status": true, "data": [%s, {"module": "m", "item": "i", "status": false, "message": "y"}]}' % v
        if x < 0.8:
            return '{"status": true, "data": [{"module": "m", "status": true, "message": "x"}], "status": %s}' % v
        if x < 0.9:
            return ' \t{"status": false, "data": [{"item": "bin_file", "module": "a", "message": "m", "status": 0, ' \
                   '"message": %s}]} ' % v
        return '{"data": [], "status": %s}' % v

    def output(self, i):
        r = self.r
        if r.random() < 0.6:
            # Most hosts print what bkdiag or check.py prints: one line.
            line = self.report(i) if r.random() < 0.85 else self.checkpy()
            return line + "\n" if r.random() < 0.8 else line
        lines = []
        for _ in range(r.choice([0, 1, 1, 2, 3])):
            x = r.random()
            if x < 0.6:
                lines.append(self.report(i))
            elif x < 0.72:
                lines.append(self.checkpy())
            elif x < 0.82:
                lines.append(self.raw_line())
            elif x < 0.87:
                lines.append(self.report(i)[:r.randint(1, 200)])
            elif x < 0.92:
                lines.append(r.choice(JUNK))
            elif x < 0.96:
                lines.append("")
            else:
                lines.append(self.report(i) + "\r")
        text = "\n".join(lines)
        return text + "\n" if r.random() < 0.5 else text


# How the status answer may fail as a whole (item 1 of issue 14): AgentChecker prints job-level lines then.
JOB_VARIANTS = ["unfinished", "refused", "no_steps", "other_step", "no_hosts", "gateway"]


def status_answer(hosts, variant):
    step = {"step_instance_id": 2, "status": 3, "step_ip_result_list": hosts}
    data = {"finished": True, "job_instance": {"job_instance_id": 1, "status": 3}, "step_instance_list": [step]}
    if variant == "unfinished":
        data["finished"] = False
        data["job_instance"]["status"] = 2
    elif variant == "refused":
        return {"result": False, "code": 1244002, "message": "作业实例不存在", "data": None}
    elif variant == "gateway":
        return {"code": 9900403, "message": "app permission denied"}
    elif variant == "no_steps":
        data["step_instance_list"] = []
    elif variant == "other_step":
        step["step_instance_id"] = 5
    elif variant == "no_hosts":
        step["step_ip_result_list"] = []
    return {"result": True, "code": 0, "message": "success", "data": data}


def write(out, seed, count, variant=None):
    f = Fleet(seed)
    r = f.r
    hosts, page, pages = [], [], 0

    def flush():
        nonlocal page, pages
        if not page:
            return
        pages += 1
        with open("%s/logs-%04d.json" % (out, pages), "w", encoding="utf-8") as fh:
            json.dump({"result": True, "code": 0, "message": "success",
                       "data": {"log_type": 1, "job_instance_id": 1, "step_instance_id": 2, "script_task_logs": page}},
                      fh, ensure_ascii=r.random() < 0.5)
        page = []

    for i in range(count):
        ip = "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256)
        state = r.choice([9] * 40 + [11, 310, 3, 104, 12])
        cloud = r.choice([0, 0, 0, 1])
        hosts.append({"bk_host_id": i + 1, "ip": ip, "bk_cloud_id": cloud, "status": state, "tag": "",
                      "exit_code": 0 if state == 9 else 1, "error_code": 0, "start_time": 1, "end_time": 2,
                      "total_time": 1})
        if r.random() < 0.03:
            continue  # JOB returned no log for this host
        log = {"host_id": i + 1, "bk_host_id": i + 1, "bk_cloud_id": cloud, "ip": ip, "log_content": f.output(i)}
        page.append(log)
        if r.random() < 0.02:
            # The same host again: the platform keeps the last log.
            page.append(dict(log, log_content=f.output(i)))
        if len(page) >= 97:
            flush()
    flush()
    with open(out + "/status.json", "w", encoding="utf-8") as fh:
        json.dump(status_answer(hosts, variant), fh)
    names = ["status.json"] + ["logs-%04d.json" % k for k in range(1, pages + 1)]
    return [os.path.join(out, n) for n in names]


def main(argv):
    out, seed, count = argv[0], int(argv[1]), int(argv[2])
    variant = argv[3] if len(argv) > 3 else None
    if variant is not None and variant not in JOB_VARIANTS:
        sys.exit("unknown job variant %r (%s)" % (variant, ", ".join(JOB_VARIANTS)))
    paths = write(out, seed, count, variant)
    codecs.register_error("bkdiag-fffd", lambda e: (b"\xef\xbf\xbd" * (e.end - e.start), e.end))
    with open(os.path.join(out, "expected.txt"), "w", encoding="utf-8", errors="bkdiag-fffd", newline="") as fh:
        saved = sys.stdout
        sys.stdout = fh
        try:
            agentchecker.main(paths)
        finally:
            sys.stdout = saved
    with open(os.path.join(out, "files.txt"), "w") as fh:
        fh.write("\n".join(paths) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
