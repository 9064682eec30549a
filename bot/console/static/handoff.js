"use strict";
// Handed-off chats: the queue and the open conversation arrive as server-sent
// events (/console/api/events); when the stream cannot be used the page falls
// back to polling (the queue every two seconds, a conversation every 1.5 s).
// Messages are shown as text only.
(() => {
  const $ = (id) => document.getElementById(id);
  const STATUS = { waiting: "排队中", active: "人工服务中", closed: "已交还智能助手" };
  const AUTHOR = { user: "用户", agent: "坐席", system: "系统" };
  let openId = null;
  let shownMessages = -1;
  let source = null;
  let failures = 0;
  let polling = false;

  async function refreshQueue() {
    try {
      renderQueue(await Console.api("GET", "/handoffs"));
    } catch (error) {
      $("service-hours").textContent = error.message;
    }
  }

  function renderQueue(data) {
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
    const changed = openId !== id;
    if (changed) shownMessages = -1;
    openId = id;
    if (changed && source) connect();
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
    connect();
  });

  // One stream per page; reopened with ?handoff= when another conversation is opened.
  function connect() {
    if (source) source.close();
    source = null;
    if (polling || !window.EventSource) return startPolling();
    const query = openId !== null ? `?handoff=${openId}` : "";
    source = new EventSource("/console/api/events" + query, { withCredentials: true });
    document.body.dataset.live = "sse";
    source.addEventListener("open", () => { failures = 0; });
    source.addEventListener("queue", (event) => renderQueue(JSON.parse(event.data)));
    source.addEventListener("conversation", (event) => {
      const data = JSON.parse(event.data);
      if (data.handoff.id === openId) renderConversation(data);
    });
    source.addEventListener("conversation_error", (event) => { $("conv-error").textContent = event.data; });
    source.addEventListener("signed_out", () => {
      source.close();
      window.location.assign("/console/login");
    });
    source.addEventListener("error", () => {
      failures += 1;
      // the browser reconnects by itself; a refused stream (CLOSED) or one that keeps
      // dropping is given up for polling
      if (source.readyState === EventSource.CLOSED || failures >= 3) {
        source.close();
        source = null;
        startPolling();
      }
    });
  }

  function startPolling() {
    if (polling) return;
    polling = true;
    document.body.dataset.live = "polling";
    refreshQueue();
    setInterval(refreshQueue, 2000);
    setInterval(() => { if (openId !== null && !$("conversation").hidden) openConversation(openId); }, 1500);
  }
})();
