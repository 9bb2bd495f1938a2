// moodtwin pages: every action goes through the documented HTTP API (/api, /docs).
// User-provided strings are only ever inserted as text (textContent), never as HTML.
"use strict";

const TOKEN_KEY = "moodtwin-token";
(function keepToken() {
  const url = new URL(location.href);
  const t = url.searchParams.get("token");
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
})();
// replaceChildren without the "null" text node that a skipped optional part would add
const fill = (node, ...kids) =>
  node.replaceChildren(...kids.flat().filter(k => k !== null && k !== undefined && k !== false));
const token = () => sessionStorage.getItem(TOKEN_KEY) || "";
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

class ApiError extends Error {
  constructor(detail, field, status) { super(detail); this.field = field; this.status = status; }
}

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (token()) headers["Authorization"] = "Bearer " + token();
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(opts.json);
  }
  const r = await fetch(path, {method: opts.method || "GET", headers, body: opts.body});
  if (!r.ok) {
    let detail = r.statusText, field = null;
    try { const j = await r.json(); detail = j.detail; field = j.field; } catch (_) { /* keep */ }
    throw new ApiError(detail, field, r.status);
  }
  return opts.raw ? r : r.json();
}

const fileUrl = (id, name) =>
  `/api/jobs/${id}/files/${encodeURIComponent(name)}?token=${encodeURIComponent(token())}`;
const fmt = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x)) ? "n/a"
  : (typeof x === "number" ? Number(x.toPrecision(4)).toString() : String(x));

// ------------------------------------------------------------------ errors next to fields
function clearErrors(root = document) {
  $$(".err", root).forEach(e => { e.textContent = ""; });
  $$(".bad", root).forEach(e => e.classList.remove("bad"));
}
function showError(err, fallback = "#form-error") {
  const msg = err instanceof ApiError ? err.message : String(err);
  const field = err instanceof ApiError ? err.field : null;
  let target = null;
  if (field) {
    target = $(`[data-err="${CSS.escape(field)}"]`) ||
             $(`[data-err="${CSS.escape(field.split(/[.[]/)[0])}"]`);
    const input = $(`[data-path="${CSS.escape(field)}"]`);
    if (input) { input.classList.add("bad"); target = input.parentElement.nextElementSibling
      && input.parentElement.nextElementSibling.classList.contains("err")
      ? input.parentElement.nextElementSibling : target; }
  }
  (target || $(fallback)).textContent = msg;
}

// ------------------------------------------------------------------ jobs and run panel
async function followJob(id, panel, onDone, onUpdate) {
  for (;;) {
    let job;
    try { job = await api(`/api/jobs/${id}`); } catch (e) { panel.textContent = e.message; return; }
    renderRun(job, panel, onDone);
    if (onUpdate) onUpdate(job);
    if (["done", "failed", "cancelled", "interrupted"].includes(job.status)) {
      if (job.status === "done" && onDone) await onDone(job);
      return job;
    }
    await new Promise(r => setTimeout(r, 500));
  }
}

function renderRun(job, panel, onDone) {
  const m = job.manifest || {};
  const pct = Math.round(100 * job.progress);
  const bar = el("div", {class: "progress", role: "progressbar", "aria-valuenow": pct,
                         "aria-valuemin": 0, "aria-valuemax": 100, "data-status": job.status},
                 el("div", {class: "fill", style: `width:${pct}%`}));
  const status = el("span", {class: "status s-" + job.status, "data-testid": "status"}, job.status);
  const buttons = el("div", {class: "buttons"});
  if (!["done", "failed", "cancelled", "interrupted"].includes(job.status)) {
    buttons.append(el("button", {type: "button", onclick: async () => {
      try { await api(`/api/jobs/${job.id}/cancel`, {method: "POST"}); } catch (e) { alert(e.message); }
    }}, "Cancel"));
  } else {
    buttons.append(el("button", {type: "button", onclick: async () => {
      const ref = await api(`/api/jobs/${job.id}/rerun`, {method: "POST"});
      followJob(ref.id, panel, onDone);
    }}, "Re-run"));
    buttons.append(el("a", {class: "button", href:
      `/api/jobs/${job.id}/bundle?token=${encodeURIComponent(token())}`},
      "Download reproducible bundle (inputs + manifest)"));
  }
  const used = el("dl", {class: "used"},
    el("dt", {}, "moodtwin"), el("dd", {}, m.moodtwin_version || "…"),
    el("dt", {}, "parameter set"), el("dd", {}, m.parameter_set || "…"),
    el("dt", {}, "seed"), el("dd", {}, m.seed === null || m.seed === undefined ? "none" : m.seed),
    el("dt", {}, "input files"), el("dd", {}, inputFiles(m.input_files || [])),
    el("dt", {}, "same result with"), el("dd", {}, el("code", {}, m.cli || "…")));
  fill(panel, ...[
    el("div", {class: "runhead"}, el("b", {}, `${job.kind} job ${job.id}`), " ", status, " ",
       el("span", {class: "muted"}, job.message)),
    bar,
    job.error ? el("div", {class: "err job-error"}, job.error) : null,
    used, buttons].filter(Boolean));
}

