// The page of `samplernn serve`: asks the JSON API for jobs, polls their progress, shows the results.
"use strict";

const POLL_MS = 300;
const NOT_IN_BANK = "Notes marked · are not in the bank: the model has heard only the pitches around them";
const kept = new Map(); // "job:take" -> {name, url}
let model = null;

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const counted = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`; // "1 note", "2 notes"

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// fetch, with a server that cannot be reached (stopped, or restarted elsewhere) said in words: the
// browser's own error is "Failed to fetch", which names neither what failed nor what to do.
async function call(url, options) {
  try {
    return await fetch(url, options);
  } catch {
    throw new Error("cannot reach the server: is `samplernn serve` still running? (start it, then reload the page)");
  }
}

// A response's JSON, or an Error carrying the server's one-line "detail".
async function json(response) {
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : `${response.status} ${response.statusText}`;
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return body;
}

function show(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

function fileUrl(jobId, name) {
  return `/api/jobs/${encodeURIComponent(jobId)}/files/${encodeURIComponent(name)}`;
}

// Poll a job until it is done (returns its result) or failed (throws its message).
async function follow(job, progressBox) {
  const bar = progressBox.querySelector("progress");
  const stage = progressBox.querySelector(".stage");
  progressBox.hidden = false;
  try {
    for (;;) {
      bar.value = job.progress;
      stage.textContent = `${job.state}: ${job.stage} (${Math.round(job.progress * 100)} %)`;
      if (job.state === "done") return job.result;
      if (job.state === "error") throw new Error(job.message);
      await sleep(POLL_MS);
      job = await json(await call(`/api/jobs/${encodeURIComponent(job.id)}`));
    }
  } finally {
    progressBox.hidden = true;
  }
}

function fmt(value, digits, unit, signed = true) {
  if (value === null || value === undefined) return "–";
  const rounded = Number(value.toFixed(digits)) || 0; // no "-0"
  return `${signed && rounded > 0 ? "+" : ""}${rounded.toFixed(digits)} ${unit}`;
}

function grade(value, good, ok) {
  if (value === null || value === undefined) return "";
  const v = Math.abs(value);
  return v <= good ? "good" : v <= ok ? "ok" : "bad";
}

// A drum hit's one-shot checks (render.pack's): each row a value and whether it passed.
function hitRows(t) {
  const pass = (ok) => (ok === null || ok === undefined ? "" : ok ? "good" : "bad");
  const rows = [
    ["attack", fmt(t.attack_ms, 1, "ms", false), pass(t.checks.attack), "time to come within 3 dB of the peak (good: within 10 ms)"],
    ["decay", `${fmt(t.decay_ms, 0, "ms", false)} (kit ${fmt(t.decay_ref_ms, 0, "ms", false)})`, pass(t.checks.decay),
      "time to fall 20 dB below the peak, against the kit's for this piece (good: within 30 %)"],
    ["clipping", t.clipped ? `reached full scale (file ${fmt(t.gain_db, 1, "dB")})` : t.stuck ? "stuck at one value" : "none",
      pass(t.checks.clean),
      "whether the take reached full scale (its file is then lowered to -1 dBFS) or stuck at one value for 20 ms"],
  ];
  if (t.checks.like !== undefined) {
    rows.push(["likeness", t.checks.like ? "like its piece" : `nearest: ${t.nearest_piece}`, pass(t.checks.like),
      "the kit's piece whose log-mel centroid is nearest"]);
    rows.push(["novelty", t.checks.novel ? "new" : "close to a training hit", pass(t.checks.novel),
      "distance to the nearest training hit against the spread of the piece's real hits"]);
  }
  if (t.checks.distinct !== undefined && t.checks.distinct !== null) {
    rows.push(["takes differ", t.checks.distinct ? "apart from the others" : "close to another take",
      pass(t.checks.distinct), "distance to the nearest other take of this request, by the same rule as novelty"]);
  }
  return rows;
}

function measureList(t) {
  const noiseGrade = t.noise_floor_db === null ? "" : t.noise_floor_db <= -60 ? "good" : t.noise_floor_db <= -40 ? "ok" : "bad";
  const rows = model && model.drums ? hitRows(t) : [
    ["pitch error", fmt(t.cents, 0, "cents"), grade(t.cents, 20, 50), "median pYIN f0 of the held part vs the note (pYIN reads pitch in 10-cent steps)"],
    ["noise floor", fmt(t.noise_floor_db, 0, "dBFS", false), noiseGrade, "level of what should be silence (before note-on, after the end)"],
    ["level vs bank", fmt(t.level_diff_db, 1, "dB"), grade(t.level_diff_db, 3, 6), "note RMS minus the bank's typical level"],
  ];
  const dl = el("dl", { class: "measures" });
  for (const [name, value, cls, title] of rows) {
    dl.append(el("dt", { text: name, title }), el("dd", { text: value, class: cls, title }));
  }
  return dl;
}

function takeCard(jobId, result, t) {
  const key = `${jobId}:${t.take}`;
  const wav = fileUrl(jobId, t.wav);
  const keep = el("button", { type: "button", class: kept.has(key) ? "kept" : "secondary", text: kept.has(key) ? "Kept ★" : "Keep" });
  keep.addEventListener("click", () => {
    if (kept.has(key)) kept.delete(key); else kept.set(key, { name: t.download, url: wav });
    keep.className = kept.has(key) ? "kept" : "secondary";
    keep.textContent = kept.has(key) ? "Kept ★" : "Keep";
    drawKept();
  });
  return el("article", { class: t.rank === 1 ? "take best" : "take", "data-take": key },
    el("header", {},
      el("span", { class: "rank", text: `#${t.rank}` }),
      el("span", { text: `take ${t.take} · ${t.seconds.toFixed(2)} s` }),
      el("span", { class: "score", text: `score ${t.score.toFixed(2)}`,
        title: model && model.drums ? "checks passed, less half the decay's error: higher is better" : "lower is better" })),
    // title: the name the player's own ⋮ Download saves it under (chromium's); else the URL's, take-1.wav
    el("audio", { controls: "", preload: "metadata", src: wav, title: t.download }),
    measureList(t),
    el("div", { class: "actions" }, keep, el("a", { href: wav, download: t.download, text: "download WAV" })),
    el("img", { class: "spectrogram", src: fileUrl(jobId, t.png), alt: `waveform and spectrogram of take ${t.take}`, loading: "lazy" }));
}

