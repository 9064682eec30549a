"use strict";
// The call screen: each utterance goes to /assist; the answer, the next question
// and the request form follow what has been understood so far.
(() => {
  const $ = (id) => document.getElementById(id);
  // Every field, its input and its choices come from /forms (the request catalogue).
  const INPUT_TYPES = { number: "number", month: "month", date: "date", text: "text" };
  let known = {};
  let forms = { kinds: [], hospitals: [] };
  let submissionKey = newKey();
  let consentAt = null;

  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function select(id, options, blank) {
    const node = document.createElement("select");
    node.id = id;
    if (blank) node.append(new Option(blank, ""));
    for (const [value, label] of options) node.append(new Option(label, value));
    return node;
  }

  function currentKind() {
    return forms.kinds.find((k) => k.kind === $("form-kind").value);
  }

  function fillDepartments() {
    const chosen = document.querySelector('#form-fields [data-input="hospital"]');
    const hospital = forms.hospitals.find((h) => h.code === (chosen || {}).value);
    const department = document.querySelector('#form-fields [data-input="department"]');
    if (!department) return;
    const keep = department.value;
    department.replaceChildren(new Option("请选择科室", ""));
    for (const name of hospital ? hospital.departments : []) department.append(new Option(name, name));
    department.value = keep;
  }

  function renderForm() {
    const kind = currentKind();
    const box = $("form-fields");
    box.replaceChildren();
    if (!kind) return;
    for (const field of kind.fields) {
      const id = "f-" + field.key;
      const label = Console.el("label", field.label + (field.required ? "" : "（可选）"));
      label.htmlFor = id;
      let input;
      if (field.input === "choice") input = select(id, field.choices, "请选择");
      else if (field.input === "hospital") input = select(id, forms.hospitals.map((h) => [h.code, h.name]), "请选择医院");
      else if (field.input === "department") input = select(id, [], "请选择科室");
      else {
        input = document.createElement("input");
        input.id = id;
        input.type = INPUT_TYPES[field.input] || "text";
      }
      input.dataset.key = field.key;
      input.dataset.input = field.input;
      input.addEventListener("input", () => { input.dataset.touched = "1"; });
      box.append(label, input);
    }
    const hospital = document.querySelector('#form-fields [data-input="hospital"]');
    if (hospital) hospital.addEventListener("change", fillDepartments);
    $("form-notice").textContent = kind.notice.text;
    prefill();
  }

  function prefill() {
    for (const input of $("form-fields").querySelectorAll("[data-key]")) {
      const value = known[input.dataset.key];
      if (value === undefined || value === null || input.dataset.touched) continue;
      input.value = String(value);
      if (input.dataset.input === "hospital") fillDepartments();
    }
  }

  function render(result) {
    $("topic").textContent = result.topic_label;
    $("confidence").textContent = result.intent ? `${Math.round(result.confidence * 100)}%` : "—";
    Console.fillDetails($("details"), result.details.map((d) => [d.label, d.value]));
    $("problems").textContent = result.problems.join("；");
    const next = result.next_question;
    $("next-question").textContent = next ? next.question : result.kind ? "信息已齐，请核对后提交申请。" : "—";
    if (result.answer || result.topic !== "dialogue") {
      $("answer").textContent = result.answer ? result.answer.text : "知识库中没有找到合适的答案。";
      $("answer-source").textContent = result.answer
        ? result.answer.source + (result.answer.confident ? "" : "（匹配度较低，请斟酌使用）")
        : "";
    }
    $("retrieval").textContent = result.retrieval ? `检索回答：${result.retrieval.text}` : "";
    if (result.kind && result.kind !== $("form-kind").value) {
      $("form-kind").value = result.kind;
      renderForm();
    } else {
      prefill();
    }
  }

  function typedValues() {
    // what the agent typed into the form counts as known, so the next question moves on
    const values = {};
    for (const input of $("form-fields").querySelectorAll("[data-key]")) {
      if (input.dataset.touched && input.value.trim()) values[input.dataset.key] = input.value.trim();
    }
    return values;
  }

  async function analyse() {
    const text = $("utterance").value.trim();
    if (!text) return;
    $("assist-status").textContent = "分析中…";
    const started = performance.now();
    try {
      const result = await Console.api("POST", "/assist", { text, known: { ...known, ...typedValues() } });
      known = result.known;
      const turn = Console.el("li", text, "turn");
      turn.title = result.topic_label;
      $("turns").append(turn);
      $("utterance").value = "";
      render(result);
      $("assist-status").textContent = `用时 ${Math.round(performance.now() - started)} 毫秒`;
    } catch (error) {
      $("assist-status").textContent = error.message;
    }
  }

  function formBody() {
    const kind = currentKind();
    const body = { applicant: {}, details: { ...kind.fixed_details } };
    for (const field of kind.fields) {
      const text = $("f-" + field.key) ? $("f-" + field.key).value.trim() : "";
      const value = field.input === "number" ? (text === "" ? null : Number(text)) : text;
      body[field.section][field.body_key] = value;
    }
    const { applicant, details } = body;
    return {
      kind: kind.kind, applicant, details, notice_version: kind.notice.version,
      consent_read_out: $("form-consent").checked, submission_key: submissionKey,
      consent_at: consentAt || new Date().toISOString(),
      summary: $("form-summary").value.trim(),
    };
  }

  async function submit() {
    $("form-error").textContent = "";
    $("form-submit").disabled = true;
    try {
      const result = await Console.api("POST", "/requests", formBody());
      const box = $("form-result");
      box.hidden = false;
      box.replaceChildren(
        Console.el("strong", "申请已提交，请向来电人复述："),
        Console.el("div", `申请编号：${result.request.number}`),
        Console.el("div", `联系电话：${result.read_back_phone}`),
      );
      box.dataset.number = result.request.number;
      submissionKey = newKey();
    } catch (error) {
      $("form-error").textContent = error.message;
    } finally {
      $("form-submit").disabled = false;
    }
  }

  function newCall() {
    known = {};
    submissionKey = newKey();
    $("turns").replaceChildren();
    for (const id of ["topic", "confidence", "next-question", "answer"]) $(id).textContent = "—";
    for (const id of ["problems", "answer-source", "retrieval", "form-error", "assist-status"]) $(id).textContent = "";
    $("details").replaceChildren();
    $("form-summary").value = "";
    $("form-consent").checked = false;
    consentAt = null;
    $("form-result").hidden = true;
    renderForm();
  }

  document.addEventListener("console-ready", async () => {
    $("analyse").addEventListener("click", analyse);
    $("utterance").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        analyse();
      }
    });
    $("form-submit").addEventListener("click", submit);
    $("form-consent").addEventListener("change", () => {
      consentAt = $("form-consent").checked ? new Date().toISOString() : null;
    });
    $("new-call").addEventListener("click", newCall);
    $("form-kind").addEventListener("change", renderForm);
    forms = await Console.api("GET", "/forms");
    for (const kind of forms.kinds) $("form-kind").append(new Option(kind.title, kind.kind));
    renderForm();
    document.body.dataset.ready = "call";
  });
})();
