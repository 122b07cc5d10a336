import Report

extension FleetReport {
    /// One-character cell codes of the heatmap; shared by the page's script and its legend.
    static let cellCode: [(code: Character, name: String, colour: String)] = [
        ("p", "pass", "#2e7d32"), ("w", "warn", "#f9a825"), ("f", "fail", "#c62828"), ("u", "unknown", "#7b1fa2"),
        ("-", "not reported", "#e6e6e6"), ("j", "job failed", "#37474f"), ("n", "no output", "#90a4ae"),
        ("x", "unparseable", "#8d6e63"), ("m", "missing from logs", "#b0bec5"), ("e", "log fetch failed", "#ff7043"),
        ("r", "not finished", "#4fc3f7"),
    ]

    static func cellChar(_ v: Verdict) -> Character {
        switch v {
        case .pass: "p"
        case .warn: "w"
        case .fail: "f"
        case .unknown: "u"
        }
    }

    static func stateChar(_ s: HostState) -> Character {
        switch s {
        case .pass: "p"
        case .warn: "w"
        case .fail: "f"
        case .unknown: "u"
        case .jobFailed: "j"
        case .noOutput: "n"
        case .unparseable: "x"
        case .missingLog: "m"
        case .fetchFailed: "e"
        case .notFinished: "r"
        }
    }