// Each kept take's name as the sample pack's zip names it (app.unique_names): take 2 of two generations
// of one note are "D3-v100-0.80s-take2.wav" and "D3-v100-0.80s-take2-2.wav", not two rows alike.
function keptNames() {
  const names = [...kept.values()].map((item) => item.name);
  const used = new Set();
  const unique = names.map((name) => {
    const dot = name.lastIndexOf(".");
    const [stem, ext] = dot >= 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
    let k = 1;
    let out = name;
    while (used.has(out) || (out !== name && names.includes(out))) out = `${stem}-${++k}${ext}`;
    used.add(out);
    return out;
  });
  return new Map([...kept.keys()].map((key, i) => [key, unique[i]]));
}

function drawKept() {
  const list = $("kept-list");
  list.replaceChildren();
  show($("pack-error"), ""); // it named what the list held: a take dropped with ✕, say
  const names = keptNames();
  for (const [key, item] of kept) {
    const drop = el("button", { type: "button", class: "secondary", text: "✕", title: "drop from the pack" });
    drop.addEventListener("click", () => {
      kept.delete(key);
      const card = document.querySelector(`[data-take="${key}"] .actions button`);
      if (card) { card.className = "secondary"; card.textContent = "Keep"; }
      drawKept();
    });
    list.append(el("li", {}, el("a", { href: item.url, download: names.get(key), text: names.get(key) }), drop));
  }
  if (!kept.size) list.append(el("li", { class: "empty", text: "nothing kept yet" }));
  const pack = $("pack");
  const query = [...kept.keys()].map((k) => `take=${encodeURIComponent(k)}`).join("&");
  pack.href = kept.size ? `/api/pack?${query}` : "#";
  pack.classList.toggle("disabled", !kept.size);
  pack.setAttribute("aria-disabled", String(!kept.size));
  pack.textContent = `Download sample pack (.zip${kept.size ? `, ${kept.size} take${kept.size > 1 ? "s" : ""}` : ""})`;
}

