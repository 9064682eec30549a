"use strict";
// Sign in with a JSON POST; the server sets an HttpOnly, SameSite=Strict cookie.
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const body = {
    username: document.getElementById("username").value,
    password: document.getElementById("password").value,
  };
  try {
    const response = await fetch("/console/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    if (response.ok) {
      window.location.assign("/console/");
      return;
    }
    const data = await response.json().catch(() => ({}));
    error.textContent = (data.error && data.error.message) || "登录失败，请稍后再试。";
  } catch (e) {
    error.textContent = "无法连接服务器，请检查网络后重试。";
  }
});
