/* The key-press menu editor: a form over the JSON textarea (#id_ivr_menu).
 * The textarea stays the source of truth that is submitted and validated by the server;
 * the editor rewrites it on every change and redraws itself when the JSON is edited by hand. */
(function () {
  "use strict";
  var KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"];
  var ACTIONS = ["message", "repeat", "back", "submenu", "transfer", "hangup"];

  function init() {
    var root = document.getElementById("menu-editor");
    var area = document.getElementById("id_ivr_menu");
    var labelsNode = document.getElementById("menu-labels");
    if (!root || !area || !labelsNode) return;
    var L = JSON.parse(labelsNode.textContent);
    var model = null;
    var writing = false;
    // Recordings: saved ones come from the server (id -> name, seconds); a file chosen here
    // is kept in #menu-audio-files as the field menu_audio_N and referenced as "new:N" until
    // the form is saved (the server then stores it and puts its id in the JSON).
    var recordingsNode = document.getElementById("menu-recordings");
    var recordings = recordingsNode ? JSON.parse(recordingsNode.textContent) : {};
    var held = document.getElementById("menu-audio-files");
    var audioUrl = root.dataset.audioUrl || "";
    var nextUpload = 1;

    function el(tag, attrs, children) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (name) {
        if (name === "text") node.textContent = attrs[name];
        else if (name === "value") node.value = attrs[name];
        else node.setAttribute(name, attrs[name]);
      });
      (children || []).forEach(function (child) { if (child) node.appendChild(child); });
      return node;
    }
    function button(text, onClick, cls) {
      var b = el("button", { type: "button", "class": "btn btn-small " + (cls || ""), text: text });
      b.addEventListener("click", onClick);
      return b;
    }
    function save(redraw) {
      writing = true;
      area.value = model ? JSON.stringify(model, null, 2) : "";
      area.dispatchEvent(new Event("input", { bubbles: true }));
      writing = false;
      if (redraw) draw();
    }
    function load() {
      var text = area.value.trim();
      if (!text) { model = null; return true; }
      try { model = JSON.parse(text); return typeof model === "object" && model !== null; }
      catch (e) { return false; }
    }

    function heldInput(ref) {
      if (!held || !/^new:\d+$/.test(ref || "")) return null;
      return held.querySelector('input[name="menu_audio_' + ref.slice(4) + '"]');
    }
    function dropPending(node) {  // "new:N" whose file is gone (e.g. after a refused save)
      if (!node || typeof node !== "object") return;
      if (/^new:/.test(node.prompt_audio || "") && !heldInput(node.prompt_audio)) delete node.prompt_audio;
      Object.keys(node.keys || {}).forEach(function (k) {
        var o = node.keys[k] || {};
        if (/^new:/.test(o.message_audio || "") && !heldInput(o.message_audio)) delete o.message_audio;
        dropPending(o.menu);
      });
    }
    function audioBox(holder, field) {
      var ref = holder[field];
      var box = el("div", { "class": "menu-audio" });
      var input = heldInput(ref);
      var saved = ref && recordings[ref];
      if (saved || input) {
        var file = input && input.files && input.files[0];
        var src = saved ? audioUrl.replace("AUDIO_ID", ref) : (file ? URL.createObjectURL(file) : "");
        box.appendChild(el("audio", { controls: "", preload: "metadata", src: src, "class": "menu-audio-player", "aria-label": L.recording }));
        var text = saved ? saved.name + ", " + saved.seconds.toFixed(1) + " s" : (file ? file.name : "") + " · " + L.unsaved;
        box.appendChild(el("span", { "class": "small muted menu-audio-name", text: "🔊 " + text }));
        box.appendChild(button("✕ " + L.removeRecording, function () {
          if (input) input.remove();
          delete holder[field];
          save(true);
        }, "menu-audio-remove"));
        return box;
      }
      var chooser = el("input", { type: "file", accept: ".wav,.mp3,audio/wav,audio/mpeg", "aria-label": L.chooseRecording, title: L.chooseRecording, "class": "menu-audio-file" });
      chooser.addEventListener("change", function () {
        if (!chooser.files || !chooser.files.length || !held) return;
        var n = nextUpload++;
        chooser.name = "menu_audio_" + n;
        chooser.removeAttribute("class");
        held.appendChild(chooser);
        holder[field] = "new:" + n;
        save(true);
      });
      box.appendChild(el("label", { "class": "small muted", text: L.chooseRecording }, [chooser]));
      return box;
    }

    function optionRow(node, key, depth) {
      var option = node.keys[key];
      var keySelect = el("select", { "aria-label": L.key, title: L.key, "class": "menu-key" });
      KEYS.forEach(function (k) {
        if (k === key || !(k in node.keys)) keySelect.appendChild(el("option", { value: k, text: k }));
      });
      keySelect.value = key;
      keySelect.addEventListener("change", function () {
        var renamed = {};
        Object.keys(node.keys).forEach(function (k) {
          renamed[k === key ? keySelect.value : k] = node.keys[k];
        });
        node.keys = renamed;
        save(true);
      });
      var actionSelect = el("select", { "aria-label": L.action, title: L.action, "class": "menu-action" });
      ACTIONS.forEach(function (a) {
        if (a === "back" && depth === 0) return;
        actionSelect.appendChild(el("option", { value: a, text: L[a + "_a"] || a }));
      });
      actionSelect.value = option.action;
      actionSelect.addEventListener("change", function () {
        var next = { action: actionSelect.value };
        if (next.action === "message") { next.message = ""; next.then = "hangup"; }
        if (next.action === "transfer") next.target = "";
        if (next.action === "submenu") next.menu = { prompt: "", timeout_seconds: 8, keys: { "1": { action: "back" } } };
        node.keys[key] = next;
        save(true);
      });
      var detail = el("div");
      if (option.action === "message") {
        var message = el("input", { placeholder: L.message, "aria-label": L.message, value: option.message || "", "class": "menu-message" });
        message.addEventListener("input", function () { option.message = message.value; save(false); });
        var then = el("select", { "aria-label": L.then, "class": "menu-then" });
        then.appendChild(el("option", { value: "hangup", text: L.then + ": " + L.hangup }));
        then.appendChild(el("option", { value: "menu", text: L.then + ": " + L.menu }));
        then.value = option.then || "hangup";
        then.addEventListener("change", function () { option.then = then.value; save(false); });
        detail.appendChild(message);
        detail.appendChild(audioBox(option, "message_audio"));
        detail.appendChild(then);
      } else if (option.action === "transfer") {
        var target = el("input", { type: "tel", placeholder: L.target, "aria-label": L.target, value: option.target || "", "class": "menu-target" });
        target.addEventListener("input", function () { option.target = target.value; save(false); });
        detail.appendChild(target);
      } else if (option.action === "submenu") {
        option.menu = option.menu || { prompt: "", keys: {} };
        detail.appendChild(nodeBox(option.menu, depth + 1));
      }
      var remove = button("✕ " + L.remove, function () { delete node.keys[key]; save(true); });
      remove.setAttribute("title", L.remove);
      return el("div", { "class": "opt" }, [keySelect, actionSelect, detail, remove]);
    }

    function nodeBox(node, depth) {
      node.keys = node.keys || {};
      var prompt = el("textarea", { rows: "2", placeholder: L.prompt, "aria-label": L.prompt, "class": "menu-prompt" });
      prompt.value = node.prompt || "";
      prompt.style.minHeight = "2.5rem";
      prompt.addEventListener("input", function () {
        if (prompt.value) node.prompt = prompt.value; else delete node.prompt;
        save(false);
      });
      var timeout = el("input", { type: "number", min: "1", max: "60", value: String(node.timeout_seconds || 8), "class": "menu-timeout", "aria-label": L.timeout });
      timeout.addEventListener("input", function () {
        var n = parseInt(timeout.value, 10);
        if (n > 0) { node.timeout_seconds = n; save(false); }
      });
      var box = el("div", { "class": "node" }, [
        prompt,
        audioBox(node, "prompt_audio"),
        el("label", { "class": "small muted", text: L.timeout + " " }, [timeout]),
      ]);
      Object.keys(node.keys).sort(function (a, b) { return KEYS.indexOf(a) - KEYS.indexOf(b); })
        .forEach(function (key) { box.appendChild(optionRow(node, key, depth)); });
      var free = KEYS.filter(function (k) { return !(k in node.keys); });
      if (free.length) {
        box.appendChild(button("+ " + L.addKey, function () {
          node.keys[free[0]] = { action: "hangup" };
          save(true);
        }, "menu-add-key"));
      }
      return box;
    }

    function draw() {
      root.textContent = "";
      if (!load()) return;  // hand-edited JSON that does not parse: the server shows why
      if (!model) {
        root.appendChild(button("+ " + L.start, function () {
          model = { prompt: "", timeout_seconds: 8, keys: { "1": { action: "hangup" } } };
          save(true);
        }, "menu-start"));
        return;
      }
      root.appendChild(nodeBox(model, 0));
      root.appendChild(button(L.clear, function () { model = null; save(true); }, "menu-clear"));
    }

    area.addEventListener("input", function () { if (!writing) draw(); });
    if (load() && model) {
      var before = JSON.stringify(model);
      dropPending(model);
      if (JSON.stringify(model) !== before) save(false);
    }
    draw();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
