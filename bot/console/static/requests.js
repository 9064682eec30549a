"use strict";
// Finding requests by number or phone, their audit trail, status changes and notes.
(() => {
  const $ = (id) => document.getElementById(id);
  const KINDS = { housing: "人才住房", schooling: "子女入学", hospital: "就医绿色通道", callback: "人工回电" };
  const ACTIONS = { created: "提交", status_changed: "状态变更", cancelled: "取消", annotated: "备注",
    call_summary: "通话小结", contact_revealed: "查看电话" };
  const DETAIL_LABELS = { housing_type: "住房类型", district: "意向区县", household_size: "入住人数",
    move_in_month: "入住月份", child_name: "孩子姓名", stage: "学段", grade: "年级",
    current_school: "现就读学校", target_district: "入学区县", hospital_name: "医院", hospital_code: "医院代码",
    department: "科室", visit_date: "就诊日期", half_day: "时段", reason: "事由", green_channel: "绿色通道",
    team: "小组", topic: "咨询事项", preferred_time: "希望回电时间", note: "说明" };
  let current = null;

  async function search() {
    const list = $("results");
    list.replaceChildren();
    try {
      const found = await Console.api("GET", "/requests?q=" + encodeURIComponent($("search").value.trim()));
      for (const r of found) {
        const item = Console.el("li");
        const open = Console.el("button", `${r.number} · ${KINDS[r.kind]} · ${r.status_label}`, "link");
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
      const pairs = [["事项", KINDS[r.kind]], ["申请人", r.applicant.name], ["电话", r.applicant.phone],
        ["渠道", r.channel], ["提交时间", Console.time(r.created_at)]];
      for (const [key, value] of Object.entries(r.details)) pairs.push([DETAIL_LABELS[key] || key, String(value)]);
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

  document.addEventListener("console-ready", () => {
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
