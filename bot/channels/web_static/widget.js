/*
 * 渝才助手 web chat loader: <script src="https://<rasa-server>/chat/widget.js" defer></script>
 *
 * Loads rasa-webchat from the same server, starts it in Chinese and guards
 * Chinese input methods. Optional attributes on the script tag:
 *   data-mode="page"        the chat fills the page (used by /chat); default: a bubble
 *   data-user-token="..."   a token your server signed for the logged-in user
 *   data-container="#id"    where to draw the chat (default: a new element)
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src, window.location.href).origin;
  var options = script.dataset;

  // rasa-webchat sends on every keydown Enter, even while an input method is
  // composing (picking a candidate). Catch that Enter first and keep it from
  // the widget; the input method still gets it, so the candidate is chosen.
  function composing(event) {
    return event.isComposing || event.keyCode === 229;
  }
  window.addEventListener(
    "keydown",
    function (event) {
      var isEnter = event.key === "Enter" || event.keyCode === 13 || event.keyCode === 229;
      var inWidget = event.target && event.target.closest && event.target.closest(".rw-sender");
      if (isEnter && inWidget && composing(event)) {
        event.stopPropagation();
      }
    },
    true
  );

  function start() {
    var customData = { language: "zh-CN" };
    if (options.userToken) {
      customData.user_token = options.userToken;
    }
    var page = options.mode === "page";
    window.WebChat.default(
      {
        socketUrl: base,
        socketPath: "/socket.io/",
        initPayload: "/web_welcome",
        customData: customData,
        title: "渝才助手",
        subtitle: "在渝科技工作者的政策咨询与办事服务",
        inputTextFieldHint: "请输入您的问题，按回车发送",
        connectingText: "正在连接…",
        embedded: page,
        showFullScreenButton: !page,
        showCloseButton: !page,
        hideWhenNotConnected: false,
        params: { storage: "session" },
        customMessageDelay: function (message) {
          return Math.min(1200, Math.max(300, message.length * 12));
        },
      },
      options.container ? document.querySelector(options.container) : null
    );
  }

  var bundle = document.createElement("script");
  bundle.src = base + "/chat/webchat.js";
  bundle.onload = start;
  bundle.onerror = function () {
    var note = document.createElement("p");
    note.className = "yucai-chat-error";
    note.textContent = "聊天组件加载失败，请稍后刷新页面重试。";
    (document.querySelector(options.container || "body") || document.body).appendChild(note);
  };
  document.head.appendChild(bundle);
})();
