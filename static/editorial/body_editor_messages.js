// The rich-text editor's labels in the admin's language. A classic script, run before
// the editor module (modules are deferred), because the editor reads window.gettext once
// when it loads. Falls back to the admin's own catalogue, then to the English text.
(function () {
  var script = document.currentScript;
  var messages = {};
  try {
    messages = JSON.parse(script.getAttribute("data-messages") || "{}");
  } catch (error) {
    messages = {};
  }
  var fallback = window.gettext;
  window.bodyEditorMessages = messages;
  window.gettext = function (text) {
    if (Object.prototype.hasOwnProperty.call(messages, text)) {
      return messages[text];
    }
    return fallback ? fallback(text) : text;
  };
})();
