"use strict";
// Handed-off chats: the queue is polled every two seconds, an open conversation
// every second and a half; messages are shown as text only.
(() => {
  const $ = (id) => document.getElementById(id);
  const STATUS = { waiting: "排队中", active: "人工服务中", closed: "已交还智能助手" };
  const AUTHOR = { user: "用户", agent: "坐席", system: "系统" };
  let openId = null;
  let shownMessages = -1;

  async function refreshQueue() {
    try {
      const data = await Console.api("GET", "/handoffs");
      $("service-hours").textContent =
        `人工服务时间：${data.hours}` + (data.service_open ? "" : "（当前不在服务时间内）");
      const list = $("queue");
      list.replaceChildren();
      const waiting = data.handoffs.filter((h) => h.status === "waiting").length;
      $("queue-count").textContent = waiting ? String(waiting) : "";
      for (const h of data.handoffs) {
        const item = Console.el("li");
        item.dataset.handoff = String(h.id);
        const open = Console.el("button", `${h.topic_label} · ${STATUS[h.status]}`, "link");
        open.addEventListener("click", () => openConversation(h.id));
        item.append(open, Console.el("div", h.summary, "muted"),
          Console.el("div", `${Console.time(h.created_at)}${h.agent ? " · " + h.agent : ""}`, "muted"));
        list.append(item);
      }
      if (!data.handoffs.length) list.append(Console.el("li", "暂无转人工会话。", "muted"));
    } catch (error) {
      $("service-hours").textContent = error.message;
    }
  }

  function renderConversation(data) {
    const h = data.handoff;
    $("conversation").hidden = false;
    $("conv-topic").textContent = h.topic_label;
    $("conv-status").textContent = STATUS[h.status] + (h.agent ? ` · ${h.agent}` : "");
    $("conv-summary").textContent = h.summary;
    Console.fillDetails($("conv-details"), Object.entries(h.details));
    const holding = h.status === "active" && h.mine;
    $("conv-claim").hidden = h.status !== "waiting";
    $("conv-release").hidden = !holding;
    $("conv-reply").disabled = !holding;
    $("conv-send").disabled = !holding;
    if (data.messages.length === shownMessages) return;
    shownMessages = data.messages.length;
    const box = $("conv-messages");
    box.replaceChildren();
    for (const line of h.recent) {
      box.append(Console.el("div", `${line.speaker === "user" ? "用户" : "智能助手"}：${line.text}`, "msg " + (line.speaker === "user" ? "user" : "system")));
    }
    for (const m of data.messages) {
      const who = m.author === "agent" && m.agent ? m.agent : AUTHOR[m.author];
      const node = Console.el("div", `${who}：${m.text}`, "msg " + m.author);
      node.dataset.author = m.author;
      box.append(node);
    }
    box.scrollTop = box.scrollHeight;
  }

  async function openConversation(id) {
    if (openId !== id) shownMessages = -1;
    openId = id;
    $("conv-error").textContent = "";
    try {
      renderConversation(await Console.api("GET", `/handoffs/${id}`));
    } catch (error) {
      $("conv-error").textContent = error.message;
    }
  }

  async function act(path, body) {
    $("conv-error").textContent = "";
    try {
      renderConversation(await Console.api("POST", `/handoffs/${openId}${path}`, body));
      refreshQueue();
      return true;
    } catch (error) {
      $("conv-error").textContent = error.message;
      return false;
    }
  }

  async function send() {
    const text = $("conv-reply").value.trim();
    if (!text) return;
    if (await act("/messages", { text })) $("conv-reply").value = "";
  }

  document.addEventListener("console-ready", () => {
    $("conv-claim").addEventListener("click", () => act("/claim"));
    $("conv-release").addEventListener("click", () => act("/release"));
    $("conv-send").addEventListener("click", send);
    $("conv-reply").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    refreshQueue();
    setInterval(refreshQueue, 2000);
    setInterval(() => { if (openId !== null && !$("conversation").hidden) openConversation(openId); }, 1500);
  });
})();