    /// A self-contained HTML page (no external assets): summary, failure groups (first), issues, item counts and
    /// a host × check heatmap drawn on a canvas, with a filter box. Stays light for 10,000+ hosts: hosts are one compact string
    /// each in an embedded JSON block, and the DOM lists at most `hostsPerGroup` hosts per group.
    public func html(hostsPerGroup: Int = 30) -> String {
        let s = summary
        var out = ""
        out.reserveCapacity(4096 + hosts.count * 48)
        let title = "bkdiag-fleet" + (jobInstanceID.map { " — job \($0)" } ?? "")
        out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        out += "<title>\(Self.esc(title))</title><style>\(Self.css)</style></head><body>\n"
        out += "<header><h1>\(Self.esc(title))</h1><p id=\"headline\">\(Self.esc(headline))</p>"
        out += "<p class=\"meta\">generated \(Timestamp.iso8601(milliseconds: generatedAtMs)) by \(source)"
        out += " · producers: " + Self.esc(s.producers.map { "\($0.0) \($0.1)" }.joined(separator: ", ")) + "</p></header>\n"

        // Summary cards and the state bar.
        out += "<section id=\"summary\"><div class=\"cards\">"
        func card(_ label: String, _ value: Int, _ cls: String) {
            out += "<div class=\"card \(cls)\"><b>\(value)</b><span>\(Self.esc(label))</span></div>"
        }
        card("hosts", s.hostCount, "")
        card("healthy", s.healthy, "ok")
        card("failing", s.count(.fail) + s.count(.unknown), "bad")
        card("no usable output", s.noUsableOutput.count, "grey")
        if gseGiven { card("agent offline", s.count(.agentOffline), "grey") }
        card("failure groups", s.groups.count, "")
        out += "</div><div class=\"bar\" title=\"hosts by state\">"
        for (state, n) in s.states where n > 0 {
            let colour = Self.colour(Self.stateChar(state))
            let pct = Double(n) * 100 / Double(max(1, s.hostCount))
            out += "<span style=\"width:\(Self.fmt(pct))%;background:\(colour)\" title=\"\(state.rawValue): \(n)\"></span>"
        }
        out +=
            "</div><p class=\"legend\">"
            + s.states.map { "<i style=\"background:\(Self.colour(Self.stateChar($0.0)))\"></i>\($0.0.rawValue) \($0.1)" }.joined(
                separator: " ") + "</p>"
        if gseGiven {
            out += "<p>diagnoses: " + Self.esc(s.diagnoses.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")) + "</p>"
        }
        out += "</section>\n"

        // JOB itself failed: said before anything else.
        if let jobFailure {
            out +=
                "<section id=\"job-failure\"><p class=\"jobfail\"><b>\(Self.esc(jobFailure.summary))</b><br><code>\(Self.esc(jobFailure.line.line))</code></p></section>\n"
        }

        // Failure groups.
        // Failure groups lead: largest first, each with its hosts and hints.
        out += "<section id=\"groups\"><h2>Failure groups (\(s.groups.count))</h2>"
        if s.groups.isEmpty { out += "<p>No failing host.</p>" }
        for (n, g) in s.groups.prefix(Self.groupsListed).enumerated() {
            out +=
                "<details class=\"group\" id=\"g-\(g.id)\"\(n < 3 ? " open" : "")><summary><b>\(g.hosts.count)</b> host\(g.hosts.count == 1 ? "" : "s") · <code>\(g.id)</code> · \(Self.esc(g.title))</summary>"
            out += "<ul class=\"entries\">"
            for e in g.entries { out += "<li><code>\(Self.esc(e.item))</code> \(Self.esc(e.message))</li>" }
            out += "</ul>"
            if !g.topHints.isEmpty {
                out += "<p class=\"hints\">Hints:</p><ul>"
                for h in g.topHints { out += "<li>\(Self.esc(h.hint)) <small>(\(h.hosts) host\(h.hosts == 1 ? "" : "s"))</small></li>" }
                out += "</ul>"
            }
            if g.diagnoses.count > 1 || gseGiven {
                out += "<p>" + Self.esc(g.diagnoses.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")) + "</p>"
            }
            out += "<p class=\"hosts\">" + g.hosts.prefix(hostsPerGroup).map { "<code>\(Self.esc($0))</code>" }.joined(separator: " ")
            if g.hosts.count > hostsPerGroup {
                out += " … and \(g.hosts.count - hostsPerGroup) more (filter <code>g:\(g.id)</code> in the heatmap)"
            }
            out += "</p></details>"
        }
        if let more = groupsNotListed(s) { out += "<p class=\"meta\">\(Self.esc(more))</p>" }
        out += "</section>\n"

        // Issues.
        if !issues.isEmpty {
            out += "<section id=\"issues\"><h2>Issues</h2><ul>"
            for i in issues {
                out +=
                    "<li class=\"\(i.level.rawValue)\"><b>\(i.level.rawValue)</b> <code>\(Self.esc(i.step))</code> \(Self.esc(i.message))"
                if !i.hosts.isEmpty { out += " <small>(" + Self.esc(Self.list(i.hosts, max: 10)) + ")</small>" }
                out += "</li>"
            }
            out += "</ul></section>\n"
        }

        // Item counts.
        if !s.itemCounts.isEmpty {
            out +=
                "<section id=\"items\"><h2>Check items</h2><table><thead><tr><th>item</th><th>label</th><th>pass</th><th>warn</th><th>fail</th><th>unknown</th><th></th></tr></thead><tbody>"
            for c in s.itemCounts {
                let t = max(1, c.counts.total)
                out += "<tr><td><code>\(Self.esc(c.item.description))</code></td><td>\(Self.esc(c.item.label))</td>"
                out +=
                    "<td>\(c.counts.pass)</td><td>\(c.counts.warn)</td><td class=\"\(c.counts.fail > 0 ? "bad" : "")\">\(c.counts.fail)</td><td>\(c.counts.unknown)</td>"
                out += "<td class=\"mini\"><div class=\"bar small\">"
                for (v, n) in [(Verdict.pass, c.counts.pass), (.warn, c.counts.warn), (.fail, c.counts.fail), (.unknown, c.counts.unknown)]
                where n > 0 {
                    out +=
                        "<span style=\"width:\(Self.fmt(Double(n) * 100 / Double(t)))%;background:\(Self.colour(Self.cellChar(v)))\"></span>"
                }
                out += "</div></td></tr>"
            }
            out += "</tbody></table></section>\n"
        }

        // Heatmap.
        out += "<section id=\"heatmap\"><h2>Hosts × checks</h2>"
        out +=
            "<p><input id=\"filter\" type=\"search\" placeholder=\"filter: ip, state (fail, no_output …), g:GROUP\" size=\"48\"> <span id=\"shown\"></span></p>"
        out +=
            "<p class=\"legend\">" + Self.cellCode.map { "<i style=\"background:\($0.colour)\"></i>\($0.name)" }.joined(separator: " ")
            + "</p>"
        out +=
            "<p class=\"meta\">one column per host (sorted by failure group), one row per check item; hover for details, click to pin; a link may carry <code>#filter=…</code>.</p>"
        out += "<canvas id=\"hm\" width=\"1200\" height=\"100\"></canvas><pre id=\"tip\">hover over a cell</pre></section>\n"

        // Data.
        out += "<script id=\"fleet-data\" type=\"application/json\">"
        var data = JSONByteWriter(capacity: 64 * hosts.count + (1 << 16))
        writeHeatmapData(to: &data)
        out += String(decoding: Self.scriptSafe(bytes: data.bytes), as: UTF8.self)
        out += "</script>\n<script>\(Self.script)</script>\n</body></html>\n"
        return out
    }

    /// `{"items": [...], "groups": [[id, title], ...], "colours": {...}, "hosts": [[key, state, group, cells], ...]}`;
    /// hosts sorted by group (failing groups first, ungrouped last), then by their report order.
    func heatmapData() -> JSONValue {
        let s = summary
        let heatmap = heatmapRows(s)
        var rows: [JSONValue] = []
        rows.reserveCapacity(hosts.count)
        forEachHeatmapRow(s, heatmap) { i, cells in
            rows.append(
                .array([
                    .string(hosts[i].key), .string(hosts[i].state.rawValue), .int(Int64(s.groupOfHost[i])),
                    .string(String(decoding: cells, as: UTF8.self)),
                ]))
        }
        return .object(heatmapHead(s, heatmap) + [("hosts", .array(rows))])
    }

    /// The text of `JSONByteWriter.write(heatmapData())`, written row by row without the tree.
    func writeHeatmapData(to w: inout JSONByteWriter) {
        let s = summary
        let heatmap = heatmapRows(s)
        var head = JSONByteWriter(capacity: 4096)
        head.write(.object(heatmapHead(s, heatmap) + [("hosts", .array([]))]))
        // The head's text up to the empty host list's `]}`; the rows go in between.
        w.append(Array(head.bytes.dropLast(2)))
        var first = true
        hosts.withUnsafeBufferPointer { hosts in
            forEachHeatmapRow(s, heatmap) { i, cells in
                w.raw(first ? "[" : ",[")
                first = false
                w.string(hosts[i].key)
                w.append(UInt8(ascii: ","))
                w.string(hosts[i].state.rawValue)
                w.append(UInt8(ascii: ","))
                w.int(Int64(s.groupOfHost[i]))
                w.append(UInt8(ascii: ","))
                w.string(String(decoding: cells, as: UTF8.self))
                w.append(UInt8(ascii: "]"))
            }
        }
        w.raw("]}")
    }

    /// The members of the heatmap data before its hosts.
    func heatmapHead(_ s: FleetSummary, _ rows: HeatmapRows) -> [(String, JSONValue)] {
        func shown(_ t: String) -> JSONValue { .string(Self.shown(t)) }
        return [
            ("items", .array(rows.names.map(shown))),
            ("labels", .array(rows.labels.map(shown))),
            ("groups", .array(s.groups.map { .array([.string($0.id), shown($0.title)]) })),
            ("colours", .object(Self.cellCode.map { (String($0.code), .string($0.colour)) })),
            ("names", .object(Self.cellCode.map { (String($0.code), .string($0.name)) })),
        ]
    }

    /// At most this many rows in the heatmap: the items most hosts report, the others folded into one last row.
    static let heatmapMaxRows = 40

    /// The heatmap's rows: every item when they are few; else the `heatmapMaxRows - 1` items most hosts reported
    /// (in the usual order) and an `other` row showing, per host, the worst of the rest. A fleet whose hosts
    /// name items of their own (a path in the item) would otherwise give a row per host and a page that grows
    /// with hosts × items.
    struct HeatmapRows {
        var names: [String]
        var labels: [String]
        var column: [ItemKey: Int]
        /// The row of the folded items, when there is one.
        var other: Int?
        var count: Int { names.count }
    }

    func heatmapRows(_ s: FleetSummary) -> HeatmapRows {
        var column: [ItemKey: Int] = [:]
        guard s.items.count > Self.heatmapMaxRows else {
            for (i, k) in s.items.enumerated() { column[k] = i }
            return HeatmapRows(names: s.items.map(\.description), labels: s.items.map(\.label), column: column, other: nil)
        }
        let kept = Set(
            s.itemCounts.indices.sorted { (s.itemCounts[$0].counts.total, $1) > (s.itemCounts[$1].counts.total, $0) }
                .prefix(Self.heatmapMaxRows - 1))
        var names: [String] = []
        var labels: [String] = []
        for (i, k) in s.items.enumerated() where kept.contains(i) {
            column[k] = names.count
            names.append(k.description)
            labels.append(k.label)
        }
        let folded = s.items.count - names.count
        let other = names.count
        names.append("other (\(folded) items)")
        labels.append("the worst of \(folded) items fewer hosts report")
        return HeatmapRows(names: names, labels: labels, column: column, other: other)
    }

    /// Which of two cell codes of the folded row is worse (fail, unknown, warn, pass, not reported).
    static func worse(_ a: UInt8, than b: UInt8) -> Bool {
        func rank(_ c: UInt8) -> Int {
            switch c {
            case UInt8(ascii: "f"): 4
            case UInt8(ascii: "u"): 3
            case UInt8(ascii: "w"): 2
            case UInt8(ascii: "p"): 1
            default: 0
            }
        }
        return rank(a) > rank(b)
    }

    /// Calls `body` with each host's index, in heatmap order, and its cells (one ASCII code per row of
    /// `heatmapRows`; without any item, one cell: the host's state).
    func forEachHeatmapRow(_ s: FleetSummary, _ rows: HeatmapRows, _ body: (Int, [UInt8]) -> Void) {
        let col = rows.column
        let other = rows.other ?? -1
        // Failing groups first, ungrouped last, then report order: a counting sort by group.
        var byGroup = [[Int]](repeating: [], count: s.groups.count + 1)
        for i in hosts.indices {
            let g = s.groupOfHost[i]
            byGroup[g < 0 ? s.groups.count : g].append(i)
        }
        // The column of the item last seen at each entry position (hosts mostly list the same items in the
        // same order), so that most entries need no dictionary lookup; -1 for an item with no column.
        var seenModule: [String] = []
        var seenItem: [String] = []
        var seenColumn: [Int] = []
        // Cell codes are ASCII: one byte each.
        func code(_ c: Character) -> UInt8 { c.asciiValue! }
        hosts.withUnsafeBufferPointer { hosts in
            for members in byGroup {
                for i in members {
                    let state = hosts[i].state
                    guard rows.count > 0 else {
                        // No item in the whole fleet: the one cell says the host's state.
                        body(i, [code(Self.stateChar(state))])
                        continue
                    }
                    var cells = [UInt8](repeating: code(state.hasReport ? "-" : Self.stateChar(state)), count: rows.count)
                    if state.hasReport {
                        let results = hosts[i].results
                        results.withUnsafeBufferPointer { results in
                            for k in results.indices {
                                if k >= seenColumn.count {
                                    seenModule.append("")
                                    seenItem.append("")
                                    seenColumn.append(-2)
                                }
                                if seenColumn[k] == -2 || seenItem[k] != results[k].item || seenModule[k] != results[k].module {
                                    seenModule[k] = results[k].module
                                    seenItem[k] = results[k].item
                                    seenColumn[k] = col[ItemKey(module: results[k].module, item: results[k].item)] ?? other
                                }
                                let c = seenColumn[k]
                                guard c >= 0 else { continue }
                                let v = code(Self.cellChar(results[k].verdict))
                                if c != other || Self.worse(v, than: cells[c]) { cells[c] = v }
                            }
                        }
                    }
                    body(i, cells)
                }
            }
        }
    }

    static func colour(_ c: Character) -> String { cellCode.first(where: { $0.code == c })?.colour ?? "#999" }

    static func fmt(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return String(r)
    }

    /// HTML text escaping, of host-given text as the other formats show it: controls and the format characters
    /// that reorder or hide text (bidi overrides and isolates) as escapes (`TerminalText.visible`), so that a
    /// host's text cannot make what follows it read differently; and cut to `FleetReport.shownLimit` characters.
    static func esc(_ s: String) -> String {
        let s = FleetReport.shown(s)
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// JSON inside a `<script>` element, made inert there: every `<`, `>` and `&` byte becomes `\u003c`,
    /// `\u003e`, `\u0026`, and U+2028/U+2029 their escapes. In JSON these bytes occur only inside strings,
    /// where the escape means the same character; so no `</script>`, and no `<!--` that would make the
    /// browser's tokenizer read past the element's end, can appear. Matched as bytes, not characters:
    /// a `<` after a prepending mark (U+0600) is still a `<` to the tokenizer.
    static func scriptSafe(bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var k = 0
        func escape(_ code: String) { out += Array("\\u\(code)".utf8) }
        while k < bytes.count {
            let b = bytes[k]
            switch b {
            case UInt8(ascii: "<"): escape("003c")
            case UInt8(ascii: ">"): escape("003e")
            case UInt8(ascii: "&"): escape("0026")
            case 0xE2 where k + 2 < bytes.count && bytes[k + 1] == 0x80 && (bytes[k + 2] == 0xA8 || bytes[k + 2] == 0xA9):
                escape(bytes[k + 2] == 0xA8 ? "2028" : "2029")
                k += 2
            default: out.append(b)
            }
            k += 1
        }
        return out
    }

    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei","WenQuanYi Zen Hei","Droid Sans Fallback",sans-serif;margin:0 24px 40px;color:#222}
        h1{font-size:22px;margin:16px 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd}
        .meta{color:#666;font-size:12px}code,pre{font:12px ui-monospace,"DejaVu Sans Mono","Noto Sans Mono CJK SC","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","WenQuanYi Micro Hei",monospace;background:#f3f3f3;padding:0 3px}
        .jobfail{border:2px solid #c62828;border-radius:6px;padding:10px 14px;color:#c62828;background:#fff5f5}
        .cards{display:flex;gap:10px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:90px}
        .card b{display:block;font-size:22px}.card span{color:#555;font-size:12px}.card.ok b{color:#2e7d32}.card.bad b{color:#c62828}.card.grey b{color:#546e7a}
        .bar{display:flex;height:14px;border-radius:3px;overflow:hidden;margin:10px 0;background:#eee}.bar span{display:block;height:100%}
        .bar.small{height:8px;width:160px;margin:0}
        .legend i{display:inline-block;width:10px;height:10px;margin:0 3px 0 10px;vertical-align:middle}
        table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}td.bad{color:#c62828;font-weight:bold}
        details.group{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:6px 10px}details.group summary{cursor:pointer}
        .hosts{line-height:1.9}li.error{color:#c62828}li.warning{color:#a66f00}
        canvas{display:block;max-width:100%;border:1px solid #eee}#tip{background:#fafafa;border:1px solid #eee;padding:6px;min-height:2.5em;white-space:pre-wrap}
        """

    static let script = """
        (function(){
        var D=JSON.parse(document.getElementById('fleet-data').textContent);
        var cv=document.getElementById('hm'),ctx=cv.getContext('2d'),tip=document.getElementById('tip');
        var box=document.getElementById('filter'),shown=document.getElementById('shown');
        var L={};var vis=D.hosts,pinned=false;
        var FONT='"Noto Sans","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif';
        var RANK={f:10,x:9,j:8,e:7,u:6,n:5,m:4,r:3,w:2,p:1,'-':0};
        var cols=[];
        // One column per host; when hosts outnumber the pixels of three bands, one column per run of hosts
        // of the same failure group, showing the worst cell the run reported ('not reported' only where none
        // did); when groups are so many that this is still too many, runs that span groups (g -2).
        function runs(per,k,across){
          var n=vis.length,out=[];
          for(var i=0;i<n;){
            var g=vis[i][2],cells=vis[i][3].split(''),j=i+1;
            while(j<n&&j-i<k&&(across||vis[j][2]===g)){
              var c=vis[j][3];if(vis[j][2]!==g)g=-2;
              for(var r=0;r<cells.length;r++){var a=c.charAt(r)||'-';if(RANK[a]>RANK[cells[r]])cells[r]=a;}
              j++;
            }
            out.push({lo:i,hi:j,g:g,cells:cells.join('')});i=j;
          }
          return out;
        }
        function columns(per){
          var n=vis.length,k=n>per*3?Math.ceil(n/(per*2)):1,out=runs(per,k,false);
          return out.length>per*3?runs(per,k,true):out;
        }
        function layout(){
          var rows=Math.max(1,D.items.length),W=Math.max(600,(cv.parentNode.clientWidth||1200)-4);
          var lab=D.items.length?190:0,minw=3;
          cols=columns(Math.max(1,Math.floor((W-lab)/minw)));
          var n=cols.length,cw=Math.max(minw,Math.min(24,Math.floor((W-lab)/Math.max(1,n))));
          var per=Math.max(1,Math.floor((W-lab)/cw)),ch=n>500?12:14;
          var bands=Math.max(1,Math.ceil(n/per)),bh=rows*ch+12;
          L={n:n,lab:lab,cw:cw,ch:ch,per:per,bands:bands,bh:bh,rows:rows};
          cv.width=W;cv.height=bands*bh+4;
        }
        function draw(){
          layout();ctx.clearRect(0,0,cv.width,cv.height);
          ctx.font=Math.max(10,L.ch-3)+'px '+FONT;ctx.textBaseline='middle';
          for(var b=0;b<L.bands;b++){
            var y0=b*L.bh+2;ctx.fillStyle='#555';
            for(var r=0;r<D.items.length;r++){ctx.fillText(D.items[r],2,y0+r*L.ch+L.ch/2);}
            var lo=b*L.per,hi=Math.min(L.n,lo+L.per);
            for(var i=lo;i<hi;i++){
              var col=cols[i],x=L.lab+(i-lo)*L.cw,cells=col.cells;
              for(var r2=0;r2<L.rows;r2++){
                var c=cells.charAt(r2)||'-';ctx.fillStyle=D.colours[c]||'#999';
                ctx.fillRect(x,y0+r2*L.ch,Math.max(1,L.cw-(L.cw>4?1:0)),L.ch-1);
              }
              // A dark rule where a failure group starts.
              if(i>lo&&cols[i-1].g!==col.g&&col.g!==-2&&cols[i-1].g!==-2){ctx.fillStyle='#111';ctx.fillRect(x-1,y0-2,1,L.rows*L.ch+3);}
            }
          }
          shown.textContent=vis.length+' of '+D.hosts.length+' hosts shown'+(L.n<vis.length?' ('+L.n+' columns: a column is a run of hosts'+(cols.some(function(c){return c.g===-2;})?'':' of one group')+', coloured by the worst cell they reported)':'');
          var dash=0;if(D.items.length){for(var q=0;q<L.n;q++){var cs=cols[q].cells;for(var r3=0;r3<L.rows;r3++){if((cs.charAt(r3)||'-')==='-')dash++;}}}
          cv.setAttribute('data-unreported',String(dash));
          cv.setAttribute('data-drawn',String(vis.length));
          cv.setAttribute('data-columns',String(L.n));
        }
        function at(ev){
          var rc=cv.getBoundingClientRect(),sx=cv.width/rc.width,x=(ev.clientX-rc.left)*sx,y=(ev.clientY-rc.top)*sx;
          var b=Math.floor((y-2)/L.bh),r=Math.floor((y-2-b*L.bh)/L.ch),i=b*L.per+Math.floor((x-L.lab)/L.cw);
          if(x<L.lab||b<0||r<0||r>=L.rows||i<0||i>=L.n||Math.floor((x-L.lab)/L.cw)>=L.per)return null;
          return {c:cols[i],r:r};
        }
        function show(p){
          if(!p){return;}var col=p.c,h=vis[col.lo],g=col.g>=0?D.groups[col.g]:null,c=col.cells.charAt(p.r)||'-';
          if(col.g===-2){g=['several','hosts of several failure groups'];}
          var who=col.hi-col.lo>1?(col.hi-col.lo)+' hosts: '+h[0]+' … '+vis[col.hi-1][0]+'  worst':h[0]+'  state: '+h[1];
          tip.textContent=who+(D.items.length?'\\n'+D.items[p.r]+' ('+D.labels[p.r]+'): '+(D.names[c]||c):'')+
            (g?'\\ngroup '+g[0]+': '+g[1]:'');
        }
        cv.addEventListener('mousemove',function(ev){if(!pinned)show(at(ev));});
        cv.addEventListener('click',function(ev){var p=at(ev);pinned=!!p;show(p);});
        function filter(){
          var q=box.value.trim().toLowerCase();
          if(!q){vis=D.hosts;}else if(q.indexOf('g:')===0){var id=q.slice(2),exact=D.groups.some(function(g){return g[0]===id;});
            vis=D.hosts.filter(function(h){return h[2]>=0&&(exact?D.groups[h[2]][0]===id:D.groups[h[2]][0].indexOf(id)===0);});
          }else{var lead=q.indexOf(':')>=0;
            // A query with a ':' names a key from its cloud id on ('0:' is not cloud 10's); else any part of the key.
            vis=D.hosts.filter(function(h){var k=h[0].toLowerCase();return (lead?k.indexOf(q)===0:k.indexOf(q)>=0)||h[1]===q||(h[2]>=0&&D.groups[h[2]][1].toLowerCase().indexOf(q)>=0);});}
          draw();
        }
        var t=null;box.addEventListener('input',function(){clearTimeout(t);t=setTimeout(filter,120);});
        window.addEventListener('resize',draw);
        var m=/[#&]filter=([^&]*)/.exec(location.hash);
        if(m){var v="";try{v=decodeURIComponent(m[1]);}catch(e){v="";}box.value=v;if(v){filter();}else{draw();}}else{draw();}
        })();
        """
}
