/// The page served at `/`: a model card, live request stats, and a playground where a person
/// picks items by title and sees the predicted next items. Plain HTML and JavaScript, no outside
/// resources; it calls the /v1 API with the key the visitor types (kept in localStorage).
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trajectory</title>
<style>
  :root { --ink: #1d2433; --muted: #667085; --line: #e4e7ec; --accent: #3556d4; --bg: #f7f8fa; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
  header { display: flex; align-items: center; gap: 16px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 20px; margin: 0; letter-spacing: .2px; }
  header .tag { color: var(--muted); }
  header form { margin-left: auto; display: flex; gap: 8px; align-items: center; }
  main { display: grid; grid-template-columns: 340px 1fr; gap: 20px; padding: 20px 24px; max-width: 1280px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; }
  h2 { font-size: 15px; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 0; }
  dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; word-break: break-all; }
  input, button, select { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; }
  button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
  button.quiet { background: #fff; color: var(--accent); }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; min-height: 34px; padding: 6px 0; }
  .chip { background: #eef2ff; border: 1px solid #c7d2fe; border-radius: 14px; padding: 2px 10px; cursor: pointer; }
  .chip:hover { text-decoration: line-through; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
  .muted { color: var(--muted); } .error { color: #b42318; }
  #search-results button { padding: 2px 8px; }
  .stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
  .stat { background: var(--bg); border-radius: 8px; padding: 8px; } .stat b { display: block; font-size: 20px; }
</style>
</head>
<body>
<header>
  <h1>Trajectory</h1><span class="tag">next-item prediction service</span>
  <form id="key-form"><label for="key">API key</label><input id="key" type="password" placeholder="trj_…" size="28"><button>Use key</button></form>
</header>
<main>
  <div>
    <section id="card"><h2>Model</h2><p class="muted" id="card-status">Enter an API key to load the model card.</p><dl id="card-fields"></dl></section>
    <section style="margin-top:20px"><h2>Live</h2>
      <div class="stats">
        <div class="stat"><b id="s-requests">–</b>requests</div>
        <div class="stat"><b id="s-predictions">–</b>predictions</div>
        <div class="stat"><b id="s-errors">–</b>5xx</div>
        <div class="stat"><b id="s-queued">–</b>queued</div>
        <div class="stat"><b id="s-memory">–</b>MiB resident</div>
        <div class="stat"><b id="s-uptime">–</b>uptime</div>
      </div>
    </section>
  </div>
  <section id="playground"><h2>Playground</h2>
    <div class="row"><input id="search" placeholder="Find items by title or id…" size="40"><span class="muted">click a result to add it to the history</span></div>
    <table id="search-results"></table>
    <div class="row"><input id="typed" placeholder="…or type item ids: 1193, 661" size="40"><button class="quiet" id="add-typed">Add</button></div>
    <h2 style="margin-top:14px">History <span class="muted">(oldest first; click to remove)</span></h2>
    <div class="chips" id="history"></div>
    <div class="row">
      <label>k <input id="k" type="number" min="1" max="1000" value="10" style="width:80px"></label>
      <label><input id="exclude" type="checkbox" checked> leave out seen items</label>
      <button id="predict">Predict next items</button><button class="quiet" id="clear">Clear</button>
      <span id="predict-status" class="muted"></span>
    </div>
    <table id="predictions"></table>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let key = localStorage.getItem("trajectory-key") || "";
let history = [];  // [{item, title}]
$("key").value = key;

async function api(path, options = {}) {
  const headers = Object.assign({ "Authorization": "Bearer " + key }, options.body ? { "Content-Type": "application/json" } : {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const text = await response.text();
  let body = null; try { body = JSON.parse(text); } catch (e) {}
  if (!response.ok) throw new Error(response.status === 401 ? "the API key was refused" : (body && body.error && body.error.message) || response.statusText);
  return body;
}
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
function fmt(x, digits = 4) { return typeof x === "number" ? x.toFixed(digits) : "–"; }

async function loadCard() {
  const fields = $("card-fields"); fields.textContent = "";
  try {
    const card = await api("/v1/model");
    $("card-status").textContent = "";
    const v = card.validation || {};
    const rows = [["model", card.kind + " · " + card.id], ["shape", card.settings], ["training", card.training],
      ["epochs", card.trained_epochs + " (best " + card.best_epoch + ")"], ["train time", Math.round(card.training_seconds) + " s"],
      ["valid HR@10", fmt(v["HR@10"])], ["valid NDCG@10", fmt(v["NDCG@10"])], ["valid MRR", fmt(v["MRR"])],
      ["data", card.dataset.users + " users · " + card.dataset.items + " items · " + card.dataset.events + " events"],
      ["max history", card.max_length], ["run created", card.created], ["checkpoint", card.checkpoint_modified], ["loaded", card.loaded_at]];
    for (const [name, value] of rows) {
      const dt = document.createElement("dt"); dt.textContent = name;
      const dd = document.createElement("dd"); dd.textContent = value;
      fields.append(dt, dd);
    }
  } catch (error) { $("card-status").textContent = error.message; $("card-status").className = "error"; }
}

async function loadStats() {
  if (!key) return;
  try {
    const s = await api("/v1/stats");
    $("s-requests").textContent = s.requests; $("s-predictions").textContent = s.predictions;
    $("s-errors").textContent = s.errors; $("s-queued").textContent = s.queued;
    $("s-memory").textContent = Math.round(s.resident_bytes / 1048576);
    $("s-uptime").textContent = s.uptime_seconds < 120 ? Math.round(s.uptime_seconds) + " s" : Math.round(s.uptime_seconds / 60) + " min";
  } catch (error) {}
}

function renderHistory() {
  const box = $("history"); box.textContent = "";
  for (const [index, entry] of history.entries()) {
    const chip = document.createElement("span"); chip.className = "chip";
    chip.textContent = entry.title ? entry.title : entry.item; chip.title = "item " + entry.item;
    chip.onclick = () => { history.splice(index, 1); renderHistory(); predict(); };
    box.append(chip);
  }
  if (!history.length) { const hint = document.createElement("span"); hint.className = "muted"; hint.textContent = "empty: predictions fall back to the most popular items"; box.append(hint); }
}

let searchTimer = null;
$("search").oninput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 150); };
async function search() {
  const table = $("search-results"); table.textContent = "";
  const q = $("search").value.trim(); if (!q) return;
  try {
    const found = await api("/v1/items?limit=8&q=" + encodeURIComponent(q));
    for (const item of found.items) {
      const row = table.insertRow();
      cell(row, item.item, "muted"); cell(row, item.title || "");
      const add = document.createElement("button"); add.textContent = "add";
      add.onclick = () => { history.push({ item: item.item, title: item.title }); renderHistory(); predict(); };
      row.insertCell().append(add);
    }
  } catch (error) { const row = table.insertRow(); cell(row, error.message, "error"); }
}
$("add-typed").onclick = () => {
  for (const id of $("typed").value.split(/[\s,]+/).filter(Boolean)) history.push({ item: id, title: null });
  $("typed").value = ""; renderHistory(); predict();
};
$("clear").onclick = () => { history = []; renderHistory(); $("predictions").textContent = ""; };
$("predict").onclick = () => predict();

async function predict() {
  const table = $("predictions");
  const started = performance.now();
  try {
    const answer = await api("/v1/predict", { method: "POST", body: JSON.stringify({
      history: history.map((h) => h.item), k: Math.max(1, Math.min(1000, +$("k").value || 10)), exclude_seen: $("exclude").checked }) });
    table.textContent = "";
    const head = table.createTHead().insertRow();
    for (const [text, cls] of [["#", "num"], ["item", ""], ["title", ""], ["score", "num"]]) { const th = document.createElement("th"); th.textContent = text; th.className = cls; head.append(th); }
    const body = table.createTBody();
    answer.items.forEach((item, rank) => {
      const row = body.insertRow();
      cell(row, rank + 1, "num"); cell(row, item.item); cell(row, item.title || ""); cell(row, fmt(item.score, 3), "num");
    });
    const ms = (performance.now() - started).toFixed(1);
    $("predict-status").className = "muted";
    $("predict-status").textContent = (answer.source === "popularity" ? "no known history: most popular items" : "from " + answer.history_used + " history items")
      + (answer.unknown.length ? " · unknown ids skipped: " + answer.unknown.join(", ") : "") + " · " + ms + " ms";
  } catch (error) { $("predict-status").className = "error"; $("predict-status").textContent = error.message; }
}

$("key-form").onsubmit = (event) => {
  event.preventDefault(); key = $("key").value.trim(); localStorage.setItem("trajectory-key", key); loadCard(); loadStats();
};
// A link may carry a key and a history in its fragment (never sent to the server):
// /#key=trj_…&history=1193,661 — handy for sharing a playground state and for headless checks.
const fragment = new URLSearchParams(location.hash.slice(1));
// A key from a link is used for this view only, never stored: a crafted link must not replace the visitor's saved key.
if (fragment.get("key")) { key = fragment.get("key"); $("key").value = key; }
if (fragment.get("history")) history = fragment.get("history").split(",").filter(Boolean).map((item) => ({ item, title: null }));
renderHistory();
if (key) { loadCard(); loadStats(); if (history.length) predict(); }
setInterval(loadStats, 2000);
</script>
</body>
</html>
"""#
}