// The names of the kept takes whose job the server no longer has (expired: an hour old, or 64 newer jobs).
async function expiredNames() {
  const jobOf = (key) => key.slice(0, key.lastIndexOf(":"));
  const gone = new Set();
  for (const id of new Set([...kept.keys()].map(jobOf))) {
    if ((await call(`/api/jobs/${encodeURIComponent(id)}`)).status === 404) gone.add(id);
  }
  const names = keptNames();
  return [...kept.keys()].filter((key) => gone.has(jobOf(key))).map((key) => names.get(key));
}

// The pack through fetch: a take that expired meanwhile is a line in the page, not a saved error file,
// named as the kept list shows it (the server's refusal names a job id the page never shows).
async function downloadPack(event) {
  event.preventDefault();
  const pack = $("pack");
  show($("pack-error"), "");
  if (!kept.size) return;
  try {
    const response = await call(pack.href);
    const gone = response.status === 404 ? await expiredNames() : [];
    if (gone.length) {
      throw new Error(`${gone.join(", ")}: no longer on the server (generated files are kept an hour); ` +
        `drop ${gone.length === 1 ? "it" : "them"} (✕) to download the rest`);
    }
    if (!response.ok) await json(response);
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: pack.download });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (err) {
    show($("pack-error"), err.message);
  }
}

// A number field's value; an empty one (or one the browser cannot read as a number) refused in words,
// named as the server names it: Number("") is 0, which the server refused as "velocity must be 1..127, got 0".
function numberIn(id, name, range, optional = false) {
  const input = $(id);
  if (input.validity.badInput) throw new Error(`${name} is not a number: it must be ${range}`);
  if (input.value === "") {
    if (optional) return null;
    throw new Error(`${name} is empty: it must be ${range}`);
  }
  return Number(input.value);
}

async function generateTakes(event) {
  event.preventDefault();
  const button = $("generate");
  show($("takes-error"), "");
  show($("takes-warning"), "");
  button.disabled = true;
  try {
    const lim = model.limits;
    const body = {
      note: $("note").value, velocity: numberIn("velocity", "velocity", "1..127"),
      duration: model.drums ? null : numberIn("duration", "length", `${lim.min_duration}..${lim.max_duration} s`),
      takes: numberIn("takes", "takes", `1..${lim.max_takes}`),
      seed: numberIn("seed", "seed", "0 or more, or empty for a random one", true),
    };
    const job = await json(await call("/api/takes", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }));
    const result = await follow(job, $("takes-progress"));
    show($("takes-warning"), result.warning);
    show($("takes-summary"), result.drums
      ? `${result.note}, velocity ${result.velocity}: hits as long as the kit's, held ${result.release_s.toFixed(2)} s, ` +
        `ringing out by ${result.end_s.toFixed(2)} s. Best first (attack, decay, clipping` +
        `${result.takes.length && result.takes[0].checks.like !== undefined ? ", likeness, novelty" : ""}` +
        ` against ${result.reference}).`
      : `${result.note}, velocity ${result.velocity}: note-on at ${result.onset_s.toFixed(2)} s, ` +
        `note-off at ${result.release_s.toFixed(2)} s, end of the release at ${result.end_s.toFixed(2)} s. ` +
        "Best first (pitch error, noise floor and level against the bank).");
    const list = $("takes-list");
    list.replaceChildren(...result.takes.map((t) => takeCard(job.id, result, t)));
    list.dataset.job = job.id;
  } catch (err) {
    show($("takes-error"), err.message);
  } finally {
    button.disabled = false;
  }
}

