// Drag-and-drop for the issue assembly view. It only rewrites each article's section
// select and position input; the form posts those, so the page works without it.
(function () {
  "use strict";
  var dragged = null;

  function renumber() {
    var moved = false;
    document.querySelectorAll(".assembly-list").forEach(function (list) {
      list.querySelectorAll(".assembly-item").forEach(function (item, index) {
        var section = item.querySelector(".section-input");
        var position = item.querySelector(".position-input");
        if (section.value !== list.dataset.section || position.value !== String(index + 1)) { moved = true; }
        section.value = list.dataset.section;
        position.value = index + 1;
      });
    });
    if (moved) { orderChanged(); }
  }

  // Merge and split act on the saved order; once articles have been dragged they wait
  // until the new order is saved, so an article is never merged into the wrong one.
  function orderChanged() {
    document.querySelectorAll(".merge-button, .split-button").forEach(function (button) {
      button.disabled = true;
    });
    var hint = document.getElementById("assembly-unsaved");
    if (hint) { hint.hidden = false; }
  }

  document.querySelectorAll(".section-input, .position-input").forEach(function (input) {
    input.addEventListener("change", orderChanged);
  });

  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });

  function itemAfter(list, y) {
    var items = Array.prototype.slice.call(list.querySelectorAll(".assembly-item:not(.dragging)"));
    for (var i = 0; i < items.length; i++) {
      var box = items[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return items[i]; }
    }
    return null;
  }

  document.querySelectorAll(".assembly-item[draggable=true]").forEach(function (item) {
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.article);
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("dragging");
      dragged = null;
      renumber();
    });
  });

  document.querySelectorAll(".assembly-list").forEach(function (list) {
    list.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      list.classList.add("drop-target");
      var after = itemAfter(list, event.clientY);
      if (after) { list.insertBefore(dragged, after); } else { list.appendChild(dragged); }
    });
    list.addEventListener("dragleave", function () { list.classList.remove("drop-target"); });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
      list.classList.remove("drop-target");
      renumber();
    });
  });
})();
