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

  // The draft's time in Beijing time, written as the site writes dates: 2026年12月4日 15:32.
  // The draft keeps it in UTC (toISOString); Asia/Shanghai is UTC+8 all year, which is the
  // fallback where the browser knows no time zones.
  function beijingTime(iso) {
    var when = new Date(iso);
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-US", {
        timeZone: "Asia/Shanghai", year: "numeric", month: "numeric", day: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      }).formatToParts(when).forEach(function (p) { parts[p.type] = p.value; });
    } catch (e) {
      var shifted = new Date(when.getTime() + 8 * 3600 * 1000);
      parts = {
        year: String(shifted.getUTCFullYear()), month: String(shifted.getUTCMonth() + 1),
        day: String(shifted.getUTCDate()), hour: ("0" + shifted.getUTCHours()).slice(-2),
        minute: ("0" + shifted.getUTCMinutes()).slice(-2)
      };
    }
    return parts.year + "年" + Number(parts.month) + "月" + Number(parts.day) + "日 " +
      parts.hour + ":" + parts.minute;
  }

  // 提交前还需, live: the server's rules (inspections.services.submission_problems) read from
  // the list the page renders (#submit-rules), applied to the fields as they are now. The
  // words are the server's; the server checks again on 提交.
  var rules = document.getElementById("submit-rules");
  var problemBox = document.getElementById("submit-problems");

  function value(name) {
    var el = form.elements[name];
    return el && typeof el.value === "string" ? el.value : "";
  }

  function words(set) { return (set || "").split(" ").filter(Boolean); }

  function problemsNow() {
    var rule = {};
    Array.prototype.forEach.call(rules.querySelectorAll("li[data-rule]"), function (li) {
      rule[li.dataset.rule] = li;
    });
    var category = value("result_category");
    var problemValue = rules.dataset.problem;
    var missing = [];
    var found = false;
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-item]"), function (box) {
      var checked = box.querySelector("input[type=radio]:checked");
      if (!checked) { missing.push(box.dataset.item); }
      else if (checked.value === problemValue) { found = true; }
    });
    var list = [];
    function need(name, text) { if (rule[name]) { list.push(text || rule[name].textContent); } }
    if (!value("checked_at")) { need("checked_at"); }
    if (!value("method_used")) { need("method_used"); }
    if (!category) { need("result_category"); }
    if (!value("determined_on")) { need("determined_on"); }
    if (missing.length && rule.items) {
      var li = rule.items;
      need("items", li.dataset.before + missing.join(li.dataset.join) + li.dataset.after);
    }
    if (found && words(rules.dataset.noProblemCategories).indexOf(category) >= 0) { need("conflict"); }
    var secret = value("confidentiality");
    if (secret && !value("confidential_reason").trim()) { need("confidential_reason"); }
    if (!secret && !value("public_summary").trim()) { need("public_summary"); }
    var mode = secret ? value("confidential_publication") : "";
    if (mode === "summary" && !value("public_summary").trim()) { need("summary_public"); }
    if (mode === "restricted" && !document.querySelector('input[name="shared_with"]:checked')) {
      need("shared_with");
    }
    if (value("method_used") === rules.dataset.onsite && rule.records) {
      var violation = found || words(rules.dataset.violationCategories).indexOf(category) >= 0;
      var text = violation ? rule.records.dataset.violation : rule.records.dataset.clean;
      if (text) { need("records", text); }
    }
    return list;
  }

  function showProblems() {
    if (!rules || !problemBox) { return; }
    var list = problemsNow();
    var ul = document.getElementById("problem-list");
    ul.textContent = "";
    list.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    });
    ul.hidden = !list.length;
    problemBox.querySelector(".problems-title").hidden = !list.length;
    problemBox.querySelector(".problems-done").hidden = list.length > 0;
    problemBox.classList.toggle("ready", !list.length);
  }

  function save(pending) {
    var draft = { data: collect(), pending: pending || null, saved: new Date().toISOString() };
    localStorage.setItem(key, JSON.stringify(draft));
    return draft;
  }

  function send(action) {
    var button = form.querySelector('button[name="' + action + '"]');
    if (button) { form.requestSubmit(button); }
  }

  var stored = localStorage.getItem(key);
  if (stored) {
    var draft = JSON.parse(stored);
    restore(draft.data);
    say("已恢复本机保存的草稿（保存于 " + beijingTime(draft.saved) + "）。");
    if (draft.pending && navigator.onLine) { send(draft.pending); }
  }

  showProblems();

  function changed() {
    var draft = save();
    showProblems();
    if (!navigator.onLine) {
      say("网络已断开：草稿已保存在本机（保存于 " + beijingTime(draft.saved) + "），恢复联网后请保存或提交。");
    }
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    var action = event.submitter ? event.submitter.name : "save";
    if (!navigator.onLine) {
      event.preventDefault();
      var draft = save(action);
      say("网络已断开：已保存在本机，恢复联网后自动" + (action === "submit" ? "提交" : "保存") +
        "（保存于 " + beijingTime(draft.saved) + "）。");
      return;
    }
    localStorage.removeItem(key);
  });
  window.addEventListener("online", function () {
    var current = localStorage.getItem(key);
    if (current && JSON.parse(current).pending) { send(JSON.parse(current).pending); }
  });
}());