async function renderMidi(event) {
  event.preventDefault();
  const button = $("render");
  const box = $("render-result");
  show($("render-error"), "");
  const file = $("midi").files[0];
  if (!file) { show($("render-error"), "choose a MIDI file first"); return; }
  if (model && file.size > model.limits.max_upload_bytes) {
    show($("render-error"), `${file.name}: too large (at most ${Math.round(model.limits.max_upload_bytes / 1024)} KiB)`);
    return;
  }
  button.disabled = true;
  box.hidden = true;
  try {
    const form = new FormData();
    form.append("file", file);
    form.append("transpose", $("transpose").value || "0");
    form.append("clamp", $("clamp").checked ? "true" : "false");
    const job = await json(await call("/api/render", { method: "POST", body: form }));
    const r = await follow(job, $("render-progress"));
    const notes = [...r.ignored.map((x) => `ignored ${x}`), ...r.changed.map((x) => `${model && model.drums ? "played" : "clamped"} ${x}`),
      ...(r.pedal_held ? [`${counted(r.pedal_held, "note")} held by the sustain pedal`] : []),
      ...(r.hanging || []).map((x) => `warning: ${x}`)];
    box.querySelector(".summary").textContent = `${r.name}: ${counted(r.notes, model && model.drums ? "hit" : "note")}, ${r.seconds.toFixed(1)} s ` +
      `(rendered in ${r.elapsed.toFixed(1)} s)${r.gain_db < 0 ? `, gain ${r.gain_db.toFixed(1)} dB to stay below clipping` : ""}` +
      (notes.length ? `. ${notes.join("; ")}` : "");
    const wav = fileUrl(job.id, r.wav);
    Object.assign(box.querySelector("audio"), { src: wav, title: r.download }); // title: as for a take's
    const link = box.querySelector("a.download");
    link.href = wav;
    link.download = r.download;
    box.querySelector("img").src = fileUrl(job.id, r.png);
    box.hidden = false;
  } catch (err) {
    show($("render-error"), err.message);
  } finally {
    button.disabled = false;
  }
}

async function start() {
  try {
    model = await json(await fetch("/api/model"));
  } catch (err) {
    show($("takes-error"), `cannot reach the server: ${err.message}`);
    return;
  }
  const [lo, hi] = model.pitch_range;
  const lim = model.limits;
  const names = model.notes.map((n) => n.name);
  const files = `MIDI files up to ${Math.round(lim.max_upload_bytes / 1024)} KiB and ${lim.max_midi_seconds} s`;
  $("model-info").textContent = model.drums
    ? `${model.sample_rate} Hz drum model, trained on a kit of ${names.length} pieces, step ${model.step}. ` +
      `Up to ${lim.max_takes} takes of a hit, each as long as the kit's; ${files}, their drum channel played.`
    : `${model.sample_rate} Hz model, trained on ${names[0]}–${names[names.length - 1]} ` +
      `(${lo}–${hi}), step ${model.step}. Up to ${lim.max_takes} takes of ${lim.min_duration}–${lim.max_duration} s; ${files}.` +
      (model.notes.some((n) => !n.in_bank) ? ` ${NOT_IN_BANK}.` : "");
  if (model.drums) {
    $("takes-section").querySelector("h2").textContent = "Takes of a hit";
    $("note").closest("label").firstChild.textContent = "Piece ";
    $("duration").closest("label").hidden = true;
    $("clamp").closest("label").hidden = true;
    $("transpose").closest("label").hidden = true; // it would move the kit's keys, not tune its drums
  }
  const select = $("note");
  const bank = model.bank_pitches;
  const middle = model.drums ? bank[0] : bank.length ? bank[Math.floor(bank.length / 2)] : Math.round((lo + hi) / 2);
  for (const n of model.notes) {
    const option = el("option", { value: String(n.pitch), text: `${n.name} (${n.pitch})${n.in_bank ? "" : " ·"}`,
      ...(n.in_bank ? {} : { title: NOT_IN_BANK }) });
    if (n.pitch === middle) option.selected = true;
    select.append(option);
  }
  for (const [id, min, max, value] of [["duration", lim.min_duration, lim.max_duration, lim.default_duration],
    ["takes", 1, lim.max_takes, lim.default_takes], ["velocity", 1, 127, lim.default_velocity]]) {
    Object.assign($(id), { min, max, value });
  }
  $("takes-form").addEventListener("submit", generateTakes);
  $("render-form").addEventListener("submit", renderMidi);
  $("pack").download = `${model.name}-pack.zip`; // as the server names it
  $("pack").addEventListener("click", downloadPack);
  document.body.dataset.ready = "true";
}

start();
