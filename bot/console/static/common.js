"use strict";
// Shared by the console's views: the API helper (CSRF token, sign-in redirect),
// tabs, and small DOM builders that only ever set text, never markup.
const Console = {
  csrf: null,
  agent: null,

  async api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["X-CSRF-Token"] = Console.csrf || "";
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch("/console/api" + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.assign("/console/login");
      throw new Error("请重新登录");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      const fields = error.fields ? Object.entries(error.fields).map(([k, v]) => `${k}：${v}`) : [];
      throw new Error([error.message || "操作未完成，请稍后再试。", ...fields].join("\n"));
    }
    return data;
  },

  el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  },

  fillDetails(dl, pairs) {
    dl.replaceChildren();
    for (const [label, value] of pairs) {
      dl.append(Console.el("dt", label), Console.el("dd", value));
    }
  },

  time(iso) {
    return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "";
  },

  show(view) {
    for (const button of document.querySelectorAll("nav button")) {
      button.classList.toggle("active", button.dataset.view === view);
    }
    for (const section of document.querySelectorAll("section.view")) {
      section.classList.toggle("active", section.id === "view-" + view);
    }
  },
};

document.addEventListener("DOMContentLoaded", async () => {
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => Console.show(button.dataset.view));
  }
  document.getElementById("sign-out").addEventListener("click", async () => {
    await Console.api("DELETE", "/session").catch(() => null);
    window.location.assign("/console/login");
  });
  const me = await Console.api("GET", "/session");
  Console.csrf = me.csrf_token;
  Console.agent = me;
  const role = me.role === "supervisor" ? "班长" : "坐席";
  document.getElementById("agent-name").textContent = `${me.display_name}（${role}）`;
  document.getElementById("analytics-link").hidden = me.role !== "supervisor";
  document.dispatchEvent(new CustomEvent("console-ready"));
});
