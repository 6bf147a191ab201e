/// The page served at `/`: one self-contained HTML file with plain JavaScript (no build step, no external assets).
///
/// It reads `/v1/models` for the classes and limits, posts `/v1/generate`, follows the job's event stream with
/// `EventSource` (progress bar, live preview of the x0 prediction), then shows the grid and each image with a
/// download link, and keeps a history of the results made since it was opened.
enum ServePage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>dimr serve</title>
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f4f6; color: #222; }
      header { background: #23243a; color: #fff; padding: 10px 18px; }
      header h1 { font-size: 18px; margin: 0; display: inline; }
      header span { margin-left: 12px; color: #bbc; }
      main { display: grid; grid-template-columns: 320px 1fr; gap: 16px; padding: 16px; }
      section { background: #fff; border-radius: 6px; padding: 12px 14px; box-shadow: 0 1px 2px #0002; }
      label { display: block; margin: 8px 0 2px; font-weight: 600; }
      input[type=number], input[type=text], select { width: 100%; box-sizing: border-box; padding: 4px; }
      #classes { max-height: 220px; overflow: auto; border: 1px solid #ddd; padding: 4px; }
      #classes label { font-weight: normal; margin: 2px 0; }
      .row { display: flex; gap: 6px; align-items: center; }
      .row > * { flex: 1; }
      button { padding: 6px 12px; cursor: pointer; }
      #generate { width: 100%; margin-top: 12px; font-size: 16px; background: #3b5bdb; color: #fff; border: 0; border-radius: 4px; }
      #generate:disabled { background: #99a; }
      progress { width: 100%; height: 18px; }
      #error { color: #b00; white-space: pre-wrap; }
      .images { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
      .images a { display: block; text-align: center; font-size: 11px; color: #345; text-decoration: none; }
      .images img, #preview, #grid { image-rendering: pixelated; }
      .images img { width: 64px; height: 64px; display: block; border: 1px solid #ccc; }
      #grid, #preview { max-width: 100%; min-width: 240px; border: 1px solid #ccc; }
      #history .item { display: flex; gap: 10px; align-items: center; border-top: 1px solid #eee; padding: 6px 0; }
      #history img { height: 60px; image-rendering: pixelated; }
    </style>
    </head>
    <body>
    <header><h1>dimr serve</h1><span id="model">loading the model description…</span></header>
    <main>
    <section>
      <label>Classes</label>
      <div class="row"><button type="button" id="all">all</button><button type="button" id="none">none</button></div>
      <div id="classes"></div>
      <label for="per_class">Images per class</label><input id="per_class" type="number" min="1" value="4">
      <label for="seed">Seed</label>
      <div class="row"><input id="seed" type="text" inputmode="numeric" value="0"><button type="button" id="dice" title="a random seed" style="flex:0">dice</button></div>
      <label for="sampler">Sampler</label><select id="sampler"></select>
      <label for="steps">Steps</label><input id="steps" type="number" min="1" value="25">
      <label for="guidance">Guidance</label><select id="guidance"></select>
      <label for="scale">Scale</label><input id="scale" type="number" step="0.1" value="1">
      <div id="power-row"><label for="power">Power (decayed rule)</label><input id="power" type="number" step="0.1" value="1"></div>
      <label>Guidance interval (optional, 0…1000)</label>
      <div class="row"><input id="low" type="number" placeholder="low"><input id="high" type="number" placeholder="high"></div>
      <label for="format">Format</label><select id="format"></select>
      <label><input id="show-preview" type="checkbox" checked> live preview</label>
      <button id="generate" type="button">Generate</button>
      <div id="error"></div>
    </section>
    <section>
      <div class="row"><progress id="progress" max="100" value="0"></progress><span id="progress-text" style="flex:0 0 60px">0%</span>
        <button type="button" id="cancel" style="flex:0" disabled>Cancel</button></div>
      <div id="status">Pick classes and press Generate.</div>
      <div class="row" style="align-items:flex-start; margin-top:10px">
        <div><h3>Preview</h3><img id="preview" alt="preview of the x0 prediction" hidden></div>
        <div><h3>Result</h3><div id="result"></div></div>
      </div>
      <h3>History</h3><div id="history"></div>
    </section>
    </main>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    let model = null, source = null, jobId = null;

    function option(select, value) { const o = document.createElement("option"); o.value = o.textContent = value; select.appendChild(o); }

    async function loadModel() {
      const answer = await (await fetch("/v1/models")).json();
      model = answer.models[0];
      const limits = answer.limits;
      $("model").textContent = model.name + ": " + model.image_shape.join("×") + ", " + model.parameters.toLocaleString() +
        " parameters (" + model.weights + " weights), up to " + limits.max_images + " images per request";
      for (const c of model.classes) {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox"; box.value = c.index; box.checked = true;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + c.index + (c.name ? " — " + c.name : "")));
        $("classes").appendChild(label);
      }
      limits.samplers.forEach((s) => option($("sampler"), s));
      limits.guidance.forEach((g) => option($("guidance"), g));
      limits.formats.forEach((f) => option($("format"), f));
      $("steps").max = limits.steps[1];
      $("per_class").value = Math.max(1, Math.min(4, Math.floor(limits.max_images / model.classes.length)));
      showPower();
    }

    function showPower() { $("power-row").style.display = $("guidance").value === "decayed" ? "" : "none"; }

    function setProgress(fraction) {
      const percent = Math.round(100 * fraction);
      $("progress").value = percent;
      $("progress-text").textContent = percent + "%";
    }

    // The seed as typed: digits up to 2^64 - 1, sent as they are (a JavaScript number keeps only 2^53 exactly).
    function seedText() {
      const text = $("seed").value.trim() || "0";
      if (!/^[0-9]{1,20}$/.test(text) || BigInt(text) > 18446744073709551615n) {
        throw new Error("the seed must be a whole number in 0...18446744073709551615");
      }
      return BigInt(text).toString();
    }

    function request() {
      const classes = [...document.querySelectorAll("#classes input:checked")].map((b) => Number(b.value));
      const body = { classes, per_class: Number($("per_class").value), sampler: $("sampler").value,
                     steps: Number($("steps").value), guidance: $("guidance").value, scale: Number($("scale").value), format: $("format").value };
      if ($("guidance").value === "decayed") body.power = Number($("power").value);
      if ($("low").value !== "" || $("high").value !== "") body.interval = [Number($("low").value), Number($("high").value)];
      // Previews count solver steps, which dpm-solver makes about a third as many of as steps.
      if ($("show-preview").checked) body.preview_every = Math.max(1, Math.floor(body.steps / 10));
      body.seed = seedText();
      return body;
    }

    // The body as JSON text, the seed written as the digits typed.
    function requestText(body) {
      const { seed, ...rest } = body;
      return JSON.stringify(rest).slice(0, -1) + ',"seed":' + seed + "}";
    }

    async function generate() {
      $("error").textContent = "";
      let body, response, answer;
      try {
        body = request();
      } catch (e) {
        $("error").textContent = e.message;
        return;
      }
      try {
        response = await fetch("/v1/generate", { method: "POST", headers: { "Content-Type": "application/json" }, body: requestText(body) });
        answer = await response.json();
      } catch (e) {
        $("error").textContent = "cannot reach the server or read its answer: " + e.message;
        return;
      }
      if (!response.ok) {
        const wait = response.headers.get("Retry-After");
        $("error").textContent = (answer.field ? answer.field + ": " : "") + answer.error + (wait ? " (retry in " + wait + " s)" : "");
        return;
      }
      jobId = answer.id;
      $("generate").disabled = true; $("cancel").disabled = false;
      setProgress(0);
      $("preview").hidden = true;
      $("preview").removeAttribute("src");
      $("status").textContent = "queued";
      follow(answer.id, body);
    }

    function follow(id, body) {
      source = new EventSource("/v1/jobs/" + id + "/events");
      source.addEventListener("queued", (e) => { $("status").textContent = "queued, position " + JSON.parse(e.data).position; });
      source.addEventListener("started", (e) => {
        const d = JSON.parse(e.data);
        $("status").textContent = "sampling " + d.steps + " steps in a batch of " + d.batch_images + " images (" + d.batch_jobs + " requests)";
      });
      source.addEventListener("progress", (e) => {
        const d = JSON.parse(e.data);
        setProgress(d.progress);
        $("status").textContent = "step " + d.step + " of " + d.steps + ", t = " + d.time.toFixed(1);
      });
      source.addEventListener("preview", (e) => { $("preview").src = JSON.parse(e.data).image; $("preview").hidden = false; });
      source.addEventListener("done", async (e) => {
        finish();
        setProgress(1);
        const d = JSON.parse(e.data);
        $("status").textContent = "done: " + d.images + " images in " + d.seconds.toFixed(2) + " s";
        try {
          const status = await (await fetch("/v1/jobs/" + id)).json();
          show(status, body);
        } catch (e) {
          $("error").textContent = "cannot read the result from the server: " + e.message;
        }
      });
      source.addEventListener("failed", (e) => { finish(); $("status").textContent = "failed: " + JSON.parse(e.data).error; });
      source.addEventListener("cancelled", (e) => { finish(); $("status").textContent = "cancelled: " + JSON.parse(e.data).reason; });
      source.onerror = () => { if (source && source.readyState === EventSource.CLOSED) { finish(); } };
    }

    function finish() {
      if (source) { source.close(); source = null; }
      $("generate").disabled = false; $("cancel").disabled = true;
    }

    function show(status, body) {
      const result = $("result");
      result.textContent = "";
      const grid = document.createElement("img");
      grid.id = "grid"; grid.src = status.files.grid; grid.alt = "grid";
      result.appendChild(grid);
      const images = document.createElement("div");
      images.className = "images";
      status.files.images.forEach((url, k) => {
        const link = document.createElement("a");
        link.href = url; link.download = status.id + "-" + k + ".png"; link.title = "download image " + k;
        const img = document.createElement("img");
        img.src = url; img.alt = "image " + k;
        link.appendChild(img);
        link.appendChild(document.createTextNode("⤓ " + k));
        images.appendChild(link);
      });
      result.appendChild(images);
      if (status.files.npz) {
        const npz = document.createElement("a");
        npz.href = status.files.npz; npz.download = status.id + "-samples.npz"; npz.textContent = "samples.npz";
        result.appendChild(npz);
      }
      const item = document.createElement("div");
      item.className = "item";
      const thumb = document.createElement("img");
      thumb.src = status.files.grid; thumb.alt = "grid of " + status.id;
      const text = document.createElement("div");
      text.textContent = new Date().toLocaleTimeString() + ": classes " + status.settings.classes.join(",") + " × " + status.settings.per_class +
        ", seed " + body.seed + ", " + status.settings.sampler + " " + status.settings.steps + " steps, " + status.settings.guidance +
        " " + status.settings.scale;
      const link = document.createElement("a");
      link.href = status.files.grid; link.download = status.id + "-grid.png"; link.textContent = " grid.png";
      text.appendChild(link);
      item.appendChild(thumb); item.appendChild(text);
      $("history").prepend(item);
    }

    $("generate").addEventListener("click", generate);
    $("cancel").addEventListener("click", () => {
      if (jobId) { fetch("/v1/jobs/" + jobId, { method: "DELETE" }).catch((e) => { $("error").textContent = "cannot cancel: " + e.message; }); }
    });
    $("dice").addEventListener("click", () => { $("seed").value = Math.floor(Math.random() * 4294967296); });
    $("guidance").addEventListener("change", showPower);
    $("all").addEventListener("click", () => document.querySelectorAll("#classes input").forEach((b) => { b.checked = true; }));
    $("none").addEventListener("click", () => document.querySelectorAll("#classes input").forEach((b) => { b.checked = false; }));
    loadModel().catch((e) => { $("error").textContent = "cannot read /v1/models: " + e; });
    </script>
    </body>
    </html>
    """#
}
