"use strict";
// The supervisors' analytics page: reads the range, fills the figures in as text,
// points the chart images and the CSV link at the same range. No markup is built
// from data; the charts are SVG drawn by the server (no chart library, no CDN).
(() => {
  const $ = (id) => document.getElementById(id);

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // an empty day is left out: the server then picks the default range (the last 30 days)
  function query() {
    const params = new URLSearchParams();
    if ($("from").value) params.set("from", $("from").value);
    if ($("to").value) params.set("to", $("to").value);
    return params.toString();
  }

  async function get(path) {
    const response = await fetch("/console/api" + path, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (response.status === 401) {
      window.location.assign("/console/login");
      throw new Error("请重新登录");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new Error(error.message || "统计暂时无法读取，请稍后再试。");
    }
    return data;
  }

  function fill(data) {
    const summary = $("summary");
    summary.replaceChildren();
    for (const item of data.summary) {
      const box = el("div", null, "figure");
      box.dataset.key = item.key;
      box.append(el("div", item.value, "value"), el("div", item.label, "label"));
      summary.append(box);
    }
    const rows = $("questions").tBodies[0];
    rows.replaceChildren();
    for (const q of data.questions) {
      const tr = el("tr");
      // Chongqing time, as the range is (a browser elsewhere would shift the hours)
      const when = new Date(q.last_at).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
      tr.append(el("td", q.text), el("td", q.count, "number"), el("td", q.unanswered, "number"),
        el("td", q.low_confidence, "number"), el("td", when));
      rows.append(tr);
    }
    if (!data.questions.length) {
      const tr = el("tr");
      const td = el("td", "这段时间没有未能回答或理解不确定的问题。", "muted");
      td.colSpan = 5;
      tr.append(td);
      rows.append(tr);
    }
    const range = query();
    for (const img of document.querySelectorAll("img[data-chart]")) {
      img.src = `/console/api/analytics/charts/${img.dataset.chart}.svg?${range}`;
    }
    $("export").href = `/console/api/analytics/export.csv?${range}`;
  }

  async function load() {
    $("error").textContent = "";
    $("status").textContent = "读取中…";
    try {
      const data = await get("/analytics?" + query());
      $("from").value = data.range.from;
      $("to").value = data.range.to;
      fill(data);
      $("status").textContent = `${data.range.from} 至 ${data.range.to}`;
      document.body.dataset.ready = `${data.range.from}_${data.range.to}`;
    } catch (error) {
      $("status").textContent = "";
      $("error").textContent = error.message;
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const me = await get("/session");
    $("agent-name").textContent = `${me.display_name}（班长）`;
    const params = new URLSearchParams(window.location.search);
    const to = params.get("to") || "";
    const from = params.get("from") || "";
    $("from").value = from;
    $("to").value = to;
    $("range").addEventListener("submit", (event) => {
      event.preventDefault();
      window.history.replaceState(null, "", "?" + query());
      load();
    });
    load();
  });
})();
