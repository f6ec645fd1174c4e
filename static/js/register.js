// Registration form: show only the fields of the chosen category. The server validates either way,
// and without this script every field simply stays visible.
(function () {
  "use strict";
  var select = document.getElementById("category");
  if (!select) {
    return;
  }
  var groups = document.querySelectorAll("[data-category]");
  function update() {
    groups.forEach(function (group) {
      group.classList.toggle("d-none", group.getAttribute("data-category") !== select.value);
    });
  }
  select.addEventListener("change", update);
  update();
})();
