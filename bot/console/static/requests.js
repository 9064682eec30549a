"use strict";
// Finding requests by number or phone, their audit trail, status changes and notes.
(() => {
  const $ = (id) => document.getElementById(id);
  // Kind titles and detail labels come from /catalogue (the request catalogue), never a copy.
  let labels = { kinds: {}, applicant: {}, details: {} };
  const ACTIONS = { created: "提交", status_changed: "状态变更", cancelled: "取消", annotated: "备注",
    call_summary: "通话小结", contact_revealed: "查看电话" };
  let current = null;

  async function search() {
    const list = $("results");
    list.replaceChildren();
    try {
      const found = await Console.api("GET", "/requests?q=" + encodeURIComponent($("search").value.trim()));
      for (const r of found) {
        const item = Console.el("li");
        const open = Console.el("button", `${r.number} · ${(labels.kinds[r.kind] || r.kind)} · ${r.status_label}`, "link");
        open.addEventListener("click", () => show(r.number));
        item.append(open, Console.el("div", `${r.applicant.name} ${r.applicant.phone} · ${Console.time(r.created_at)}`, "muted"));
        list.append(item);
      }
      if (!found.length) list.append(Console.el("li", "没有找到在您处理范围内的申请。", "muted"));
    } catch (error) {
      list.append(Console.el("li", error.message, "error"));
    }
  }

  async function show(number) {
    $("rd-error").textContent = "";
    $("rd-phone").textContent = "";
    try {
      const data = await Console.api("GET", "/requests/" + encodeURIComponent(number));
      current = data.request.number;
      const r = data.request;
      $("request-detail").hidden = false;
      $("rd-number").textContent = r.number;
      $("rd-status").textContent = r.status_label;
      const who = labels.applicant[r.kind] || {};
      const pairs = [["事项", (labels.kinds[r.kind] || r.kind)], [who.name || "name", r.applicant.name],
        [who.phone || "phone", r.applicant.phone],
        ["渠道", r.channel], ["提交时间", Console.time(r.created_at)]];
      for (const [key, value] of Object.entries(r.details)) pairs.push([(labels.details[r.kind] || {})[key] || key, String(value)]);
      Console.fillDetails($("rd-fields"), pairs);
      const events = $("rd-events");
      events.replaceChildren();
      for (const e of data.events) {
        const line = `${Console.time(e.at)} · ${e.actor} · ${ACTIONS[e.action] || e.action}` +
          (e.action === "status_changed" ? ` → ${e.to_status}` : "");
        const item = Console.el("li", line);
        if (e.note) item.append(Console.el("div", e.note, "muted"));
        events.append(item);
      }
    } catch (error) {
      $("rd-error").textContent = error.message;
    }
  }

  async function post(path, body) {
    $("rd-error").textContent = "";
    try {
      const result = await Console.api("POST", `/requests/${encodeURIComponent(current)}${path}`, body);
      await show(current);
      return result;
    } catch (error) {
      $("rd-error").textContent = error.message;
      return null;
    }
  }

  document.addEventListener("console-ready", async () => {
    try {
      labels = await Console.api("GET", "/catalogue");
    } catch (error) {
      $("results").append(Console.el("li", error.message, "error"));
    }
    $("search-button").addEventListener("click", search);
    $("search").addEventListener("keydown", (event) => { if (event.key === "Enter") search(); });
    $("rd-status-button").addEventListener("click", () =>
      post("/status", { status: $("rd-new-status").value, note: $("rd-status-note").value.trim() }));
    $("rd-note-button").addEventListener("click", async () => {
      if (await post("/notes", { kind: $("rd-note-kind").value, note: $("rd-note").value.trim() })) $("rd-note").value = "";
    });
    $("rd-contact").addEventListener("click", async () => {
      const result = await post("/contact");
      if (result) $("rd-phone").textContent = result.phone;
    });
  });
})();
