/* Query page: CodeMirror editor, one-click examples, results table, download link.
 * Plain browser JavaScript, no build step and no network access beyond this endpoint.
 * The server picks the answer's kind from the query form, so one Accept header
 * asks for SPARQL JSON results or N-Triples, whichever the query produces. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("sparql-config").textContent);
  var ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";
  var prefixes = {};
  cfg.prologue.replace(/PREFIX\s+([\w-]*):\s*<([^>]*)>/gi, function (_, p, iri) {
    prefixes[p] = iri;
    return "";
  });

  var textarea = document.getElementById("query");
  var editor = CodeMirror.fromTextArea(textarea, {
    mode: "sparql",
    lineNumbers: true,
    indentUnit: 2,
    extraKeys: { "Ctrl-Enter": run, "Cmd-Enter": run }
  });
  editor.setValue(cfg.prologue + "\nSELECT ?s ?p ?o\nWHERE { ?s ?p ?o }\nLIMIT 10\n");

  var statusEl = document.getElementById("status");
  var errorEl = document.getElementById("error");
  var resultsEl = document.getElementById("results");
  var runBtn = document.getElementById("run");
  var formatSel = document.getElementById("download-format");
  var downloadEl = document.getElementById("download");
  var last = null; /* {query, kind, blob, mediaType} */

  function withPrologue(query) {
    /* Examples that declare no prefix get the predeclared ones. */
    return /^\s*(PREFIX|BASE)\b/im.test(query) ? query : cfg.prologue + "\n" + query;
  }

  function shorten(iri) {
    for (var p in prefixes) {
      var ns = prefixes[p];
      if (iri.indexOf(ns) === 0 && /^[\w.-]*$/.test(iri.slice(ns.length))) {
        return p + ":" + iri.slice(ns.length);
      }
    }
    return iri;
  }

  function localHref(iri) {
    /* The graph's own IRIs (/id/..., /def/...) resolve on this server: link there. */
    return cfg.base && iri.indexOf(cfg.base) === 0 ? "/" + iri.slice(cfg.base.length) : iri;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function termCell(term) {
    var td = el("td");
    if (!term) return td;
    if (term.type === "uri" && /^https?:/i.test(term.value)) {
      var a = el("a", { href: localHref(term.value), title: term.value }, shorten(term.value));
      td.appendChild(a);
    } else if (term.type === "uri") {
      /* Only web IRIs become links: a result IRI such as javascript:... stays text. */
      td.appendChild(el("span", { title: term.value }, shorten(term.value)));
    } else if (term.type === "bnode") {
      td.appendChild(el("span", { "class": "bnode" }, "_:" + term.value));
    } else if (term.type === "literal" || term.type === "typed-literal") {
      td.appendChild(document.createTextNode(term.value));
      var meta = term["xml:lang"] ? "@" + term["xml:lang"]
        : term.datatype ? " ^^" + shorten(term.datatype) : "";
      if (meta) td.appendChild(el("span", { "class": "lit-meta" }, meta));
    } else {
      td.textContent = JSON.stringify(term.value);
    }
    return td;
  }

  function table(vars, rows) {
    var t = el("table", { "class": "results" });
    var head = el("tr");
    vars.forEach(function (v) { head.appendChild(el("th", {}, v)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr");
      vars.forEach(function (v) { tr.appendChild(termCell(row[v])); });
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }

  /* One N-Triples term at the start of s: [term, rest]. */
  function ntTerm(s) {
    var m;
    if ((m = /^<([^>]*)>\s*/.exec(s))) return [{ type: "uri", value: m[1] }, s.slice(m[0].length)];
    if ((m = /^_:(\S+)\s*/.exec(s))) return [{ type: "bnode", value: m[1] }, s.slice(m[0].length)];
    if ((m = /^"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^<([^>]*)>)?\s*/.exec(s))) {
      var value = JSON.parse('"' + m[1].replace(/\\U([0-9A-Fa-f]{8})/g, function (_, h) {
        return String.fromCodePoint(parseInt(h, 16)).replace(/"/g, '\\"');
      }) + '"');
      var t = { type: "literal", value: value };
      if (m[2]) t["xml:lang"] = m[2];
      if (m[3]) t.datatype = m[3];
      return [t, s.slice(m[0].length)];
    }
    return [{ type: "other", value: s }, ""];
  }

  function triplesTable(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      line = line.trim();
      if (!line || line[0] === "#") return;
      var s = ntTerm(line), p = ntTerm(s[1]), o = ntTerm(p[1]);
      rows.push({ subject: s[0], predicate: p[0], object: o[0] });
    });
    return [rows.length, table(["subject", "predicate", "object"], rows)];
  }

  function setDownloadFormats(kind) {
    var list = kind === "graph" ? cfg.graphFormats : cfg.resultFormats;
    formatSel.innerHTML = "";
    list.forEach(function (f) {
      formatSel.appendChild(el("option", { value: f.name, "data-ext": f.extension }, f.name));
    });
  }

  function setDownload(blob, ext) {
    if (downloadEl.href && downloadEl.href.indexOf("blob:") === 0) {
      URL.revokeObjectURL(downloadEl.href);
    }
    downloadEl.href = URL.createObjectURL(blob);
    downloadEl.download = "results." + ext;
    downloadEl.textContent = "Download results." + ext;
    downloadEl.hidden = false;
  }

  function post(query, headers) {
    var body = new URLSearchParams();
    body.set("query", query);
    return fetch(cfg.endpoint, { method: "POST", headers: headers, body: body });
  }

  function showError(text) {
    errorEl.textContent = text;
    errorEl.hidden = false;
  }

  function problemText(resp, text) {
    try {
      var p = JSON.parse(text);
      return resp.status + " " + (p.title || "") + ": " + (p.detail || text);
    } catch (e) {
      return resp.status + ": " + text;
    }
  }

  function run() {
    var query = editor.getValue();
    runBtn.disabled = true;
    errorEl.hidden = true;
    resultsEl.innerHTML = "";
    downloadEl.hidden = true;
    statusEl.textContent = "Running…";
    var started = performance.now();
    post(query, { Accept: ACCEPT }).then(function (resp) {
      return resp.text().then(function (text) {
        var ms = Math.round(performance.now() - started);
        var type = (resp.headers.get("Content-Type") || "").split(";")[0];
        if (!resp.ok) {
          statusEl.textContent = "";
          showError(problemText(resp, text));
          return;
        }
        var truncated = resp.headers.get("HKKG-Truncated") === "true";
        var count;
        if (type === "application/n-triples") {
          last = { query: query, kind: "graph" };
          var t = triplesTable(text);
          count = t[0] + " triples";
          resultsEl.appendChild(t[1]);
          setDownloadFormats("graph");
          formatSel.value = "ntriples";
        } else {
          last = { query: query, kind: "results" };
          var data = JSON.parse(text);
          if ("boolean" in data) {
            count = "ASK";
            resultsEl.appendChild(el("p", { "class": "boolean" }, String(data.boolean)));
          } else {
            count = data.results.bindings.length + " rows";
            resultsEl.appendChild(table(data.head.vars, data.results.bindings));
          }
          setDownloadFormats("results");
          formatSel.value = "json";
        }
        if (truncated) {
          resultsEl.insertBefore(el("p", { "class": "truncated" },
            "The answer was cut at the result limit (HKKG-Truncated: true)."), resultsEl.firstChild);
        }
        statusEl.textContent = count + " in " + ms + " ms";
        setDownload(new Blob([text], { type: type }),
          formatSel.selectedOptions[0].getAttribute("data-ext"));
      });
    }).catch(function (err) {
      statusEl.textContent = "";
      showError("Request failed: " + err);
    }).then(function () { runBtn.disabled = false; });
  }

  formatSel.addEventListener("change", function () {
    if (!last) return;
    var fmt = formatSel.value;
    var ext = formatSel.selectedOptions[0].getAttribute("data-ext");
    downloadEl.hidden = true;
    var body = new URLSearchParams();
    body.set("query", last.query);
    body.set("format", fmt);
    fetch(cfg.endpoint, { method: "POST", body: body }).then(function (resp) {
      return resp.blob().then(function (blob) {
        if (resp.ok) setDownload(blob, ext);
        else blob.text().then(function (t) { showError(problemText(resp, t)); });
      });
    });
  });

  document.getElementById("query-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    run();
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (b) {
    b.addEventListener("click", function () {
      var ex = cfg.examples.filter(function (e) { return e.slug === b.getAttribute("data-slug"); })[0];
      if (!ex) return;
      editor.setValue(withPrologue(ex.query));
      run();
    });
  });
})();
