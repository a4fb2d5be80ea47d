// Keeps the inspection record as a draft in this browser, so a dropped network in the field loses
// nothing: every change is saved locally; a submission made offline waits and is sent when the
// network is back. The server stays the record of truth: the local draft is cleared once it has it.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var key = "sjs-record-draft-" + form.dataset.inspection;
  var notice = document.getElementById("draft-notice");

  function say(text) {
    if (notice) { notice.textContent = text; notice.hidden = !text; }
  }

  function collect() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "submit") { return; }
      if (el.type === "checkbox") {
        data[el.name] = data[el.name] || [];
        if (el.checked) { data[el.name].push(el.value); }
      } else if (el.type === "radio") {
        if (el.checked) { data[el.name] = el.value; }
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function restore(data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in data) || el.type === "submit") { return; }
      var value = data[el.name];
      if (el.type === "checkbox") { el.checked = value.indexOf(el.value) >= 0; }
      else if (el.type === "radio") { el.checked = el.value === value; }
      else { el.value = value; }
    });
  }

  // The draft's time in Beijing time (UTC+8 all year, no daylight saving), as the site writes
  // times: 2026-11-23 14:05. The draft keeps it in UTC (toISOString).
  function beijingTime(iso) {
    var shifted = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
    return shifted.toISOString().slice(0, 16).replace("T", " ");
  }

  function save(pending) {
    var draft = { data: collect(), pending: pending || null, saved: new Date().toISOString() };
    localStorage.setItem(key, JSON.stringify(draft));
  }

  function send(action) {
    var button = form.querySelector('button[name="' + action + '"]');
    if (button) { form.requestSubmit(button); }
  }

  var stored = localStorage.getItem(key);
  if (stored) {
    var draft = JSON.parse(stored);
    restore(draft.data);
    say("已恢复本机保存的草稿（" + beijingTime(draft.saved) + "）。");
    if (draft.pending && navigator.onLine) { send(draft.pending); }
  }

  form.addEventListener("input", function () { save(); });
  form.addEventListener("change", function () { save(); });
  form.addEventListener("submit", function (event) {
    var action = event.submitter ? event.submitter.name : "save";
    if (!navigator.onLine) {
      event.preventDefault();
      save(action);
      say("网络已断开：已保存在本机，恢复联网后自动" + (action === "submit" ? "提交" : "保存") + "。");
      return;
    }
    localStorage.removeItem(key);
  });
  window.addEventListener("online", function () {
    var current = localStorage.getItem(key);
    if (current && JSON.parse(current).pending) { send(JSON.parse(current).pending); }
  });
}());
