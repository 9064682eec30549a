"use strict";
// Status updates staff act on: callbacks owed to hotline callers, and pushes that kept
// failing (send again, or mark as told by phone). Refreshed every 30 seconds.
(() => {
  const $ = (id) => document.getElementById(id);

  function item(n, actions) {
    const li = Console.el("li");
    li.dataset.notification = String(n.id);
    li.append(
      Console.el("div", `${n.number} · ${n.kind_label} · ${n.status_label}（${n.channel_label}）`),
      Console.el("div", `${n.state_label} · ${Console.time(n.created_at)}` +
        (n.last_error ? ` · ${n.last_error}` : ""), "muted"),
    );
    const row = Console.el("div", undefined, "row");
    for (const [label, action] of actions) {
      const button = Console.el("button", label, "secondary");
      button.type = "button";
      button.dataset.action = action;
      button.addEventListener("click", () => handle(n.id, action));
      row.append(button);
    }
    li.append(row);
    return li;
  }

  async function fill(which, listId, actions) {
    const list = $(listId);
    const found = await Console.api("GET", `/notifications?which=${which}`);
    list.replaceChildren(...found.map((n) => item(n, actions)));
    if (!found.length) list.append(Console.el("li", "暂无。", "muted"));
    return found.length;
  }

  async function refresh() {
    try {
      const owed = await fill("callback", "callbacks", [["已回电", "called"]]);
      const failed = await fill("failed", "failed-notices", [["重新发送", "retry"], ["已回电", "called"]]);
      $("notice-count").textContent = owed + failed ? String(owed + failed) : "";
    } catch (error) {
      $("notice-error").textContent = error.message;
    }
  }

  async function handle(id, action) {
    $("notice-error").textContent = "";
    try {
      await Console.api("POST", `/notifications/${id}/${action}`);
    } catch (error) {
      $("notice-error").textContent = error.message;
    }
    refresh();
  }

  document.addEventListener("console-ready", () => {
    refresh();
    setInterval(refresh, 30000);
  });
})();