async function recentRuns(kinds, open) {
  // earlier jobs of this page, also those finished before a server restart
  const box = $("#recent");
  if (!box || !token()) return;
  const jobs = (await Promise.all(kinds.map(k => api(`/api/jobs?kind=${k}&limit=20`))))
    .flat().sort((a, b) => b.created - a.created);
  fill(box, jobs.length ? el("ul", {}, jobs.map(j => el("li", {},
    el("a", {href: "#", onclick: ev => { ev.preventDefault(); open(j); }},
       `${new Date(j.created * 1000).toLocaleString()} · ${j.kind} · ${j.status}`),
    j.result && j.result.name ? " · " + j.result.name : null))) : el("p", {class: "muted"}, "none yet"));
}

function inputFiles(files) {
  const chips = files.map(f =>
    el("span", {class: "file", title: "sha256 " + f.sha256}, f.path.replace(/^inputs\//, "")));
  if (chips.length <= 6) return chips;
  return el("details", {}, el("summary", {}, `${chips.length} files (SHA-256 in the manifest)`),
            chips);
}

async function plotJson(id, name, target) {
  const r = await api(`/api/jobs/${id}/files/${name}`, {raw: true});
  const fig = await r.json();
  fig.layout = Object.assign({height: 460}, fig.layout || {}, {autosize: true});
  delete fig.layout.width;
  await Plotly.newPlot(target, fig.data, fig.layout, {displaylogo: false, responsive: true});
}

function table(rows, cols, opts = {}) {
  const t = el("table", {class: "data"});
  t.append(el("thead", {}, el("tr", {}, cols.map(c => el("th", {}, c.label || c.key)))));
  const body = el("tbody");
  for (const r of rows) {
    const tr = el("tr", {class: opts.rowClass ? opts.rowClass(r) : null},
      cols.map(c => el("td", {}, c.fmt ? c.fmt(r[c.key], r) : fmt(r[c.key]))));
    body.append(tr);
  }
  t.append(body);
  return t;
}

function downloads(job, items) {
  return el("div", {class: "downloads"}, "Download: ", items.filter(([, n]) =>
    n.startsWith("/") || job.files.includes(n)).map(([label, n]) =>
    el("a", {class: "button", href: n.startsWith("/") ? n : fileUrl(job.id, n)}, label)));
}

function intInput(sel) {
  const v = $(sel).value.trim();
  return v === "" ? null : Number(v);
}

// ------------------------------------------------------------------ simulate page
const UNIT_HINT = f => {
  const parts = [];
  if (f.unit) parts.push(f.unit);
  if (f.allowed) parts.push("allowed " + f.allowed.join(", "));
  else if (f.low !== undefined && f.high !== undefined) parts.push(`${f.low} – ${f.high}`);
  if (f.hint) parts.push(f.hint);
  return parts.join(", ");
};

async function simulatePage() {
  const form = await api("/api/protocol-form");
  const cat = await api("/api/catalogue");
  const typeSel = $("#add-type");
  form.therapy_types.forEach(t => typeSel.append(el("option", {value: t}, t)));
  cat.protocols.forEach(p => $("#example").append(el("option", {value: p.file}, p.name)));
  let mode = "form";
  $$("[data-tab]").forEach(b => b.addEventListener("click", () => {
    mode = b.dataset.tab;
    $$("[data-tab]").forEach(x => x.classList.toggle("on", x === b));
    $$("[data-pane]").forEach(p => p.classList.toggle("hidden", p.dataset.pane !== mode));
  }));
  const therapies = $("#therapies");

  function addTherapy(type, values = {}) {
    const spec = form.therapies[type];
    const box = el("fieldset", {class: "therapy", "data-type": type},
      el("legend", {}, type, " ", el("button", {type: "button", class: "small",
        onclick: () => { box.remove(); renumber(); }}, "remove")),
      el("p", {class: "muted small"}, spec.doc));
    for (const f of spec.fields) {
      if (f.kind === "object" || (f.kind === "list" && f.name !== "at")) {
        if (values[f.name] !== undefined) box.dataset["extra_" + f.name] = JSON.stringify(values[f.name]);
        continue;  // titration / off periods: use the YAML tab
      }
      let v = values[f.name] !== undefined ? values[f.name] : f.default;
      let input;
      if (f.kind === "bool") {
        input = el("input", {type: "checkbox", "data-field": f.name});
        input.checked = !!v;
      } else {
        if (Array.isArray(v)) v = v.join(", ");
        input = el("input", {"data-field": f.name, value: v === null || v === undefined ? "" : v,
          type: f.kind === "int" ? "number" : "text", min: f.low, max: f.high,
          placeholder: f.required ? "required" : "(unset)"});
      }
      box.append(el("label", {}, f.name, " ", input, " ", el("span", {class: "lim"}, UNIT_HINT(f))),
                 el("span", {class: "err", "data-err-field": f.name}));
    }
    therapies.append(box);
    renumber();
  }
  function renumber() {
    $$(".therapy", therapies).forEach((box, i) => {
      $$("[data-field]", box).forEach(inp => inp.setAttribute("data-path", `therapies[${i}].${inp.dataset.field}`));
      $$("[data-err-field]", box).forEach(e => e.setAttribute("data-err", `therapies[${i}].${e.dataset.errField}`));
    });
  }
  function protocolFromForm() {
    const p = {name: $("#p-name").value, duration: $("#p-duration").value,
               background: {oral_antidepressant: $("#p-background").value}, therapies: []};
    $$(".therapy", therapies).forEach(box => {
      const t = {type: box.dataset.type};
      const spec = form.therapies[box.dataset.type];
      for (const f of spec.fields) {
        const inp = $(`[data-field="${f.name}"]`, box);
        const extra = box.dataset["extra_" + f.name];
        if (!inp) { if (extra) t[f.name] = JSON.parse(extra); continue; }
        if (f.kind === "bool") { if (inp.checked) t[f.name] = true; continue; }
        const v = inp.value.trim();
        if (v === "") continue;
        if (f.kind === "int") t[f.name] = Number(v);
        else if (f.name === "at") t[f.name] = v.split(",").map(s => s.trim()).filter(Boolean);
        else t[f.name] = v;
      }
      p.therapies.push(t);
    });
    return p;
  }
  $("#add-therapy").addEventListener("click", () => addTherapy(typeSel.value));
  $("#example").addEventListener("change", e => {
    // an example keeps all its settings (titrations, repeats): it opens in the YAML tab
    const ex = cat.protocols.find(p => p.file === e.target.value);
    if (!ex) return;
    $("#yaml").value = ex.yaml;
    $$("[data-tab]").find(b => b.dataset.tab === "yaml").click();
  });
  $("#yaml-file").addEventListener("change", async e => {
    const f = e.target.files[0];
    if (f) $("#yaml").value = await f.text();
  });
  addTherapy("ketamine_iv", {dose: "0.5 mg/kg", at: ["0 d"]});
  recentRuns(["simulate"], j => followJob(j.id, $("#run-panel"), showSimulation));

  $("#run").addEventListener("click", async () => {
    clearErrors();
    const overrides = {};
    for (const line of $("#overrides").value.split("\n").map(s => s.trim()).filter(Boolean)) {
      const k = line.indexOf("=");
      if (k < 1) { showError(new ApiError(`overrides: ${JSON.stringify(line)}: expected NAME=VALUE, e.g. tau_dep=12.`, "overrides")); return; }
      overrides[line.slice(0, k).trim()] = line.slice(k + 1).trim();
    }
    const body = {overrides, seed: intInput("#seed")};
    if (mode === "yaml") body.protocol_yaml = $("#yaml").value; else body.protocol = protocolFromForm();
    try {
      const ref = await api("/api/simulate", {method: "POST", json: body});
      await followJob(ref.id, $("#run-panel"), showSimulation);
    } catch (e) {
      if (e instanceof ApiError && e.field && e.field.startsWith("overrides")) e.field = "overrides";
      showError(e);
    }
  });
}

async function showSimulation(job) {
  const res = job.result;
  $("#summary").textContent = [`${res.name} (${res.duration})`, ...res.summary].join("\n");
  $("#summary").classList.remove("hidden");
  await plotJson(job.id, "figure.json", $("#figure"));
  const series = await (await api(`/api/jobs/${job.id}/files/scales.json`, {raw: true})).json();
  const sel = $("#scale");
  fill(sel, ...res.scales.map(s => el("option", {value: s}, s)));
  const draw = () => {
    const s = sel.value, def = res.scale_definitions[s];
    const y = series[s], base = y[0];
    Plotly.newPlot($("#scale-figure"), [
      {x: series.day, y, mode: "lines", name: s + " (observed)"},
      {x: [series.day[0], series.day.at(-1)], y: [def.remission, def.remission], mode: "lines",
       name: `remission (≤ ${def.remission})`, line: {dash: "dot", color: "#2ca02c"}},
      {x: [series.day[0], series.day.at(-1)], y: [base * (1 - def.response_fraction),
        base * (1 - def.response_fraction)], mode: "lines",
       name: `response (${100 * def.response_fraction} % below baseline)`,
       line: {dash: "dash", color: "#777"}}],
      {title: `${s} — research model output, not medical advice`, height: 360,
       xaxis: {title: "days since baseline"}, yaxis: {title: s + " (points)", rangemode: "tozero"}},
      {displaylogo: false, responsive: true});
  };
  sel.onchange = draw;
  draw();
  $("#scale-box").classList.remove("hidden");
  fill($("#sim-downloads"), downloads(job, [["YAML", `/api/jobs/${job.id}/protocol.yaml?token=${encodeURIComponent(token())}`],
    ["CSV", "protocol.csv"], ["PNG", "protocol.png"], ["HTML", "protocol.html"]]));
}

// ------------------------------------------------------------------ trial page
async function trialPage() {
  const cat = await api("/api/catalogue");
  const sel = $("#trial");
  sel.append(el("option", {value: ""}, "— upload instead —"));
  cat.trials.forEach(t => sel.append(el("option", {value: t.file},
    `${t.name} (${t.n ? "n=" + t.n + ", " : ""}${t.published} published values)`)));
  if (cat.trials.length) sel.value = cat.trials[0].file;
  recentRuns(["trial"], j => followJob(j.id, $("#run-panel"), showTrial));
  $("#run").addEventListener("click", async () => {
    clearErrors();
    const fd = new FormData();
    const f = $("#trial-file").files[0];
    if (f) fd.append("file", f); else if (sel.value) fd.append("trial", sel.value);
    for (const k of ["n", "replicates", "seed"]) if ($("#" + k).value !== "") fd.append(k, $("#" + k).value);
    try {
      const ref = await api("/api/trials", {method: "POST", body: fd});
      fill($("#figure"), ); fill($("#tables"), );
      await followJob(ref.id, $("#run-panel"), showTrial);
    } catch (e) { showError(e); }
  });
}

async function showTrial(job) {
  const r = job.result;
  await plotJson(job.id, "figure.json", $("#figure"));
  const box = $("#tables");
  fill(box, 
    el("h3", {}, r.name), el("p", {class: "muted"}, r.source),
    el("p", {}, `${r.replicates} replicate(s); interval: ${r.interval}.`),
    ...(r.heterogeneity ? [el("p", {class: "muted", id: "heterogeneity"},
      `New trial: 95 % prediction interval for a published result of this design, with ` +
      `between-trial heterogeneity of ${r.heterogeneity.fraction.toPrecision(3)} of the value ` +
      `(${r.heterogeneity.source}).`)] : []),
    ...((r.outside_calibration || []).length ? [
      el("h3", {}, "Outside the calibration set (read as extrapolation)"),
      el("ul", {id: "outside-calibration"}, r.outside_calibration.map(x => el("li", {}, x)))] : []),
    el("h3", {}, "Endpoints"),
    table(r.endpoints, [{key: "endpoint"}, {key: "arm"}, {key: "at"}, {key: "mean", label: "simulated"},
      {key: "low", label: "95 % low"}, {key: "high", label: "95 % high"},
      {key: "new_trial_low", label: "new trial 95 % low"},
      {key: "new_trial_high", label: "new trial 95 % high"}, {key: "n", label: "n"}]),
    el("h3", {}, "Published vs simulated"),
    r.published.length ? table(r.published, [{key: "endpoint"}, {key: "arm"},
      {key: "published"}, {key: "published_ci", label: "published 95 % CI"},
      {key: "simulated"}, {key: "simulated_95", label: "simulated 95 %"},
      {key: "pass", fmt: v => v ? "pass" : "fail"}], {rowClass: x => x.pass ? "pass" : "fail"})
      : el("p", {class: "muted"}, "This trial file has no published values."),
    el("h3", {}, `Excluded patients (${r.excluded.length})`),
    r.excluded.length ? el("ul", {}, r.excluded.slice(0, 100).map(x => el("li", {}, x)))
      : el("p", {class: "muted"}, "none"),
    downloads(job, [["endpoints.csv", "endpoints.csv"], ["patients.csv", "patients.csv"],
      ["report.png", "report.png"], ["result.json", "result.json"], ["report.html", "report.html"]]));
}

// ------------------------------------------------------------------ validation page
async function validationPage() {
  const cat = await api("/api/catalogue");
  const list = $("#trial-list");
  list.append(el("p", {}, "Trials with published values:"));
  cat.trials.filter(t => t.published > 0).forEach(t => list.append(el("label", {class: "check"},
    el("input", {type: "checkbox", value: t.file, checked: true}), ` ${t.name} (${t.published})`)));
  recentRuns(["validate"], j => followJob(j.id, $("#run-panel"), showValidation));
  $("#run").addEventListener("click", async () => {
    clearErrors();
    const trials = $$("input[type=checkbox]:checked", list).map(i => i.value);
    try {
      const ref = await api("/api/validations", {method: "POST", json: {
        trials, replicates: intInput("#replicates"), seed: intInput("#seed") || 0}});
      await followJob(ref.id, $("#run-panel"), showValidation);
    } catch (e) { showError(e); }
  });
}

async function showValidation(job) {
  const r = job.result;
  await plotJson(job.id, "figure.json", $("#figure"));
  const chi = r.chi_square === null || r.chi_square === undefined ? null : el("p", {class: "muted"},
    `chi-square ${fmt(r.chi_square)} on ${r.dof} degrees of freedom, p = ${fmt(r.p)} ` +
    "(sum of z² over the published numbers; z = (simulated − published) / combined SE)");
  fill($("#tables"), el("h3", {}, `${r.passed} of ${r.total} published numbers pass`), chi,
    table(r.rows, [{key: "target"}, {key: "published"}, {key: "published_ci", label: "published 95 % CI"},
      {key: "simulated"}, {key: "simulated_95", label: "simulated 95 %"},
      {key: "pass", fmt: v => v ? "pass" : "fail"}], {rowClass: x => x.pass ? "pass" : "fail"}),
    downloads(job, [["validation.csv", "validation.csv"], ["PNG", "validation.png"],
      ["HTML", "validation.html"]]));
}

// ------------------------------------------------------------------ person page
async function personPage() {
  const cat = await api("/api/catalogue");
  const box = $("#candidates");
  const cands = cat.candidates.map(c => ({name: c.file, protocol_yaml: c.yaml}));
  const render = () => fill(box, el("p", {}, "Candidate protocols:"),
    ...cands.map((c, i) => el("label", {class: "check"},
      el("input", {type: "checkbox", "data-i": i, checked: true}), " " + c.name)));
  render();
  $("#cand-file").addEventListener("change", async e => {
    for (const f of e.target.files) cands.push({name: f.name, protocol_yaml: await f.text()});
    render();
  });
  let fitJob = null;
  recentRuns(["fit", "forecast"], j => j.kind === "fit"
    ? followJob(j.id, $("#run-panel"), async job => { fitJob = job.id; showFit(job); $("#forecast").disabled = false; })
    : followJob(j.id, $("#fc-panel"), showForecast));
  $("#run").addEventListener("click", async () => {
    clearErrors();
    const fd = new FormData();
    for (const f of $("#files").files) fd.append("files", f);
    for (const k of ["steps", "burn", "walkers", "seed"]) if ($("#" + k).value !== "") fd.append(k, $("#" + k).value);
    try {
      const ref = await api("/api/person/fits", {method: "POST", body: fd});
      $("#forecast").disabled = true;
      await followJob(ref.id, $("#run-panel"), async job => {
        fitJob = job.id;
        showFit(job);
        $("#forecast").disabled = false;
      }, job => { if (job.result && job.result.data_report) showFit(job); });
    } catch (e) { showError(e); }
  });
  $("#forecast").addEventListener("click", async () => {
    clearErrors();
    const chosen = $$("input[data-i]:checked", box).map(i => cands[Number(i.dataset.i)]);
    try {
      const ref = await api("/api/person/forecasts", {method: "POST", json: {
        fit_job: fitJob, candidates: chosen, at: $("#at").value, draws: intInput("#draws") || 200,
        seed: intInput("#seed") || 0}});
      await followJob(ref.id, $("#fc-panel"), showForecast);
    } catch (e) { showError(e, "#fc-error"); }
  });
}

function showFit(job) {
  const r = job.result;
  $("#data-report").textContent = `Data report for ${r.person} (${r.scores} scores, ${r.biomarkers} biomarker observations, ${fmt(r.history_days)} days from ${r.start_date}):\n` + r.data_report;
  $("#data-report").classList.remove("hidden");
  if (r.summary) {
    fill($("#fit-table"), el("h3", {}, "Posterior"),
      table(r.summary, [{key: "parameter"}, {key: "prior_median", label: "prior median"},
        {key: "median", label: "posterior median"}, {key: "q5", label: "5 %"}, {key: "q95", label: "95 %"},
        {key: "rhat", label: "R-hat"}, {key: "ess_bulk", label: "ESS"}]),
      r.warnings.length ? el("ul", {class: "warnings"}, r.warnings.map(w => el("li", {}, w))) : null);
  }
}

async function showForecast(job) {
  const r = job.result;
  await plotJson(job.id, "figure.json", $("#figure"));
  const cols = [{key: "at"}, {key: "day"}];
  for (const s of r.scales) cols.push({key: `${s}_median`, label: `${s} median`},
    {key: `P_response_${s}`, label: `P(response) ${s}`}, {key: `P_remission_${s}`, label: `P(remission) ${s}`});
  fill($("#tables"), 
    el("p", {}, `Forecast start: day ${fmt(r.start_day)}. Bands: 90 % credible. Research model output, not medical advice.`),
    el("div", {class: "side"}, r.candidates.map(c => el("div", {class: "cand"},
      el("h3", {}, c.name), el("p", {class: "muted"}, c.file), table(c.outcomes, cols),
      c.side_effects.length ? table(c.side_effects, [{key: "side_effect"}, {key: "mean"}, {key: "peak"}]) : null))),
    r.from_population.length ? el("p", {class: "muted"}, "From the population (never tried by this person): " + r.from_population.join(", ")) : null,
    downloads(job, [["forecast_outcomes.csv", "forecast_outcomes.csv"], ["forecast_bands.csv", "forecast_bands.csv"],
      ["forecast.png", "forecast.png"], ["forecast.html", "forecast.html"]]));
}

// ------------------------------------------------------------------ model page
async function modelPage() {
  const m = await api("/api/model");
  const root = $("#model");
  const sec = (title, rows) => el("section", {class: "model-sec"}, el("h2", {}, title), rows);
  const mathCell = html => { const td = el("td", {class: "eq"}); td.innerHTML = html; return td; };
  // MathML is generated by the server from the model's own names (escaped there)
  const therapies = table(Object.entries(m.therapies).map(([k, v]) => ({therapy: k, ...v})), [
    {key: "therapy"}, {key: "inputs", fmt: v => (v || []).join(", ")},
    {key: "states_jumped", label: "states jumped", fmt: v => (v || []).join(", ")},
    {key: "mechanisms", fmt: v => (v || []).join(", ")},
    {key: "sensitivity", label: "personal sensitivity parameter"},
    {key: "compiler_reads", label: "parameters read when dosing", fmt: v => (v || []).join(", ")},
    {key: "parameters", label: "parameters of the mechanisms it drives",
     fmt: (v, r) => (v || []).filter(p => !(r.compiler_reads || []).includes(p)).join(", ")}]);
  const params = table(m.parameters, [{key: "name"}, {key: "value"}, {key: "unit"},
    {key: "low", label: "range", fmt: (v, r) => `${fmt(r.low)} – ${fmt(r.high)}`},
    {key: "mechanism"}, {key: "description"}, {key: "source", label: "provenance"}]);
  const eqTable = (rows, withOutput) => {
    const t = el("table", {class: "data"});
    t.append(el("thead", {}, el("tr", {}, ["name", "unit", "mechanism", "description", "equation"]
      .map(c => el("th", {}, c)))));
    const tb = el("tbody");
    rows.forEach(r => tb.append(el("tr", {}, el("td", {}, r.name), el("td", {}, r.unit),
      el("td", {}, r.mechanism), el("td", {}, r.description + (withOutput && r.output ? " (saved output)" : "")),
      mathCell(r.equation))));
    t.append(tb);
    return t;
  };
  fill(root, 
    el("p", {}, `${m.name}: ${m.states.length} states, ${m.parameters.length} parameters, ${m.derived.length} derived quantities, ${m.inputs.length} inputs. Fingerprint ${m.fingerprint}.`),
    sec("Which parameters each therapy touches", therapies),
    sec("States and rate equations", eqTable(m.states, false)),
    sec("Derived quantities", eqTable(m.derived, true)),
    sec("Parameters", params),
    sec("Inputs", table(m.inputs, [{key: "name"}, {key: "unit"}, {key: "default"}, {key: "mechanism"}, {key: "description"}])));
  const search = $("#search");
  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    let shown = 0;
    $$("tbody tr", root).forEach(tr => {
      const hit = !q || tr.textContent.toLowerCase().includes(q);
      tr.classList.toggle("hidden", !hit);
      shown += hit;
    });
    $("#count").textContent = q ? `${shown} matching rows` : "";
  });
}

// ------------------------------------------------------------------ explore page
async function explorePage() {
  const cat = await api("/api/catalogue");
  const sel = $("#protocol");
  cat.protocols.forEach(p => sel.append(el("option", {value: p.file}, p.name)));
  const load = () => { const p = cat.protocols.find(x => x.file === sel.value); if (p) $("#yaml").value = p.yaml; };
  sel.value = (cat.protocols.find(p => p.file === "ketamine_single_iv.yaml") || {}).file || sel.value;
  sel.onchange = load;
  load();
  const show = async job => {
    const r = job.result;
    $("#lines").textContent = (r.ranking || r.lines).join("\n");
    $("#lines").classList.remove("hidden");
    const png = job.files.find(f => f.endsWith(".png"));
    if (png) {
      const blob = await (await api(`/api/jobs/${job.id}/files/${png}`, {raw: true})).blob();
      $("#png").src = URL.createObjectURL(blob);
      $("#png").classList.remove("hidden");
    }
    fill($("#downloads"), downloads(job, job.files.filter(f => !f.endsWith(".json") || f === "best.json").map(f => [f, f])));
  };
  recentRuns(["sensitivity", "optimize"], j => followJob(j.id, $("#run-panel"), show));
  $("#run-sens").addEventListener("click", async () => {
    clearErrors();
    const names = $("#parameters").value.split(",").map(s => s.trim()).filter(Boolean);
    try {
      const ref = await api("/api/sensitivity", {method: "POST", json: {protocol_yaml: $("#yaml").value,
        method: $("#method").value, endpoint: $("#endpoint").value, at: $("#s-at").value,
        parameters: names.length ? names : null, samples: intInput("#samples"), seed: intInput("#seed") || 0}});
      await followJob(ref.id, $("#run-panel"), show);
    } catch (e) { showError(e); }
  });
  $("#run-opt").addEventListener("click", async () => {
    clearErrors();
    try {
      const ref = await api("/api/optimizations", {method: "POST", json: {protocol_yaml: $("#yaml").value,
        outcome: $("#outcome").value, at: $("#o-at").value, trials: intInput("#trials") || 30,
        draws: intInput("#draws") || 32, seed: intInput("#seed") || 0,
        constraints: $("#constraints").value.split(",").map(s => s.trim()).filter(Boolean)}});
      await followJob(ref.id, $("#run-panel"), show);
    } catch (e) { showError(e, "#opt-error"); }
  });
}

// ------------------------------------------------------------------ start
document.addEventListener("DOMContentLoaded", async () => {
  const page = document.body.dataset.page;
  $$("[data-nav]").forEach(a => a.classList.toggle("on", a.dataset.nav === page));
  if (!token() && page !== "model") $("#no-token").classList.remove("hidden");
  const pages = {simulate: simulatePage, trial: trialPage, validation: validationPage,
                 person: personPage, model: modelPage, explore: explorePage};
  try { await pages[page](); document.body.dataset.ready = "1"; }
  catch (e) { document.body.dataset.ready = "error"; const f = $("#form-error"); if (f) f.textContent = e.message; }
});
